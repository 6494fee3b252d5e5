import fc from "fast-check";
import { crc32 } from "node:zlib";

/**
 * Strings that are almost, or not at all, tokenplane tokens: near-misses of real tokens
 * (one character changed, wrong checksum, truncated, extended, wrong prefix or case,
 * padded), well-formed tokens that were never issued, huge and unicode strings. The
 * format is rebuilt here from its description (prefix, 43 base62 characters, a 6-character
 * base62 CRC32), independently of src/core.
 */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(n: number, width: number): string {
  let out = "";
  let rest = n;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** `body` (prefix + 43 characters) with its checksum appended. */
export function withChecksum(body: string): string {
  return body + base62(crc32(body), 6);
}

const base62Char = fc.constantFrom(...ALPHABET);

/** A token in the right format that no server issued. */
export const unissuedToken: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom("tps_", "tpp_"), fc.array(base62Char, { minLength: 43, maxLength: 43 }))
  .map(([prefix, chars]) => withChecksum(prefix + chars.join("")));

function replaceAt(s: string, i: number, c: string): string {
  return s.slice(0, i) + c + s.slice(i + 1);
}

/** Changes `real` so that it must not verify (the result never equals `real`). */
export function nearMiss(real: string): fc.Arbitrary<string> {
  const n = real.length;
  const at = fc.nat({ max: Math.max(0, n - 1) });
  return fc
    .oneof(
      // One character changed: the checksum catches it (or, in the checksum, the body does).
      fc.tuple(at, base62Char).map(([i, c]) => replaceAt(real, i, c)),
      // Same body, checksum recomputed after a change: well-formed, but never issued.
      fc
        .tuple(fc.integer({ min: 4, max: Math.max(4, n - 7) }), base62Char)
        .map(([i, c]) => (n === 53 ? withChecksum(replaceAt(real, i, c).slice(0, 47)) : `${real}${c}`)),
      fc.nat({ max: Math.max(0, n - 1) }).map((k) => real.slice(0, k)),
      fc.string({ minLength: 1, maxLength: 4 }).map((extra) => real + extra),
      fc.constantFrom("tpx_", "TPS_", "tps-", "tp_", "sk_live_", "ghp_", "").map((p) => p + real.slice(4)),
      fc.constant(real.toUpperCase()),
      fc.constant(real.toLowerCase()),
      fc.constantFrom("\u0000", "\t", "\u00a0", "\u200b", "\ufeff").map((c) => `${real}${c}`),
      // Homoglyphs: a fullwidth or Cyrillic look-alike for one character.
      fc
        .tuple(at, fc.constantFrom("\uff21", "\u0430", "\u0440", "\u0455", "\u2010"))
        .map(([i, c]) => replaceAt(real, i, c)),
      fc.constant(encodeURIComponent(real).replace(/_/g, "%5F")),
    )
    .filter((s) => s !== real);
}

/** Strings in no way tokens. */
export const garbageToken: fc.Arbitrary<string> = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 80 }),
  fc.string({ maxLength: 80, unit: "grapheme" }),
  fc.string({ maxLength: 60, unit: "binary" }),
  fc.integer({ min: 54, max: 6000 }).map((n) => `tps_${"A".repeat(n)}`),
  fc.integer({ min: 4097, max: 20_000 }).map((n) => "x".repeat(n)),
  fc.constantFrom(
    "null",
    "undefined",
    "[object Object]",
    "Bearer",
    "tps_",
    "tpp_",
    "%00",
    "../../etc/passwd",
  ),
);

export interface TokenCase {
  token: string;
  /** Exactly one of the tokens the server issued (and, as far as the test knows, still live). */
  real: boolean;
}

/** Real tokens, near-misses of them, unissued well-formed tokens and garbage. */
export function tokenCase(reals: readonly string[]): fc.Arbitrary<TokenCase> {
  const real = fc.constantFrom(...reals);
  return fc.oneof(
    { weight: 2, arbitrary: real.map((token) => ({ token, real: true })) },
    { weight: 4, arbitrary: real.chain(nearMiss).map((token) => ({ token, real: reals.includes(token) })) },
    { weight: 1, arbitrary: unissuedToken.map((token) => ({ token, real: false })) },
    { weight: 2, arbitrary: garbageToken.map((token) => ({ token, real: reals.includes(token) })) },
  );
}
