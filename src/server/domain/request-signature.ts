import {
  createHash,
  createPublicKey,
  type KeyObject,
  timingSafeEqual,
  verify as verifySignature,
} from "node:crypto";
import { httpbis } from "http-message-signatures";
import { parseDictionary } from "structured-headers";
import type { SignedRequest } from "../../api/index.js";

/** What a signature must cover: RFC 9421 components plus a creation time. */
export const REQUIRED_COMPONENTS = ["@method", "@path", "content-digest"] as const;
/** A signature older than this is refused; replays are remembered this long. */
export const SIGNATURE_MAX_AGE_S = 300;
/** Clock skew allowed between the signer and this server. */
export const SIGNATURE_TOLERANCE_S = 30;

export type SignatureCheck = { ok: true; digest: Buffer; expiresAt: Date } | { ok: false; reason: string };

const keys = new Map<string, KeyObject>();
function publicKey(pem: string): KeyObject {
  let key = keys.get(pem);
  if (!key) {
    key = createPublicKey(pem);
    if (keys.size > 10_000) keys.clear();
    keys.set(pem, key);
  }
  return key;
}

function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Content-Digest (RFC 9530) holds a matching sha-256 or sha-512 of `body`. */
export function contentDigestMatches(header: string, body: string | Buffer): boolean {
  let dictionary: ReturnType<typeof parseDictionary>;
  try {
    dictionary = parseDictionary(header);
  } catch {
    return false;
  }
  let checked = false;
  for (const [algorithm, [value]] of dictionary) {
    const hash = algorithm === "sha-256" ? "sha256" : algorithm === "sha-512" ? "sha512" : undefined;
    // Byte sequences parse as ArrayBuffers.
    if (!hash || !(value instanceof ArrayBuffer)) continue;
    const expected = createHash(hash).update(body).digest();
    const given = Buffer.from(value);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    checked = true;
  }
  return checked;
}

/**
 * Checks an HTTP Message Signature (RFC 9421) made with the token's Ed25519 key: exactly one
 * signature, covering method, path and Content-Digest, with a recent `created`. When the
 * body is at hand, the digest must match it. Returns the signature's digest for replay checks.
 */
export async function checkSignature(
  request: SignedRequest | undefined,
  publicKeyPem: string | null,
): Promise<SignatureCheck> {
  if (!request) return { ok: false, reason: "the request is not signed" };
  if (!publicKeyPem) return { ok: false, reason: "the token has no signing key" };
  const headers = lowerCaseHeaders(request.headers);
  const signature = headers.signature;
  const input = headers["signature-input"];
  if (!signature || !input) return { ok: false, reason: "Signature and Signature-Input are required" };
  try {
    if (parseDictionary(input).size !== 1 || parseDictionary(signature).size !== 1) {
      return { ok: false, reason: "exactly one signature is expected" };
    }
  } catch {
    return { ok: false, reason: "malformed signature headers" };
  }
  const digestHeader = headers["content-digest"];
  if (!digestHeader) return { ok: false, reason: "Content-Digest is required" };
  if (request.body !== undefined && !contentDigestMatches(digestHeader, request.body)) {
    return { ok: false, reason: "Content-Digest does not match the body" };
  }

  const url = /^https?:\/\//i.test(request.url)
    ? request.url
    : `http://${headers.host ?? "localhost"}${request.url.startsWith("/") ? "" : "/"}${request.url}`;
  const key = publicKey(publicKeyPem);
  let created = 0;
  try {
    const verified = await httpbis.verifyMessage(
      {
        keyLookup: async (params) => {
          created = params.created instanceof Date ? params.created.getTime() : 0;
          return { algs: ["ed25519"], verify: async (data, sig) => verifySignature(null, data, key, sig) };
        },
        requiredFields: [...REQUIRED_COMPONENTS],
        requiredParams: ["created"],
        maxAge: SIGNATURE_MAX_AGE_S,
        tolerance: SIGNATURE_TOLERANCE_S,
      },
      { method: request.method.toUpperCase(), url, headers },
    );
    if (verified !== true) return { ok: false, reason: "the signature does not verify" };
  } catch (err) {
    return { ok: false, reason: (err as Error).message || "the signature does not verify" };
  }
  return {
    ok: true,
    digest: createHash("sha256").update(signature).digest(),
    expiresAt: new Date(created + (SIGNATURE_MAX_AGE_S + SIGNATURE_TOLERANCE_S) * 1000),
  };
}
