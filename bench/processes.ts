import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { GC_HOOK_ARGS, rssAfterGcMb } from "./resident-memory.js";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

export interface Proc {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Resident memory after a forced full GC, MB (token servers only: see gc-hook.mjs). */
  rssAfterGcMb(): Promise<number>;
  stop(): Promise<void>;
}

/** Spawns a process that prints `"port":N` once listening, and waits for that line. */
function spawnListening(
  args: string[],
  env: NodeJS.ProcessEnv,
  what: string,
  timeoutMs = 60_000,
): Promise<Proc> {
  return new Promise((resolve, reject) => {
    // Under `npm run bench`, servers run on CPUs of their own, apart from the load generator.
    const cpus = process.env.BENCH_SERVER_CPUS;
    const command = cpus ? ["taskset", "-c", cpus, process.execPath] : [process.execPath];
    const [file = process.execPath, ...prefix] = command;
    const child = spawn(file, [...prefix, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start in ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const port = /"port":(\d+)/.exec(out)?.[1];
      if (port && out.length < 1e6) {
        clearTimeout(timer);
        out = "\u0000".repeat(1e6); // stop matching; keep draining the pipe
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        resolve({
          url: `http://127.0.0.1:${port}`,
          pid: child.pid ?? 0,
          child,
          rssAfterGcMb: () => rssAfterGcMb(child),
          stop: async () => {
            child.kill("SIGTERM");
            await exited;
          },
        });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${err}`));
    });
  });
}

export function startBaseline(answer: string, getHeaders: Record<string, string> = {}): Promise<Proc> {
  return spawnListening(
    [
      "--import",
      "tsx",
      fileURLToPath(new URL("./baseline-server.ts", import.meta.url)),
      "0",
      answer,
      JSON.stringify(getHeaders),
    ],
    {},
    "baseline server",
  );
}

/** `tokenplane server` from dist/, as users run it (default log level: the fast path logs nothing per request). */
export function startTokenServer(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Proc> {
  return spawnListening(
    [...GC_HOOK_ARGS, CLI, "server", "--port", "0", "--host", "127.0.0.1", ...args],
    env,
    "token server",
  );
}
