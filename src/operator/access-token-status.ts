import {
  type AccessTokenStatus,
  accessTokenStatusSchema,
  type Condition,
  type RotationReason,
} from "../crd/index.js";
import { findCondition, kubeTime, setCondition } from "./conditions.js";
import type { Failure } from "./failures.js";

/*
 * The AccessToken's status, computed (pure) from what the reconcile established. Conditions:
 *
 * - Ready: True when the Secret holds a working token that matches the spec. False says why.
 * - Issuing: True while a token value is due (first issue, drift, a rotation) and not yet
 *   written; its reason is why it is due, its message what is in the way.
 */

export interface IssuedState {
  generation: number | undefined;
  tokenId: string;
  secretName: string;
  issuedAt: string;
  expiresAt: string | null;
  renewalAt: number | undefined;
  revision: number;
  reason: RotationReason;
  rotateHandled: string | undefined;
  /** Something that does not stop the token from working but the user should see. */
  note?: string;
}

export function readyStatus(
  previous: AccessTokenStatus | undefined,
  s: IssuedState,
  now: number,
): AccessTokenStatus {
  let conditions: Condition[] = previous?.conditions ?? [];
  const expiry = s.expiresAt ? `expires ${s.expiresAt}` : "never expires";
  conditions = setCondition(
    conditions,
    {
      type: "Ready",
      status: "True",
      reason: "Issued",
      message: `Secret ${s.secretName} holds token ${s.tokenId} (revision ${s.revision}, ${expiry})${s.note ? `; ${s.note}` : ""}`,
    },
    s.generation,
    now,
  );
  conditions = setCondition(
    conditions,
    {
      type: "Issuing",
      status: "False",
      reason: "UpToDate",
      message:
        s.renewalAt === undefined
          ? "no rotation scheduled; annotate tokenplane.dev/rotate to rotate"
          : `next rotation at ${kubeTime(s.renewalAt)}`,
    },
    s.generation,
    now,
  );
  return {
    ...(s.generation === undefined ? {} : { observedGeneration: s.generation }),
    conditions,
    tokenId: s.tokenId,
    secretName: s.secretName,
    issuedAt: s.issuedAt,
    ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
    ...(s.renewalAt === undefined ? {} : { renewalTime: kubeTime(s.renewalAt) }),
    revision: s.revision,
    lastRotationReason: s.reason,
    ...(s.rotateHandled === undefined ? {} : { lastRotateAnnotation: s.rotateHandled }),
  };
}

export interface FailureContext {
  generation: number | undefined;
  secretName: string;
  /** An issuance known (from the caches) to be due, or undefined. */
  pending: RotationReason | undefined;
  now: number;
}

/**
 * The status after a failed reconcile, or undefined to leave it as it is. A routine re-check
 * that fails while nothing is due changes nothing (a token server outage must not flip every
 * AccessToken to not ready, nor write to every one); a due rotation that fails while the
 * current token still works keeps Ready and reports on Issuing, as cert-manager does.
 */
export function failureStatus(
  previous: AccessTokenStatus | undefined,
  failure: Failure,
  ctx: FailureContext,
): AccessTokenStatus | undefined {
  const ready = findCondition(previous?.conditions, "Ready");
  const readyNow = ready?.status === "True";
  const specSeen = previous?.observedGeneration === ctx.generation;
  if (readyNow && specSeen && ctx.pending === undefined && failure.transient) return undefined;
  const stillValid = !previous?.expiresAt || Date.parse(previous.expiresAt) > ctx.now;
  const keepReady =
    readyNow && specSeen && stillValid && (ctx.pending === "Manual" || ctx.pending === "Scheduled");
  let conditions: Condition[] = previous?.conditions ?? [];
  if (!keepReady)
    conditions = setCondition(
      conditions,
      { type: "Ready", status: "False", reason: failure.reason, message: failure.message },
      ctx.generation,
      ctx.now,
    );
  if (ctx.pending !== undefined)
    conditions = setCondition(
      conditions,
      { type: "Issuing", status: "True", reason: ctx.pending, message: failure.message },
      ctx.generation,
      ctx.now,
    );
  return {
    ...previous,
    ...(ctx.generation === undefined ? {} : { observedGeneration: ctx.generation }),
    conditions,
    secretName: ctx.secretName,
  };
}

/** The status of an AccessToken the operator cannot act on because its spec is invalid. */
export function invalidSpecStatus(
  previous: AccessTokenStatus | undefined,
  message: string,
  generation: number | undefined,
  now: number,
): AccessTokenStatus {
  return {
    ...previous,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions: setCondition(
      previous?.conditions ?? [],
      { type: "Ready", status: "False", reason: "InvalidSpec", message },
      generation,
      now,
    ),
  };
}

/**
 * The fields of a status read from the API that are as the operator writes them; the others
 * (someone edited or corrupted them) are left out, to be rewritten.
 */
export function usableStatus(raw: unknown): AccessTokenStatus | undefined {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [field, schema] of Object.entries(accessTokenStatusSchema.shape)) {
    const parsed = schema.safeParse((raw as Record<string, unknown>)[field]);
    if (parsed.success && parsed.data !== undefined) out[field] = parsed.data;
  }
  return out;
}
