import type { AccessTokenInput } from "./access-token.js";
import { GROUP_VERSION } from "./names.js";
import type { ClusterTokenServerInput, TokenServerInput } from "./token-server.js";

/*
 * The examples of the operator contract (operator.md), complete and valid: for tests, docs and
 * anyone who needs a well-formed object to start from. Each call returns a fresh copy.
 */

export function exampleAccessToken(): AccessTokenInput {
  return {
    apiVersion: GROUP_VERSION,
    kind: "AccessToken",
    metadata: { name: "storefront", namespace: "shop" },
    spec: {
      serverRef: { kind: "ClusterTokenServer", name: "embedded" },
      description: "read-only token for the storefront",
      type: "custom",
      permissions: ["orders:read", "articles:read"],
      kind: "secret",
      duration: "30d",
      rotation: { renewBefore: "10d", gracePeriod: "1h" },
      allowedDomains: ["shop.example.com"],
      allowedIps: ["10.0.0.0/8"],
      credits: { limit: 100000, refill: { amount: 100000, interval: "monthly" } },
      rateLimit: { limit: 100, window: "1m" },
      signedRequests: false,
      secretTemplate: {
        name: "storefront-token",
        type: "Opaque",
        keys: { token: "token", tokenId: "token-id", expiresAt: "expires-at" },
        labels: {},
        annotations: {},
      },
      deletionPolicy: "Revoke",
      rolloutRestartTargets: [{ kind: "Deployment", name: "storefront" }],
    },
    status: {
      observedGeneration: 3,
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "Issued",
          message: "token issued and written to Secret storefront-token",
          observedGeneration: 3,
          lastTransitionTime: "2025-01-01T00:00:00Z",
        },
      ],
      tokenId: "0b1d4c3e-7a51-4f0e-9d55-2c1f7c6a9e10",
      secretName: "storefront-token",
      issuedAt: "2025-01-01T00:00:00Z",
      expiresAt: "2025-01-31T00:00:00Z",
      renewalTime: "2025-01-21T00:00:00Z",
      revision: 2,
      lastRotationReason: "Scheduled",
    },
  };
}

export function exampleClusterTokenServer(): ClusterTokenServerInput {
  return {
    apiVersion: GROUP_VERSION,
    kind: "ClusterTokenServer",
    metadata: { name: "central" },
    spec: {
      url: "https://tokens.internal:8443",
      credentialsSecretRef: { namespace: "tokenplane-system", name: "central-admin", key: "token" },
      caBundle: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
      allowedNamespaces: { matchLabels: { tokens: "enabled" } },
    },
  };
}

export function exampleTokenServer(): TokenServerInput {
  return {
    apiVersion: GROUP_VERSION,
    kind: "TokenServer",
    metadata: { name: "team", namespace: "shop" },
    spec: {
      url: "http://tokens.shop.svc:8080",
      credentialsSecretRef: { name: "team-admin" },
    },
  };
}
