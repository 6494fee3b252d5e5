import type { IncomingHttpHeaders } from "node:http";

/**
 * The credential a request carries: `Authorization: Bearer`, `Private-Token` or
 * `X-API-Key`, in that order. Returns undefined when none is present.
 */
export function credentialFrom(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization);
    if (match) return match[1];
  }
  for (const name of ["private-token", "x-api-key"] as const) {
    const value = headers[name];
    if (typeof value === "string" && value.trim() !== "") return value.trim();
  }
  return undefined;
}

/** Origin, else Referer: the page a browser request came from. */
export function originFrom(headers: IncomingHttpHeaders): string | undefined {
  const origin = headers.origin;
  if (typeof origin === "string" && origin !== "" && origin !== "null") return origin;
  return typeof headers.referer === "string" && headers.referer !== "" ? headers.referer : undefined;
}
