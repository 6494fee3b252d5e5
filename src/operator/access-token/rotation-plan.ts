import type { AccessToken as ServerToken } from "../../api/index.js";
import { displayPrefix } from "../../core/index.js";
import type { AccessTokenStatus, ResolvedAccessTokenSpec, RotationReason } from "../../crd/index.js";
import type { Issuance } from "../secret-contract.js";
import { needsNewSecret, renewalTime } from "../token-settings.js";

/*
 * Whether an AccessToken needs a new token value, and why. A chain of small policies: each
 * looks at the inputs and answers with a rotation or nothing, and the first answer wins (as
 * cert-manager's issuing triggers). Pure: the reconcile gathers the inputs, this decides; it
 * is the one place such a decision is made, from the caches alone or with the server's token.
 */

export interface RotationInput {
  spec: ResolvedAccessTokenSpec;
  status: AccessTokenStatus | undefined;
  /** The `tokenplane.dev/rotate` annotation's value, if set. */
  rotateRequested: string | undefined;
  /** What the AccessToken's own Secret records about the value it holds (undefined: none it can trust). */
  issuance: Issuance | undefined;
  /**
   * The server the spec names (its key) and the token found there for this AccessToken
   * (undefined: none). Absent before the server was asked: the plan then decides from the
   * caches alone (what a failed reconcile reports as due).
   */
  server?: { key: string; token: ServerToken | undefined };
  now: number;
}

export interface Rotation {
  reason: RotationReason;
  /** Why, for logs (never a token value). */
  message: string;
}

export type RotationPolicy = (input: RotationInput) => Rotation | undefined;

const issuedBefore = (i: RotationInput): boolean => (i.issuance?.revision ?? i.status?.revision ?? 0) > 0;

/** A value to issue again: Drift when one was issued before, Initial when none ever was. */
const reissue = (i: RotationInput, lost: string): Rotation =>
  issuedBefore(i)
    ? { reason: "Drift", message: lost }
    : { reason: "Initial", message: "no token value was issued yet" };

/** The Secret holds no value this AccessToken issued (missing, adopted, or edited). */
export const secretHoldsNoValue: RotationPolicy = (i) =>
  i.issuance ? undefined : reissue(i, "the Secret does not hold the issued token value");

/** The spec names another server than the one the Secret's value was issued on. */
export const serverChanged: RotationPolicy = (i) =>
  i.server && i.issuance && i.issuance.server !== i.server.key
    ? { reason: "SpecChanged", message: `serverRef changed from ${i.issuance.server} to ${i.server.key}` }
    : undefined;

/** The server has no token for this AccessToken (deleted there, or lost before it was recorded). */
export const tokenMissing: RotationPolicy = (i) =>
  i.server && !i.server.token ? reissue(i, "the token server has no token for this AccessToken") : undefined;

/** The Secret's value is not the server's token: another token, or one regenerated since. */
export const valueMismatch: RotationPolicy = (i) => {
  const token = i.server?.token;
  if (!token || !i.issuance) return undefined;
  const same = i.issuance.tokenId === token.id && displayPrefix(i.issuance.token) === token.displayPrefix;
  return same ? undefined : { reason: "Drift", message: `the Secret's value is not token ${token.id}'s` };
};

/** The spec changed the kind or signedRequests: only a new value has them. */
export const secretKindChanged: RotationPolicy = (i) =>
  i.server?.token && needsNewSecret(i.server.token, i.spec)
    ? { reason: "SpecChanged", message: "the token's kind or signedRequests changed" }
    : undefined;

/** The rotate annotation holds a value no issuance acted on yet. */
export const rotationRequested: RotationPolicy = (i) => {
  const handled = i.issuance?.rotateHandled ?? i.status?.lastRotateAnnotation;
  return i.rotateRequested !== undefined && i.rotateRequested !== handled
    ? { reason: "Manual", message: `rotation requested (${i.rotateRequested})` }
    : undefined;
};

/**
 * The token expired, or its renewal time (renewBefore ahead of the expiry) came. Without the
 * server's token, the renewal time the status last recorded is what the caches know.
 */
export const renewalDue: RotationPolicy = (i) => {
  if (!i.server) {
    const recorded = i.status?.renewalTime ? Date.parse(i.status.renewalTime) : undefined;
    return recorded !== undefined && i.spec.renewBeforeMs !== undefined && recorded <= i.now
      ? { reason: "Scheduled", message: `renewal time ${i.status?.renewalTime} passed` }
      : undefined;
  }
  const token = i.server.token;
  if (!token?.expiresAt) return undefined;
  if (Date.parse(token.expiresAt) <= i.now)
    return { reason: "Scheduled", message: `the token expired at ${token.expiresAt}` };
  const renewal = renewalTime(token.expiresAt, i.spec);
  return renewal !== undefined && renewal <= i.now
    ? { reason: "Scheduled", message: `renewal time ${new Date(renewal).toISOString()} passed` }
    : undefined;
};

/** In order: what makes the Secret's value unusable first, then requests, then the schedule. */
export const ROTATION_POLICIES: readonly RotationPolicy[] = [
  secretHoldsNoValue,
  serverChanged,
  tokenMissing,
  valueMismatch,
  secretKindChanged,
  rotationRequested,
  renewalDue,
];

/** The rotation the first policy asks for, or undefined when the Secret's value stays. */
export function planRotation(
  input: RotationInput,
  policies: readonly RotationPolicy[] = ROTATION_POLICIES,
): Rotation | undefined {
  for (const policy of policies) {
    const rotation = policy(input);
    if (rotation) return rotation;
  }
  return undefined;
}
