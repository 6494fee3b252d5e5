import { createHash, createPrivateKey, randomBytes, sign } from "node:crypto";
import { httpbis } from "http-message-signatures";

export interface RequestToSign {
  method: string;
  /** Absolute URL of the request. */
  url: string | URL;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** `sha-256=:<base64>:` (RFC 9530) of a body; the empty body when there is none. */
export function contentDigest(body: string | Uint8Array = ""): string {
  return `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
}

/**
 * Signs a request for a token that requires signed requests: adds Content-Digest and an
 * HTTP Message Signature (RFC 9421, Ed25519) over method, path, authority and the digest,
 * with a creation time and a random nonce (two identical requests get distinct signatures,
 * so neither is mistaken for a replay). Returns the headers to send (lower-case names), the
 * given ones included.
 */
export async function signRequest(
  request: RequestToSign,
  privateKeyPem: string,
  keyId = "tokenplane",
): Promise<Record<string, string>> {
  const key = createPrivateKey(privateKeyPem);
  const headers: Record<string, string> = {
    ...request.headers,
    "content-digest": contentDigest(request.body),
  };
  const signed = await httpbis.signMessage(
    {
      key: { id: keyId, alg: "ed25519", sign: async (data) => sign(null, data, key) },
      fields: ["@method", "@path", "@authority", "content-digest"],
      params: ["created", "keyid", "alg", "nonce"],
      paramValues: { nonce: randomBytes(16).toString("base64url") },
    },
    { method: request.method.toUpperCase(), url: String(request.url), headers },
  );
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
