/**
 * The one seed behind every fast-check property and sample in a run, so a CI failure replays
 * locally. Fixed by default; TOKENPLANE_FUZZ_SEED picks another (e.g. to explore, or to rerun
 * the seed a failure printed). `fuzz-setup.ts` hands it to fast-check for every test file.
 */
export const FUZZ_SEED_ENV = "TOKENPLANE_FUZZ_SEED";
const DEFAULT_FUZZ_SEED = 20261124;

/** The run's seed: TOKENPLANE_FUZZ_SEED if set (a 32-bit integer), else the fixed default. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[FUZZ_SEED_ENV]?.trim();
  if (!raw) return DEFAULT_FUZZ_SEED;
  const seed = Number(raw);
  // fast-check seeds are 32-bit integers; anything else would be silently rescaled.
  if (!Number.isInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 31) {
    throw new Error(`${FUZZ_SEED_ENV} must be a 32-bit integer, got ${JSON.stringify(raw)}`);
  }
  return seed;
}

/** How to replay a failing run, printed next to the failure. */
export const rerunHint = (seed: number): string => `fuzz seed ${seed}: rerun with ${FUZZ_SEED_ENV}=${seed}`;
