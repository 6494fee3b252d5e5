import { readFileSync } from "node:fs";

/** CPU a process has used so far, in seconds, in user space and in the kernel (Linux; ticks are 1/100 s); 0 once it is gone. */
export function procCpu(pid: number): { user: number; kernel: number } {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return { user: 0, kernel: 0 };
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11] ?? 0) / 100, kernel: Number(fields[12] ?? 0) / 100 };
}

/** utime + stime of a process so far, in seconds. */
export function procCpuSeconds(pid: number): number {
  const { user, kernel } = procCpu(pid);
  return user + kernel;
}
