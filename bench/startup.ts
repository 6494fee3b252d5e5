import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { ROOT, startTokenServer } from "./processes.js";
import { atMost, type ScenarioResult } from "./scenario.js";

async function untilReady(url: string): Promise<void> {
  for (;;) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Embedded server: empty data dir → ready, and restart on the same dir → ready. */
export async function startup(rounds = 3): Promise<ScenarioResult> {
  const cold: number[] = [];
  const warm: number[] = [];
  const env = { TOKENPLANE_ADMIN_TOKEN: randomBytes(24).toString("hex") };
  for (let i = 0; i < rounds; i++) {
    const dir = mkdtempSync(join(tmpdir(), "tokenplane-start-"));
    try {
      for (const into of [cold, warm]) {
        const started = performance.now();
        const server = await startTokenServer({ ...env, TOKENPLANE_DATA_DIR: dir });
        await untilReady(server.url);
        into.push(Math.round(performance.now() - started));
        await server.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // What any Node process costs to start here, for reference.
  const nodeStarted = performance.now();
  spawnSync(process.execPath, ["-e", "0"], { cwd: ROOT });
  const nodeMs = Math.round(performance.now() - nodeStarted);
  const coldS = median(cold) / 1000;
  const warmS = median(warm) / 1000;
  return {
    name: "embedded server start (spawn → /readyz, median of 3)",
    metrics: { "cold start s": coldS, "warm restart s": warmS, "bare node start ms": nodeMs },
    targets: [atMost("cold start (empty data dir)", coldS, 3, " s"), atMost("warm restart", warmS, 1, " s")],
  };
}
