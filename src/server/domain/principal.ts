import { BlockList, isIPv4 } from "node:net";
import { effectivePermissions } from "../../core/index.js";
import type { SecretRecord, TokenRecord } from "./model.js";

/**
 * What verification and authentication read from a token. The resolver caches one per live
 * token (up to hundreds of thousands), so it holds only these fields.
 */
export type VerifiableToken = Pick<
  TokenRecord,
  | "id"
  | "userId"
  | "name"
  | "kind"
  | "type"
  | "expiresAt"
  | "allowedDomains"
  | "allowedIps"
  | "signedRequests"
  | "credits"
  | "rateLimit"
  | "metadata"
  | "displayPrefix"
>;

/** What verification reads from the secret that matched (its hash was compared already). */
export type VerifiableSecret = Pick<SecretRecord, "pepperVersion" | "publicKey" | "expiresAt">;

/** A stored secret resolved to its token, with what checks need precomputed once. */
export interface ResolvedToken {
  tokenId: string;
  token: VerifiableToken;
  secret: VerifiableSecret;
  permissions: string[];
  /** Null when the token has no IP restriction. */
  ipRanges: BlockList | null;
}

// Rows from storage carry fresh copies of strings many tokens share (owner, kind, type, permissions, domains):
// keep one of each, bounded so hostile variety cannot grow it without limit.
const shared = new Map<string, string>();
const intern = (value: string): string => {
  const known = shared.get(value);
  if (known !== undefined) return known;
  if (shared.size < 10_000) shared.set(value, value);
  return value;
};
const NONE: string[] = [];
const internAll = (values: readonly string[]): string[] => (values.length === 0 ? NONE : values.map(intern));

export function resolveToken(token: TokenRecord, secret: SecretRecord): ResolvedToken {
  return {
    tokenId: token.id,
    token: {
      id: token.id,
      userId: intern(token.userId),
      name: token.name,
      kind: intern(token.kind) as TokenRecord["kind"],
      type: intern(token.type) as TokenRecord["type"],
      expiresAt: token.expiresAt,
      allowedDomains: internAll(token.allowedDomains),
      allowedIps: internAll(token.allowedIps),
      signedRequests: token.signedRequests,
      credits: token.credits,
      rateLimit: token.rateLimit,
      metadata: token.metadata,
      displayPrefix: token.displayPrefix,
    },
    secret: { pepperVersion: secret.pepperVersion, publicKey: secret.publicKey, expiresAt: secret.expiresAt },
    permissions: internAll(effectivePermissions(token.type, token.permissions)),
    ipRanges: token.allowedIps.length > 0 ? compileRanges(token.allowedIps) : null,
  };
}

function compileRanges(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = "", bits] = cidr.split("/");
    const family = isIPv4(address) ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}
