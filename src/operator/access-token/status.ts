import type { AccessTokenStatus } from "../../crd/index.js";
import type { IssuedState } from "../access-token-status.js";
import { canonical } from "../canonical.js";
import { isNotFound } from "../kube/client.js";
import type { KubeObject } from "../kube/objects.js";
import { renewalTime } from "../token-settings.js";
import { accessTokenObject, accessTokenPath, cachedWrite } from "./cached-write.js";
import type { AccessTokenCase, ReconcilerDeps } from "./context.js";
import type { TokenStep } from "./ensure-token.js";

/** What the status records once the Secret holds the step's value. */
export function issuedState(c: AccessTokenCase, step: TokenStep, notes: readonly string[]): IssuedState {
  const { token, issuance } = step;
  return {
    generation: c.raw.metadata.generation,
    tokenId: token.id,
    secretName: c.spec.secret.name,
    issuedAt: issuance.issuedAt,
    expiresAt: token.expiresAt,
    renewalAt: renewalTime(token.expiresAt, c.spec),
    revision: issuance.revision,
    reason: issuance.reason,
    rotateHandled: issuance.rotateHandled,
    ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
  };
}

/** Writes `next` unless it equals the current status (merge patch on /status, nulls for removed fields). */
export async function writeStatus(
  d: ReconcilerDeps,
  key: string,
  raw: KubeObject,
  next: AccessTokenStatus,
): Promise<void> {
  const current = (raw.status ?? {}) as Record<string, unknown>;
  if (canonical(current) === canonical(next)) return;
  const patch: Record<string, unknown> = { ...next };
  for (const field of Object.keys(current)) if (!(field in next)) patch[field] = null;
  const ns = raw.metadata.namespace ?? "";
  try {
    await cachedWrite(d, key, accessTokenObject(d, key), () =>
      d.client.mergePatch<KubeObject>(accessTokenPath(ns, raw.metadata.name, "status"), { status: patch }),
    );
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
}
