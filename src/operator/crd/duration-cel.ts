import { DURATION_PATTERN, parseDuration } from "../../core/index.js";

/*
 * Durations in CEL. Kubernetes CEL's duration() only knows Go units (h, m, s, ms, us, ns), not the
 * d and w that tokenplane durations allow, so rules never call it. Instead they add the groups up
 * as integer milliseconds with the regex and list libraries (`findAll`, `find`, `sum`), exactly
 * like `parseDuration` does. Every duration field has maxLength 32; at most three 10-character
 * groups of 999999999w fit, about 1.8e18 ms, so the sum stays inside CEL's int64.
 */

/** The units of DURATION_PATTERN, longest first, so `ms` is never read as `m` + `s`. */
const UNITS = ["ms", "s", "m", "h", "d", "w"] as const;
const GROUP = `[0-9]+(?:${UNITS.join("|")})`;
const groupRegex = new RegExp(GROUP, "g");

/** Milliseconds per unit, taken from core's own parser so the two cannot disagree. */
const UNIT_MS: Record<string, bigint> = Object.fromEntries(
  UNITS.map((u) => [u, BigInt(parseDuration(`1${u}`) ?? Number.NaN)]),
);

/** Longest duration string a CRD field accepts (see the overflow note above). */
export const DURATION_MAX_LENGTH = 32;

/** DURATION_PATTERN, or the word `unlimited`. */
export const DURATION_OR_UNLIMITED_PATTERN = `^(?:unlimited|${DURATION_PATTERN.slice(1, -1)})$`;

/**
 * A CEL expression giving the milliseconds in the duration string `expr`. Groups are summed
 * like `parseDuration` does; a malformed string counts only its well-formed groups, which is
 * what `durationMillis` does too.
 */
export function celDurationMillis(expr: string): string {
  const table = UNITS.map((u) => `'${u}': ${UNIT_MS[u]}`).join(", ");
  return `${expr}.findAll('${GROUP}').map(g, int(g.find('[0-9]+')) * {${table}}[g.find('[a-z]+')]).sum()`;
}

/** The TypeScript twin of `celDurationMillis`: exact (bigint) milliseconds. */
export function durationMillis(value: string): bigint {
  let total = 0n;
  for (const [group] of value.matchAll(groupRegex)) {
    const unit = /[a-z]+/.exec(group)?.[0] ?? "";
    total += BigInt(/[0-9]+/.exec(group)?.[0] ?? "0") * (UNIT_MS[unit] ?? 0n);
  }
  return total;
}
