import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import type { TokenKind } from "./permissions.js";

/**
 * Token format: `tp` + kind letter + `_`, 43 base62 characters (256 bits), then a
 * 6-character base62 CRC32 of everything before it. The prefix lets secret scanners
 * find leaks; the checksum lets a typo be rejected without touching storage.
 */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_CHARS = 43; // 43 × log2(62) ≈ 256.03 bits
const CHECKSUM_CHARS = 6; // 62^6 > 2^32
export const TOKEN_PREFIXES: Record<TokenKind, string> = { secret: "tps_", publishable: "tpp_" };
export const TOKEN_LENGTH = 4 + RANDOM_CHARS + CHECKSUM_CHARS;
/** How much of a token may be shown (in lists, logs and audit records). */
export const DISPLAY_PREFIX_LENGTH = 8;
/** A scanner-friendly pattern for both kinds (used to redact logs). */
export const TOKEN_SEARCH_PATTERN = /tp[sp]_[0-9A-Za-z]{49}/g;

function base62(n: number, width: number): string {
  let out = "";
  let rest = n;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Rejection sampling keeps every character uniform: 248 = 4 × 62.
      if (byte < 248) out += ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_CHARS);
}

export function generateToken(kind: TokenKind = "secret"): string {
  const body = TOKEN_PREFIXES[kind] + randomBase62(RANDOM_CHARS);
  return body + checksum(body);
}

export type TokenShape =
  { ok: true; kind: TokenKind } | { ok: false; reason: "prefix" | "length" | "charset" | "checksum" };

/** Checks prefix, length, alphabet and checksum; pure and offline. */
export function inspectToken(token: string): TokenShape {
  const kind: TokenKind | undefined = token.startsWith(TOKEN_PREFIXES.secret)
    ? "secret"
    : token.startsWith(TOKEN_PREFIXES.publishable)
      ? "publishable"
      : undefined;
  if (!kind) return { ok: false, reason: "prefix" };
  if (token.length !== TOKEN_LENGTH) return { ok: false, reason: "length" };
  for (let i = 4; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alnum) return { ok: false, reason: "charset" };
  }
  const body = token.slice(0, TOKEN_LENGTH - CHECKSUM_CHARS);
  if (checksum(body) !== token.slice(TOKEN_LENGTH - CHECKSUM_CHARS)) return { ok: false, reason: "checksum" };
  return { ok: true, kind };
}

export function displayPrefix(token: string): string {
  return token.slice(0, DISPLAY_PREFIX_LENGTH);
}
