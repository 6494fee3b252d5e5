import { BlockList, isIPv4 } from "node:net";
import { covers, effectivePermissions, parseDuration, type TokenType } from "../../core/index.js";
import type { CallerLimits } from "./caller.js";
import { type FieldError, forbiddenFields } from "./errors.js";
import type { Credits, RateLimit, RefillInterval } from "./model.js";

/** A token as it would be after a create, update or regenerate: what the caller obtains. */
export interface GrantedToken {
  type: TokenType;
  permissions: readonly string[];
  expiresAt: Date | null;
  allowedIps: readonly string[];
  allowedDomains: readonly string[];
  signedRequests: boolean;
  credits: Pick<Credits, "remaining" | "refill"> | null;
  rateLimit: RateLimit | null;
}

/**
 * "You never obtain more than you hold": a caller may create, change or receive the secret
 * of a token only if that token, as it results, holds no permission the caller lacks and is
 * under every limit the caller is under, at least as tightly. This is the one rule for every
 * token verb that hands out power; a 403 names each field that goes beyond the caller.
 */
export function requireWithinCaller(
  caller: { permissions: readonly string[]; limits: CallerLimits },
  token: GrantedToken,
): void {
  const errors = excessOver(caller.permissions, caller.limits, token);
  if (errors.length > 0) throw forbiddenFields(errors);
}

export function excessOver(
  permissions: readonly string[],
  limits: CallerLimits,
  token: GrantedToken,
): FieldError[] {
  const errors: FieldError[] = [];
  const wanted = effectivePermissions(token.type, token.permissions);
  const excess = wanted.filter((p) => !covers(permissions, [p]));
  if (excess.length > 0) {
    errors.push({
      field: "permissions",
      message: `cannot grant permissions the calling token does not hold: ${excess.join(", ")}`,
    });
  }
  if (limits.expiresAt && !(token.expiresAt && token.expiresAt <= limits.expiresAt)) {
    errors.push({
      field: "expiresAt",
      message: `must be at or before ${limits.expiresAt.toISOString()}, when the calling token expires`,
    });
  }
  if (limits.allowedIps.length > 0 && !within(token.allowedIps, limits.allowedIps, cidrWithin)) {
    errors.push({
      field: "allowedIps",
      message: `must be set, each range inside one of the calling token's: ${limits.allowedIps.join(", ")}`,
    });
  }
  if (
    limits.allowedDomains.length > 0 &&
    !within(token.allowedDomains, limits.allowedDomains, domainWithin)
  ) {
    errors.push({
      field: "allowedDomains",
      message: `must be set, each inside one of the calling token's: ${limits.allowedDomains.join(", ")}`,
    });
  }
  if (limits.signedRequests && !token.signedRequests) {
    errors.push({
      field: "signedRequests",
      message: "must stay true: the calling token requires signed requests",
    });
  }
  if (limits.credits) errors.push(...creditExcess(limits.credits, token.credits));
  if (limits.rateLimit && !rateWithin(token.rateLimit, limits.rateLimit)) {
    const { limit, window } = limits.rateLimit;
    errors.push({
      field: "rateLimit",
      message: `must be set, at most ${limit} requests per at least ${window}, as the calling token's`,
    });
  }
  return errors;
}

/** Every entry of `inner` lies within some entry of `outer`, and there is at least one. */
function within(
  inner: readonly string[],
  outer: readonly string[],
  inside: (entry: string, bound: string) => boolean,
): boolean {
  return inner.length > 0 && inner.every((entry) => outer.some((bound) => inside(entry, bound)));
}

function cidr(value: string): { address: string; bits: number; family: "ipv4" | "ipv6" } {
  const [address = "", bits] = value.split("/");
  const family = isIPv4(address) ? "ipv4" : "ipv6";
  return { address, bits: bits === undefined ? (family === "ipv4" ? 32 : 128) : Number(bits), family };
}

/** Prefix blocks nest: a block is inside another when it is no wider and one of its addresses is in it. */
function cidrWithin(entry: string, bound: string): boolean {
  const e = cidr(entry);
  const b = cidr(bound);
  if (e.family !== b.family || e.bits < b.bits) return false;
  const list = new BlockList();
  list.addSubnet(b.address, b.bits, b.family);
  return list.check(e.address, e.family);
}

/** Same grammar as allowedDomains matching: `host[:port]`, `*.suffix` for any subdomain. */
function domainWithin(entry: string, bound: string): boolean {
  const [host = "", port] = entry.split(":");
  const [pattern = "", boundPort] = bound.split(":");
  if (boundPort !== undefined && port !== boundPort) return false;
  if (!pattern.startsWith("*.")) return host === pattern;
  const suffix = pattern.slice(1);
  return host.startsWith("*.") ? host === pattern || host.endsWith(suffix) : host.endsWith(suffix);
}

const INTERVAL_DAYS: Record<RefillInterval, number> = { daily: 1, weekly: 7, monthly: 28 };

function creditExcess(
  bound: NonNullable<CallerLimits["credits"]>,
  credits: GrantedToken["credits"],
): FieldError[] {
  if (!credits || credits.remaining > bound.remaining) {
    return [
      {
        field: "credits",
        message: `must be set, at most the calling token's ${bound.remaining} remaining`,
      },
    ];
  }
  const refill = credits.refill;
  if (!refill) return [];
  const limit = bound.refill;
  if (
    !limit ||
    refill.amount > limit.amount ||
    INTERVAL_DAYS[refill.interval] < INTERVAL_DAYS[limit.interval]
  ) {
    return [
      {
        field: "credits.refill",
        message: limit
          ? `may refill at most ${limit.amount} per ${limit.interval} interval or longer, as the calling token`
          : "cannot be set: the calling token's credits do not refill",
      },
    ];
  }
  return [];
}

function rateWithin(rate: RateLimit | null, bound: RateLimit): boolean {
  if (!rate) return false;
  const window = parseDuration(rate.window) ?? 0;
  const boundWindow = parseDuration(bound.window) ?? Number.POSITIVE_INFINITY;
  return rate.limit <= bound.limit && window >= boundWindow;
}
