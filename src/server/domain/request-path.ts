/**
 * How forward auth reads an original request path. Proxies and upstreams disagree on how to
 * read `%2e%2e`, `//`, `%2f`, `;` parameters, backslashes or case, so a decision made on one
 * reading could be routed by another. Instead of guessing the upstream's reading, paths that
 * are read differently by any of them are refused, and the rest are matched as they are.
 *
 * - `plain`: canonical, and nothing in it depends on decoding or case;
 * - `cased`: canonical, but holds upper case or percent-escapes, so it must also map to the
 *   same resource when decoded and case-folded (see `foldPath`);
 * - `{ refused }`: ambiguous; the reason says why.
 */
export type PathShape = "plain" | "cased" | { refused: string };

/** Characters that may appear raw in a path: RFC 3986 `pchar` without `;` and `%`. */
const RAW = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@") RAW[c.charCodeAt(0)] = 1;
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZ") RAW[c.charCodeAt(0)] = 2;

/**
 * Bytes a percent-escape may stand for: not unreserved characters (their escapes are read as
 * the character by some and not by others), not `/`, `\` or `;` (structure), not `%` (decoded
 * twice by some) and not control characters.
 */
const ESCAPABLE = new Uint8Array(256).fill(1);
for (let b = 0; b < 0x20; b++) ESCAPABLE[b] = 0;
ESCAPABLE[0x7f] = 0;
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/\\;%")
  ESCAPABLE[c.charCodeAt(0)] = 0;

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * The shape of `path` (the part before any `?`), walked once without allocating: forward
 * auth runs this on every request.
 */
export function pathShape(path: string): PathShape {
  if (path.charCodeAt(0) !== 47) return { refused: "must start with /" };
  let cased = false;
  let segmentStart = 1;
  const end = path.length;
  for (let i = 1; i <= end; i++) {
    const c = i === end ? 47 : path.charCodeAt(i);
    if (c === 47) {
      const length = i - segmentStart;
      if (length === 0 && i !== end) return { refused: "has an empty segment (//)" };
      if (
        (length === 1 || length === 2) &&
        path.charCodeAt(segmentStart) === 46 &&
        (length === 1 || path.charCodeAt(segmentStart + 1) === 46)
      )
        return { refused: "has a dot segment (. or ..)" };
      segmentStart = i + 1;
    } else if (c === 37) {
      const byte = (hexDigit(path.charCodeAt(i + 1)) << 4) | hexDigit(path.charCodeAt(i + 2));
      if (i + 2 >= end || byte < 0) return { refused: "has a malformed percent-escape" };
      if (!ESCAPABLE[byte])
        return {
          refused:
            "percent-encodes a character that must be sent as it is or not at all (unreserved, / \\ ; % or a control character)",
        };
      cased = true;
      i += 2;
    } else {
      const kind = c < 128 ? RAW[c] : 0;
      if (!kind)
        return {
          refused:
            c === 59
              ? "has a ; parameter"
              : c === 92
                ? "has a backslash"
                : "has a character that must be percent-encoded (or not sent at all)",
        };
      if (kind === 2) cased = true;
    }
  }
  return cased ? "cased" : "plain";
}

/** `path` decoded and lower-cased, as a case-insensitive, decoding upstream reads it; undefined when not UTF-8. */
export function foldPath(path: string): string | undefined {
  try {
    return decodeURIComponent(path).toLowerCase();
  } catch {
    return undefined;
  }
}

/** A registered `pathPrefix`, prepared for segment-wise matching. */
export interface Prefix {
  /** Without trailing slashes (`/orders/` → `/orders`); `/` stays `/`. */
  base: string;
  /** `base` followed by one slash: what a path below it starts with. */
  below: string;
}

export function prefixOf(pathPrefix: string): Prefix {
  const base = pathPrefix.replace(/\/+$/, "") || "/";
  return { base, below: base === "/" ? "/" : `${base}/` };
}

/**
 * Whether `path` is the prefix or below it, segment-wise: `/orders` and `/orders/` both
 * cover `/orders`, `/orders/` and `/orders/1`, and neither covers `/ordersx`.
 */
export function covers(prefix: Prefix, path: string): boolean {
  return path === prefix.base || path.startsWith(prefix.below);
}
