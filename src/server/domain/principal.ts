import { BlockList, isIPv4 } from "node:net";
import { effectivePermissions } from "../../core/index.js";
import type { SecretRecord, TokenRecord } from "./model.js";

/** A stored secret resolved to its token, with what checks need precomputed once. */
export interface ResolvedToken {
  tokenId: string;
  token: TokenRecord;
  secret: SecretRecord;
  permissions: string[];
  /** Null when the token has no IP restriction. */
  ipRanges: BlockList | null;
}

export function resolveToken(token: TokenRecord, secret: SecretRecord): ResolvedToken {
  return {
    tokenId: token.id,
    token,
    secret,
    permissions: effectivePermissions(token.type, token.permissions),
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
