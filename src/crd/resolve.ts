import type { TokenKind, TokenType } from "../core/index.js";
import { parseDuration } from "../core/index.js";
import type {
  AccessToken,
  CreditsSpec,
  RateLimitSpec,
  RolloutRestartTarget,
  ServerRef,
} from "./access-token.js";
import { ACCESS_TOKEN_DEFAULTS as D } from "./defaults.js";
import type { DeletionPolicy } from "./names.js";

/** An AccessToken's spec with every default applied: what the operator acts on. */
export interface ResolvedAccessTokenSpec {
  serverRef: ServerRef;
  description: string;
  type: TokenType;
  /** As declared (only with type custom); see core's `effectivePermissions` for what a type implies. */
  permissions: string[];
  kind: TokenKind;
  /** `unlimited` or a duration string. */
  duration: string;
  /** Lifetime in milliseconds; undefined when the token never expires. */
  durationMs: number | undefined;
  /** How long before expiry to rotate; undefined when the token never expires. */
  renewBeforeMs: number | undefined;
  gracePeriodMs: number;
  allowedDomains: string[];
  allowedIps: string[];
  credits: CreditsSpec | undefined;
  rateLimit: RateLimitSpec | undefined;
  signedRequests: boolean;
  secret: {
    name: string;
    type: string;
    keys: { token: string; tokenId: string; expiresAt: string };
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  deletionPolicy: DeletionPolicy;
  rolloutRestartTargets: RolloutRestartTarget[];
}

function millis(value: string): number {
  const ms = parseDuration(value);
  // Parsed values have passed DURATION_PATTERN; this is only a guard against misuse.
  if (ms === undefined) throw new Error(`not a duration: ${value}`);
  return ms;
}

/**
 * Applies the AccessToken defaults (ACCESS_TOKEN_DEFAULTS, the same values the CRD declares) to
 * a parsed AccessToken. The operator reads specs only through this, so an absent field and its
 * default always mean the same thing.
 */
export function resolveAccessTokenSpec(
  token: Pick<AccessToken, "metadata" | "spec">,
): ResolvedAccessTokenSpec {
  const { spec } = token;
  const durationMs = spec.duration === "unlimited" ? undefined : millis(spec.duration);
  const renewBefore = spec.rotation?.renewBefore;
  const template = spec.secretTemplate;
  return {
    serverRef: spec.serverRef ?? { ...D.serverRef },
    description: spec.description ?? "",
    type: spec.type,
    permissions: [...(spec.permissions ?? [])],
    kind: spec.kind,
    duration: spec.duration,
    durationMs,
    renewBeforeMs:
      durationMs === undefined
        ? undefined
        : renewBefore !== undefined
          ? millis(renewBefore)
          : Math.floor(durationMs / D.renewBeforeDivisor),
    gracePeriodMs: millis(spec.rotation?.gracePeriod ?? D.gracePeriod),
    allowedDomains: [...(spec.allowedDomains ?? [])],
    allowedIps: [...(spec.allowedIps ?? [])],
    credits: spec.credits,
    rateLimit: spec.rateLimit,
    signedRequests: spec.signedRequests,
    secret: {
      name: template?.name ?? token.metadata.name,
      type: template?.type ?? D.secretType,
      keys: {
        token: template?.keys?.token ?? D.secretKeys.token,
        tokenId: template?.keys?.tokenId ?? D.secretKeys.tokenId,
        expiresAt: template?.keys?.expiresAt ?? D.secretKeys.expiresAt,
      },
      labels: { ...template?.labels },
      annotations: { ...template?.annotations },
    },
    deletionPolicy: spec.deletionPolicy,
    rolloutRestartTargets: [...(spec.rolloutRestartTargets ?? [])],
  };
}
