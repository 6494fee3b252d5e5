import { readFileSync } from "node:fs";

/** utime + stime of a process so far, in seconds (Linux; clock ticks are 1/100 s); 0 once it is gone. */
export function procCpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return 0;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}
