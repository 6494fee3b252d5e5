import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Node flags for a process whose memory the bench reads: see gc-hook.mjs. */
export const GC_HOOK_ARGS = [
  "--expose-gc",
  "--import",
  fileURLToPath(new URL("./gc-hook.mjs", import.meta.url)),
];

/** VmRSS (resident now) or VmHWM (highest so far) of a process, MB (Linux). */
export function procStatusMb(pid: number, field: "VmHWM" | "VmRSS"): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

/**
 * Resident memory (MB) of a process started with GC_HOOK_ARGS, after a full GC it ran on our
 * signal (bounded wait for its acknowledgement on stderr).
 */
export async function rssAfterGcMb(child: ChildProcess, timeoutMs = 30_000): Promise<number> {
  const pid = child.pid ?? 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.stderr?.off("data", onData);
      reject(new Error(`process ${pid} did not acknowledge a forced GC in ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      if (!d.toString().includes("bench:gc-done")) return;
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      resolve();
    };
    child.stderr?.on("data", onData);
    child.kill("SIGUSR2");
  });
  return procStatusMb(pid, "VmRSS");
}
