import type { IncomingHttpHeaders } from "node:http";

/**
 * The credential a request carries: `Authorization: Bearer`, `Private-Token` or
 * `X-API-Key`, in that order. Returns undefined when none is present.
 */
export function credentialFrom(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  // Hot path (forward auth): plain string work rather than a regex.
  if (
    authorization !== undefined &&
    authorization.length > 7 &&
    (authorization.startsWith("Bearer ") || authorization.slice(0, 7).toLowerCase() === "bearer ")
  ) {
    const token = authorization.slice(7).trim();
    if (token !== "" && !/\s/.test(token)) return token;
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
