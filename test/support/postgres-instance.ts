import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A PostgreSQL of its own, in a child process (see postgres-process.ts), that can be stopped and started. */
export interface PostgresInstance {
  /** Superuser URL of the `postgres` database. Stays the same across stop and start. */
  url: string;
  /** Fast shutdown, as an operator would do it: every session is terminated. Resolves once it is down. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. Resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  close(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL("./postgres-process.ts", import.meta.url));

export async function startPostgres(): Promise<PostgresInstance> {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const waiting: { key: string; resolve: (value: Record<string, unknown>) => void }[] = [];
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    let newline: number;
    while ((newline = out.indexOf("\n")) >= 0) {
      const line = out.slice(0, newline);
      out = out.slice(newline + 1);
      if (!line.startsWith("{")) continue;
      const message = JSON.parse(line) as Record<string, unknown>;
      const i = waiting.findIndex((w) => w.key in message);
      if (i >= 0) waiting.splice(i, 1)[0]?.resolve(message);
    }
  });
  const next = (key: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      waiting.push({ key, resolve });
      void exited.then((code) => reject(new Error(`PostgreSQL for tests exited with ${code}`)));
    });
  const url = String((await next("url")).url);
  return {
    url,
    async stop() {
      const done = next("stopped");
      child.stdin.write("stop\n");
      await done;
    },
    async start() {
      const done = next("started");
      child.stdin.write("start\n");
      await done;
    },
    async close() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
