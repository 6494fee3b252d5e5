import {
  createHash,
  createPublicKey,
  type KeyObject,
  timingSafeEqual,
  verify as verifySignature,
} from "node:crypto";
import { httpbis } from "http-message-signatures";
import { type InnerList, type Item, parseDictionary } from "structured-headers";
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

/** A request to check: the verify API's `request`, or a management call as received. */
export type RequestToCheck = Omit<SignedRequest, "body"> & { body?: string | Buffer | undefined };

/**
 * The one signature the headers carry: its bytes (what replay protection keys on, so a
 * re-serialised or relabelled header is still the same signature) and its `created` and
 * `expires` parameters. A string when the headers are not what RFC 9421 asks for.
 */
function soleSignature(signature: string, input: string): { bytes: Buffer; created: number } | string {
  let signatures: ReturnType<typeof parseDictionary>;
  let inputs: ReturnType<typeof parseDictionary>;
  try {
    signatures = parseDictionary(signature);
    inputs = parseDictionary(input);
  } catch {
    return "malformed signature headers";
  }
  if (inputs.size !== 1 || signatures.size !== 1) return "exactly one signature is expected";
  const [label, [value]] = [...signatures][0] as [string, Item | InnerList];
  const params = inputs.get(label)?.[1];
  if (!params) return "Signature and Signature-Input name different signatures";
  if (!(value instanceof ArrayBuffer) || value.byteLength === 0)
    return "the signature is not a byte sequence";
  const created: unknown = params.get("created");
  if (!Number.isInteger(created)) return "the signature needs an integer created parameter";
  const expires: unknown = params.get("expires");
  if (expires !== undefined) {
    // The library compares expires with a clock-skew allowance (and only when it is a number):
    // a signature's own expiry is the signer's decision, honoured to the second.
    if (!Number.isInteger(expires)) return "the signature's expires parameter is not an integer";
    if ((expires as number) * 1000 <= Date.now()) return "the signature has expired (its expires parameter)";
  }
  return { bytes: Buffer.from(value), created: (created as number) * 1000 };
}

/**
 * Checks an HTTP Message Signature (RFC 9421) made with the token's Ed25519 key: exactly one
 * signature, covering method, path and Content-Digest, with a recent `created` and, when it
 * has one, an `expires` still ahead. When the body is at hand, the digest must match it.
 * Returns the digest of the signature's bytes for replay checks.
 */
export async function checkSignature(
  request: RequestToCheck | undefined,
  publicKeyPem: string | null,
): Promise<SignatureCheck> {
  if (!request) return { ok: false, reason: "the request is not signed" };
  if (!publicKeyPem) return { ok: false, reason: "the token has no signing key" };
  const headers = lowerCaseHeaders(request.headers);
  const signature = headers.signature;
  const input = headers["signature-input"];
  if (!signature || !input) return { ok: false, reason: "Signature and Signature-Input are required" };
  const sole = soleSignature(signature, input);
  if (typeof sole === "string") return { ok: false, reason: sole };
  const digestHeader = headers["content-digest"];
  if (!digestHeader) return { ok: false, reason: "Content-Digest is required" };
  if (request.body !== undefined && !contentDigestMatches(digestHeader, request.body)) {
    return { ok: false, reason: "Content-Digest does not match the body" };
  }

  const url = /^https?:\/\//i.test(request.url)
    ? request.url
    : `http://${headers.host ?? "localhost"}${request.url.startsWith("/") ? "" : "/"}${request.url}`;
  const key = publicKey(publicKeyPem);
  try {
    const verified = await httpbis.verifyMessage(
      {
        keyLookup: async () => ({
          algs: ["ed25519"],
          verify: async (data, sig) => verifySignature(null, data, key, sig),
        }),
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
    digest: createHash("sha256").update(sole.bytes).digest(),
    expiresAt: new Date(sole.created + (SIGNATURE_MAX_AGE_S + SIGNATURE_TOLERANCE_S) * 1000),
  };
}
