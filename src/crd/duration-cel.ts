import { parseDuration } from "../core/index.js";

/*
 * Durations in CEL. Kubernetes CEL's duration() only knows Go units (h, m, s, ms, us, ns), not the
 * d and w that tokenplane durations use, so rules never call it: they compute integer
 * milliseconds from the string instead.
 *
 * To keep that computation cheap in the API server's static cost estimate, every string function
 * must work on a string of known maximum size: one `find` per unit on the (maxLength-bounded)
 * field, never a loop over `findAll` results (whose items have no size the estimator knows). So
 * CRD durations use a canonical subset of core's grammar: units largest first, each at most once
 * (`1w2d`, `1h30m`, `500ms`; not `30m1h` or `1h1h`). Every such string means the same to
 * `parseDuration`. Each group has at most 9 digits, so the total (< 6.95e17 ms) fits CEL's int64.
 */

/** Units, largest first, with the regex that finds a unit's group in a canonical duration. */
const UNITS = [
  ["w", "[0-9]+w"],
  ["d", "[0-9]+d"],
  ["h", "[0-9]+h"],
  // A minutes group is followed by the next group's digits or the end, never by the s of "ms".
  ["m", "[0-9]+m(?:[0-9]|$)"],
  ["s", "[0-9]+s"],
  ["ms", "[0-9]+ms"],
] as const;

/** Milliseconds per unit, taken from core's own parser so the two cannot disagree. */
const UNIT_MS = Object.fromEntries(
  UNITS.map(([u]) => [u, BigInt(parseDuration(`1${u}`) ?? Number.NaN)]),
) as Record<(typeof UNITS)[number][0], bigint>;

/** Longest duration string a CRD field accepts. */
export const DURATION_MAX_LENGTH = 32;

/** A CRD duration: core's DURATION_PATTERN restricted to canonical order (with minLength 2). */
export const CRD_DURATION_PATTERN = `^${UNITS.map(([u]) => `(?:[0-9]{1,9}${u})?`).join("")}$`;
export const CRD_DURATION_MIN_LENGTH = 2;

/** CRD_DURATION_PATTERN, or the word `unlimited`. */
export const CRD_DURATION_OR_UNLIMITED_PATTERN = `^(?:unlimited|${CRD_DURATION_PATTERN.slice(1, -1)})$`;

/**
 * A CEL expression giving the milliseconds in the duration string `expr`: for each unit, the
 * digits of its first group (`'0' +` makes an absent unit read as 0).
 */
export function celDurationMillis(expr: string): string {
  const terms = UNITS.map(([u, re]) => `int('0' + ${expr}.find('${re}').find('[0-9]*')) * ${UNIT_MS[u]}`);
  return `(${terms.join(" + ")})`;
}

/** The TypeScript twin of `celDurationMillis`, step for step: exact (bigint) milliseconds. */
export function durationMillis(value: string): bigint {
  let total = 0n;
  for (const [u, re] of UNITS) {
    const group = new RegExp(re).exec(value)?.[0] ?? "";
    const digits = /[0-9]*/.exec(group)?.[0] ?? "";
    total += BigInt("0" + digits) * UNIT_MS[u];
  }
  return total;
}
