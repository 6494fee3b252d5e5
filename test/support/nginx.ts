import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait.js";

/**
 * Debian's nginx, for tests of forward auth through a real proxy. Missing nginx fails the
 * test (it is never skipped): `.ci/run` installs it.
 */
export function nginxBinary(): string {
  const fromEnv = process.env.TOKENPLANE_TEST_NGINX;
  if (fromEnv) return fromEnv;
  if (existsSync("/usr/sbin/nginx")) return "/usr/sbin/nginx";
  const which = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" });
  const found = which.stdout.trim();
  if (which.status === 0 && found !== "") return found;
  throw new Error(
    "nginx is needed for the forward-auth tests and was not found: install it with " +
      "`apt-get install -y nginx-light` (as .ci/run does), or set TOKENPLANE_TEST_NGINX to its path",
  );
}

/** A free TCP port on 127.0.0.1 (nginx cannot report the port it picked for `listen :0`). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface RunningNginx {
  /** The error log so far, for failure messages. */
  errors(): string;
  close(): Promise<void>;
}

/**
 * Starts nginx in the foreground, as this user, in a temporary prefix, with the `http { }`
 * block `http` (temp paths and logs are set here); resolves once `ports` accept connections.
 */
export async function startNginx(http: string, ports: number[]): Promise<RunningNginx> {
  const binary = nginxBinary();
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-nginx-"));
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, sub));
  const errorLog = join(dir, "error.log");
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${errorLog} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
}
`,
  );
  const child: ChildProcess = spawn(binary, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", errorLog], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const errors = () => `${stderr}${existsSync(errorLog) ? readFileSync(errorLog, "utf8") : ""}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited: ${errors()}`);
        for (const port of ports) await fetch(`http://127.0.0.1:${port}/`);
        return true;
      },
      { what: "nginx to listen" },
    );
  } catch (err) {
    await close();
    throw err;
  }
  return { errors, close };
}
