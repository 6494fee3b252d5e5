import { ApiError } from "../../api/index.js";
import {
  formatFieldError,
  parseAccessToken,
  resolveAccessTokenSpec,
  ROTATE_ANNOTATION,
} from "../../crd/index.js";
import { failureStatus, invalidSpecStatus, readyStatus, usableStatus } from "../access-token-status.js";
import { classifyFailure, type Failure } from "../failures.js";
import type { KubeObject } from "../kube/objects.js";
import { serverRefKey } from "../naming.js";
import { type AccessTokenRef, classifySecret } from "../secret-contract.js";
import { afterRotation } from "./after-rotation.js";
import { expectationKey } from "./cached-write.js";
import type { AccessTokenCase, Outcome, ReconcilerDeps } from "./context.js";
import { checkSecretWritable, conflictMessage, ensureSecret, SecretConflict } from "./ensure-secret.js";
import { ensureToken } from "./ensure-token.js";
import { ensureFinalizer, finalize } from "./finalize.js";
import { planRotation } from "./rotation-plan.js";
import { issuedState, writeStatus } from "./status.js";
import { AccessTokenGone } from "./still-exists.js";

/**
 * One reconcile of one AccessToken, level-based: it reads the world (caches, the token
 * server), decides, acts, and writes status. Every step is idempotent, and the durable state
 * lives on the token server (externalId = UID) and in the Secret's annotations, so a crash at
 * any point is recovered by the next reconcile — never by issuing a second token.
 *
 * The steps, each in its own file: finalize (deleted) or ensure the finalizer, the rotation
 * plan, ensure the token, ensure the Secret, after rotation, status.
 */
export class AccessTokenReconciler {
  /**
   * AccessTokens whose Secret the API server refused last time: its name was taken by a Secret
   * tokenplane does not own, or the Secret as templated is invalid (or forbidden).
   */
  private readonly refused = new Set<string>();

  constructor(private readonly d: ReconcilerDeps) {}

  async reconcile(key: string): Promise<Outcome> {
    const d = this.d;
    if (!d.expectations.satisfied(expectationKey.accessToken(key))) return { kind: "waiting" };
    const raw = d.accessTokens.get(key);
    if (!raw) return { kind: "done", ready: false };
    const meta = raw.metadata;
    const ns = meta.namespace ?? "";
    if (meta.deletionTimestamp) return finalize(d, key, raw);

    // The status is the operator's own record: fields that are not what it writes (edited,
    // corrupted) are dropped and rewritten, never a reason to refuse the spec.
    const status = usableStatus(raw.status);
    const parsed = parseAccessToken({ ...raw, status });
    if (!parsed.ok) {
      const message = parsed.errors.map(formatFieldError).join("; ");
      try {
        await writeStatus(d, key, raw, invalidSpecStatus(status, message, meta.generation, d.now()));
      } catch (err) {
        return { kind: "failed", failure: classifyFailure(err) };
      }
      return { kind: "done", ready: false };
    }
    const at = parsed.value;
    const spec = resolveAccessTokenSpec(at);
    const ref: AccessTokenRef = { name: meta.name, namespace: ns, uid: meta.uid ?? "" };
    const secretKey = `${ns}/${spec.secret.name}`;
    if (!d.expectations.satisfied(expectationKey.secret(secretKey))) return { kind: "waiting" };
    // One read of the Secret: what is decided and what is written come from the same view.
    const cached = d.secrets.get(secretKey);
    const secretState = classifySecret(cached, ref);
    const writable = secretState.state === "owned" || secretState.state === "adoptable";
    const secret = writable ? cached : undefined;
    const issuance = secretState.state === "owned" ? secretState.issuance : undefined;
    // What the caches alone say is due: a failure before the server answers reports it.
    const pending = planRotation({
      spec,
      status: at.status,
      rotateRequested: meta.annotations?.[ROTATE_ANNOTATION],
      issuance,
      now: d.now(),
    })?.reason;

    let current: KubeObject = raw;
    try {
      current = await ensureFinalizer(d, key, raw, spec.deletionPolicy);
      if (secretState.state === "conflict") throw new SecretConflict(conflictMessage(secretState.message));
      return await this.converge({
        key,
        raw: current,
        at,
        spec,
        ref,
        secretState,
        secret,
        issuance,
        now: d.now(),
      });
    } catch (err) {
      // Its Secret went with it (still-exists.ts): the AccessToken's own deletion event follows.
      if (err instanceof AccessTokenGone) return { kind: "done", ready: false };
      const failure: Failure =
        err instanceof SecretConflict
          ? { reason: "SecretConflict", message: err.message, transient: false, kubernetes: false }
          : classifyFailure(err);
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        d.servers.invalidate(serverRefKey(spec.serverRef));
      }
      if (!failure.kubernetes) {
        const next = failureStatus(at.status, failure, {
          generation: meta.generation,
          secretName: spec.secret.name,
          pending,
          now: d.now(),
        });
        d.events.record(current, "Warning", failure.reason, failure.message);
        if (next) await writeStatus(d, key, current, next).catch(() => undefined);
      }
      return { kind: "failed", failure };
    }
  }

  /** The token, the Secret, what follows a rotation, and the status: in this order. */
  private async converge(c: AccessTokenCase): Promise<Outcome> {
    const d = this.d;
    if (c.secretState.state === "missing" && this.refused.has(c.key))
      await checkSecretWritable(d, c.ref, c.spec);
    const step = await ensureToken(d, c);
    const secretNotes = await ensureSecret(d, c, step, this.refused);
    const rotationNotes = await afterRotation(d, c, step);
    const state = issuedState(c, step, [...secretNotes, ...rotationNotes]);
    this.refused.delete(c.key);
    await writeStatus(d, c.key, c.raw, readyStatus(c.at.status, state, c.now));
    if (step.deferred !== undefined) return { kind: "failed", failure: classifyFailure(step.deferred) };
    const { renewalAt } = state;
    return {
      kind: "done",
      ready: true,
      ...(renewalAt === undefined ? {} : { renewalAt, requeueAfterMs: Math.max(0, renewalAt - d.now()) }),
    };
  }
}
