import { isIPv4 } from "node:net";
import type { VerifyCode } from "../../api/index.js";
import type { ResolvedToken } from "./principal.js";

/**
 * The restrictions a token carries that do not depend on its permissions: expiry,
 * allowed IP ranges, allowed origins. They apply to every use, management calls included.
 */
export interface RequestFacts {
  ip?: string | undefined;
  /** An Origin or Referer value (a URL) or a bare host. */
  origin?: string | undefined;
}

export function checkRestrictions(resolved: ResolvedToken, facts: RequestFacts, now: number): VerifyCode {
  const { token } = resolved;
  if (token.expiresAt && token.expiresAt.getTime() <= now) return "EXPIRED";
  if (resolved.ipRanges && !ipAllowed(resolved, facts.ip)) return "IP_NOT_ALLOWED";
  if (token.allowedDomains.length > 0 && !originAllowed(token.allowedDomains, facts.origin)) {
    return "ORIGIN_NOT_ALLOWED";
  }
  return "VALID";
}

function ipAllowed(resolved: ResolvedToken, ip: string | undefined): boolean {
  if (!ip || !resolved.ipRanges) return false;
  // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d.
  const plain = ip.startsWith("::ffff:") && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  return resolved.ipRanges.check(plain, isIPv4(plain) ? "ipv4" : "ipv6");
}

/** The host (and port, if any) an Origin/Referer names; undefined when unreadable or opaque. */
export function originHost(origin: string): { hostname: string; port: string } | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(origin) ? origin : `https://${origin}`;
  try {
    const url = new URL(withScheme);
    const defaultPort = url.protocol === "http:" ? "80" : url.protocol === "https:" ? "443" : "";
    return url.hostname ? { hostname: url.hostname.toLowerCase(), port: url.port || defaultPort } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `shop.example.com` matches that host on any port (or the given port), and
 * `*.example.com` any subdomain but not example.com itself. A use without an origin fails.
 */
export function originAllowed(allowed: readonly string[], origin: string | undefined): boolean {
  if (!origin) return false;
  const host = originHost(origin);
  if (!host) return false;
  return allowed.some((entry) => {
    const [pattern = "", port] = entry.split(":");
    if (port !== undefined && port !== host.port) return false;
    return pattern.startsWith("*.") ? host.hostname.endsWith(pattern.slice(1)) : host.hostname === pattern;
  });
}
