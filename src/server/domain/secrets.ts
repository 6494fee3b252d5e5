import { generateKeyPairSync } from "node:crypto";
import { displayPrefix, generateToken, type TokenKind } from "../../core/index.js";
import type { NewSecret } from "./store.js";
import { hashSecret, type Peppers } from "./peppers.js";

export interface IssuedSecret {
  plain: string;
  displayPrefix: string;
  stored: NewSecret;
  /** PEM Ed25519 private key when the token requires signed requests; shown once. */
  privateKey?: string;
}

/**
 * A fresh token and what is stored of it: the keyed hash and, for signed-request tokens,
 * the public half of a new Ed25519 key pair (the server never keeps the private half).
 */
export function issueSecret(peppers: Peppers, kind: TokenKind, signedRequests: boolean): IssuedSecret {
  const plain = generateToken(kind);
  let publicKey: string | null = null;
  let privateKey: string | undefined;
  if (signedRequests) {
    const pair = generateKeyPairSync("ed25519");
    publicKey = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
    privateKey = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  }
  return {
    plain,
    displayPrefix: displayPrefix(plain),
    stored: { hash: hashSecret(peppers, plain), pepperVersion: peppers.current, publicKey },
    ...(privateKey ? { privateKey } : {}),
  };
}
