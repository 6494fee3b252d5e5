import autocannon, { type Request } from "autocannon";
import { procCpu } from "./process-cpu.js";

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  requests: number;
  /** CPU the server spent per request, µs (when its pid is known). */
  cpuUsPerRequest?: number;
  /** The part of it spent in the kernel (the socket reads and writes, loopback TCP), µs. */
  kernelUsPerRequest?: number;
}

export interface LoadOptions {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** Rotates through these bodies (one per request). */
  bodies?: string[];
  connections?: number;
  seconds: number;
  /** Stop after this many requests instead of after `seconds`. */
  amount?: number;
  /**
   * The server's process: its CPU time per request is read too. Steadier than requests/s on a
   * shared machine, where the load generator's own share of the CPU moves.
   */
  pid?: number;
}

/** One autocannon run: requests/s and latency percentiles (ms). */
export async function load(options: LoadOptions): Promise<LoadResult> {
  let i = 0;
  const bodies = options.bodies;
  const cpuBefore = options.pid ? procCpu(options.pid) : undefined;
  const result = await autocannon({
    url: options.url,
    method: options.method ?? "GET",
    headers: options.headers ?? {},
    connections: options.connections ?? 50,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(bodies
      ? {
          requests: [
            {
              setupRequest: (req: Request): Request => ({ ...req, body: bodies[i++ % bodies.length] ?? "" }),
            },
          ],
        }
      : {}),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
    ...(options.pid && cpuBefore && result.requests.total > 0
      ? cpuPerRequest(procCpu(options.pid), cpuBefore, result.requests.total)
      : {}),
  };
}

function cpuPerRequest(
  after: { user: number; kernel: number },
  before: { user: number; kernel: number },
  requests: number,
): { cpuUsPerRequest: number; kernelUsPerRequest: number } {
  const kernel = after.kernel - before.kernel;
  return {
    cpuUsPerRequest: ((after.user - before.user + kernel) * 1e6) / requests,
    kernelUsPerRequest: (kernel * 1e6) / requests,
  };
}

/** Warm up (JIT, caches, connections), then measure. */
export async function measure(options: LoadOptions, warmupSeconds = 2): Promise<LoadResult> {
  await load({ ...options, seconds: warmupSeconds });
  return load(options);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * Baseline and target measured alternately, `rounds` times each, so drift on a noisy
 * machine hits both alike; returns the median of each figure.
 */
export async function compare(
  baseline: LoadOptions,
  target: LoadOptions,
  rounds = 3,
): Promise<{ baseline: LoadResult; target: LoadResult }> {
  await load({ ...baseline, seconds: 2 });
  await load({ ...target, seconds: 2 });
  const runs: { baseline: LoadResult[]; target: LoadResult[] } = { baseline: [], target: [] };
  for (let i = 0; i < rounds; i++) {
    runs.baseline.push(await load(baseline));
    runs.target.push(await load(target));
  }
  const summary = (rs: LoadResult[]): LoadResult => ({
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((n, r) => n + r.errors, 0),
    non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
    requests: rs.reduce((n, r) => n + r.requests, 0),
    ...(rs.every((r) => r.cpuUsPerRequest !== undefined)
      ? {
          cpuUsPerRequest: median(rs.map((r) => r.cpuUsPerRequest ?? 0)),
          kernelUsPerRequest: median(rs.map((r) => r.kernelUsPerRequest ?? 0)),
        }
      : {}),
  });
  return { baseline: summary(runs.baseline), target: summary(runs.target) };
}

/** Throws, naming the run, when any of `runs` had connection errors or non-2xx answers. */
export function assertNoFailures(runs: Record<string, LoadResult>): void {
  for (const [what, r] of Object.entries(runs)) {
    if (r.errors > 0 || r.non2xx > 0)
      throw new Error(`${what}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  }
}
