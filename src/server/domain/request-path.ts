/**
 * The path an upstream will act on, for matching against registered prefixes: query and
 * fragment dropped, percent-decoded once, repeated slashes collapsed and dot segments
 * resolved, so `/public/../admin` or `/public/%2e%2e/admin` is matched as `/admin`.
 * Undefined when the path cannot be decoded (the caller refuses the request).
 */
export function normalizePath(raw: string): string | undefined {
  // Most paths are already normal (no encoding, query, dot segment, empty segment or trailing
  // slash): one test instead of decoding, splitting and joining on every forward-auth request.
  return ALREADY_NORMAL.test(raw) && !raw.includes("\u0000") ? raw : resolvePath(raw);
}

const ALREADY_NORMAL = /^(?:\/[^/%?#\\.][^/%?#\\]*)+$/;

/** `normalizePath` without the shortcut: decodes, splits and resolves every path. */
export function resolvePath(raw: string): string | undefined {
  const end = raw.search(/[?#]/);
  const path = end === -1 ? raw : raw.slice(0, end);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes("\u0000") || decoded.includes("\\")) return undefined;
  const out: string[] = [];
  for (const segment of decoded.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return `/${out.join("/")}`;
}

/** Whether `path` is `prefix` or below it (segment-wise: `/orders` covers `/orders/1`, not `/ordersx`). */
export function underPrefix(path: string, prefix: string): boolean {
  if (prefix === "/" || path === prefix) return true;
  const base = prefix.endsWith("/") ? prefix : `${prefix}/`;
  return path.startsWith(base);
}
