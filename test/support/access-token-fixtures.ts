import type { AccessToken as ServerToken } from "../../src/api/index.js";
import { type AccessTokenInput, parseAccessToken, resolveAccessTokenSpec } from "../../src/crd/index.js";

/* An AccessToken `shop/storefront` and the token a server holds for it, for the operator's pure parts. */

/** The resolved spec of AccessToken shop/<name> (uid-1) with `input` as its spec. */
export function resolvedSpec(input: Partial<AccessTokenInput["spec"]> = {}, name = "storefront") {
  const parsed = parseAccessToken({
    apiVersion: "tokenplane.dev/v1alpha1",
    kind: "AccessToken",
    metadata: { name, namespace: "shop", uid: "uid-1" },
    spec: input,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return resolveAccessTokenSpec(parsed.value);
}

/** The server's token for shop/storefront: read-only, never expires, revision 1. */
export function serverToken(over: Partial<ServerToken> = {}): ServerToken {
  return {
    id: "8e0c1d1e-1111-4e0e-9d55-2c1f7c6a9e10",
    userId: "8e0c1d1e-2222-4e0e-9d55-2c1f7c6a9e10",
    name: "shop/storefront",
    description: "",
    kind: "secret",
    type: "read-only",
    permissions: ["*:read"],
    duration: "unlimited",
    expiresAt: null,
    allowedDomains: [],
    allowedIps: [],
    signedRequests: false,
    credits: null,
    rateLimit: null,
    metadata: {},
    externalId: "uid-1",
    displayPrefix: "tps_abcd",
    createdAt: "2025-01-01T00:00:00Z",
    updatedAt: "2025-01-01T00:00:00Z",
    lastUsedAt: null,
    revision: 1,
    ...over,
  };
}
