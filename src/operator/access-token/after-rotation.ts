import { displayPrefix } from "../../core/index.js";
import type { ServerRef } from "../../crd/index.js";
import type { KubeObject } from "../kube/objects.js";
import { restartTargets } from "../rollout.js";
import type { AccessTokenRef, Issuance } from "../secret-contract.js";
import { type AccessTokenCase, type ReconcilerDeps, serverUserId } from "./context.js";
import type { TokenStep } from "./ensure-token.js";

/** The serverRef changed: the token on the previous server is revoked once the new one is in place. */
async function revokeOnOldServer(
  d: ReconcilerDeps,
  raw: KubeObject,
  old: Issuance,
  ref: AccessTokenRef,
): Promise<void> {
  const [kind, name] = old.server.split("/") as [ServerRef["kind"], string];
  try {
    const server = await d.servers.resolve({ kind, name }, ref.namespace, { forRevoke: true });
    const userId = await serverUserId(d, server, ref.namespace);
    await server.api.revokeToken(userId, old.tokenId);
    d.events.record(
      raw,
      "Normal",
      "Revoked",
      `revoked token ${old.tokenId} on ${old.server} (serverRef changed)`,
    );
  } catch (err) {
    d.events.record(
      raw,
      "Warning",
      "RevokeFailed",
      `could not revoke token ${old.tokenId} on ${old.server} after serverRef changed: ${(err as Error).message}`,
    );
  }
}

/** Restarts the workloads that read the Secret; returns a note when some could not be. */
async function restartRollouts(d: ReconcilerDeps, c: AccessTokenCase): Promise<string[]> {
  if (c.spec.rolloutRestartTargets.length === 0) return [];
  const stamp = new Date(c.now).toISOString();
  const outcome = await restartTargets(d.client, c.ref.namespace, c.spec.rolloutRestartTargets, stamp);
  if (outcome.restarted.length > 0)
    d.events.record(c.raw, "Normal", "RolloutRestarted", `restarted ${outcome.restarted.join(", ")}`);
  if (outcome.failed.length === 0) return [];
  const message = `could not restart ${outcome.failed.join(", ")}`;
  d.events.record(c.raw, "Warning", "RolloutRestartFailed", message);
  return [message];
}

/**
 * Once the Secret holds the step's value: says what happened (metrics, log, events), and after
 * a rotation restarts the rollout targets and revokes the token left on a previous server.
 * Returns notes for the status.
 */
export async function afterRotation(
  d: ReconcilerDeps,
  c: AccessTokenCase,
  step: TokenStep,
): Promise<string[]> {
  const { token, issued, issuance: next } = step;
  if (!issued) {
    if (step.changes.length > 0)
      d.events.record(
        c.raw,
        "Normal",
        "Updated",
        `applied ${[...step.changes].sort().join(", ")} to token ${token.id}`,
      );
    return [];
  }
  d.metrics.tokensIssued.inc({ reason: next.reason });
  d.log.info(
    {
      accessToken: c.key,
      tokenId: token.id,
      reason: next.reason,
      why: issued.rotation.message,
      revision: next.revision,
      prefix: displayPrefix(issued.value.token),
    },
    "issued a token value into the Secret",
  );
  const initial = next.reason === "Initial";
  d.events.record(
    c.raw,
    "Normal",
    initial ? "Issued" : "Rotated",
    `${initial ? "issued" : `rotated (${next.reason})`} token ${token.id} into Secret ${c.spec.secret.name}, revision ${next.revision}`,
  );
  const notes = initial ? [] : await restartRollouts(d, c);
  // Two references may name the same server: then the "old" token is this one.
  const old = c.issuance;
  if (old && old.server !== step.server.key && old.tokenId !== token.id)
    await revokeOnOldServer(d, c.raw, old, c.ref);
  return notes;
}
