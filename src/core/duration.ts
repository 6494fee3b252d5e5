/**
 * Durations as written in specs and API bodies: one or more `<n><unit>` groups,
 * e.g. `30d`, `12h`, `1h30m`, `500ms`. Days and weeks are fixed 24h / 7d spans.
 * The regex is shared with the CRD schema, so it must stay RE2-compatible.
 */
export const DURATION_PATTERN = "^(?:[0-9]{1,9}(?:ms|s|m|h|d|w))+$";
const durationRegex = new RegExp(DURATION_PATTERN);
const partRegex = /([0-9]+)(ms|s|m|h|d|w)/g;

const unitMs: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The named token lifetimes; `unlimited` means the token never expires. */
export const NAMED_DURATIONS = ["7d", "30d", "90d", "unlimited"] as const;

export function isDuration(value: string): boolean {
  return durationRegex.test(value);
}

/** Milliseconds in a duration string, or `undefined` when it is malformed. */
export function parseDuration(value: string): number | undefined {
  if (!durationRegex.test(value)) return undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(partRegex)) {
    total += Number(amount) * (unitMs[unit as string] as number);
  }
  return total;
}

/** A compact rendering, largest units first: 90061000 → "1d1h1m1s". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  let rest = ms;
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"] as const) {
    const size = unitMs[unit] as number;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
