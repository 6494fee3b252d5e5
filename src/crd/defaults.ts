import type { TokenKind, TokenType } from "../core/index.js";
import type { DeletionPolicy, ServerKind } from "./names.js";
import { EMBEDDED_SERVER_NAME } from "./names.js";

/**
 * Every AccessToken default, in one place. The top-level scalars also become schema defaults
 * (the API server fills them in); nested ones are applied only in code by `resolveAccessTokenSpec`,
 * because defaults inside objects and list items make GitOps tools see perpetual diffs.
 */
export const ACCESS_TOKEN_DEFAULTS = {
  serverRef: { kind: "ClusterTokenServer" as ServerKind, name: EMBEDDED_SERVER_NAME },
  type: "read-only" as TokenType,
  kind: "secret" as TokenKind,
  duration: "unlimited",
  /** renewBefore is the duration divided by this. */
  renewBeforeDivisor: 3,
  gracePeriod: "0s",
  signedRequests: false,
  secretType: "Opaque",
  secretKeys: { token: "token", tokenId: "token-id", expiresAt: "expires-at" },
  deletionPolicy: "Revoke" as DeletionPolicy,
} as const;
