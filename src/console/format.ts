import type { AccessToken } from "../api/index.js";

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const absolute = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** "in 3 days", "5 minutes ago", "now". */
export function fromNow(iso: string, now = Date.now()): string {
  const diff = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit);
  }
  return "just now";
}

export const dateTime = (iso: string): string => absolute.format(new Date(iso));

export type TokenState = "active" | "expired" | "in grace";

/** Expired, else "in grace" while a regenerated token's previous secret still works. */
export function tokenState(token: AccessToken, now = Date.now()): TokenState {
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now) return "expired";
  const graceUntil = token.previousSecretExpiresAt;
  return graceUntil && Date.parse(graceUntil) > now ? "in grace" : "active";
}

/** Oldest first, as the API lists them. */
export function byCreation(a: AccessToken, b: AccessToken): number {
  return a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt < b.createdAt ? -1 : 1;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** "1h30m" → milliseconds, for display only (the server validated it already). */
export function durationMs(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g))
    total += Number(n) * (UNIT_MS[unit ?? ""] ?? 0);
  return total;
}
