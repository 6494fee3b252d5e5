import fc from "fast-check";
import { beforeEach } from "vitest";
import { fuzzSeed, rerunHint } from "./fuzz-seed.js";

/*
 * Setup file of every vitest project: each fast-check assert and sample in the test file runs
 * from the run's seed unless it names its own, and a failed property says how to replay it.
 */
const seed = fuzzSeed();
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });

const FAST_CHECK_FAILURE = /^Property (failed|interrupted) after/m;

beforeEach(({ onTestFailed }) => {
  onTestFailed(({ task }) => {
    const fuzzFailures = (task.result?.errors ?? []).filter((e) => FAST_CHECK_FAILURE.test(e.message ?? ""));
    if (fuzzFailures.length === 0) return;
    // Next to the failure itself, where CI output is read (fast-check's own seed line may be offset).
    for (const e of fuzzFailures) e.message = `${rerunHint(seed)}\n${e.message}`;
  });
});
