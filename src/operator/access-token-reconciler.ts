import type { Logger } from "pino";
import {
  ApiError,
  type AccessToken as ServerToken,
  type IssuedAccessToken,
  type TokenServerApi,
} from "../api/index.js";
import { displayPrefix, formatDuration } from "../core/index.js";
import {
  type AccessToken,
  type AccessTokenStatus,
  formatFieldError,
  parseAccessToken,
  resolveAccessTokenSpec,
  type ResolvedAccessTokenSpec,
  ROTATE_ANNOTATION,
  type RotationReason,
  type ServerRef,
} from "../crd/index.js";
import { ACCESS_TOKEN_DEFAULTS } from "../crd/index.js";
import {
  canonical,
  failureStatus,
  invalidSpecStatus,
  type IssuedState,
  readyStatus,
  usableStatus,
} from "./access-token-status.js";
import type { EventRecorder } from "./runtime/events.js";
import type { Expectations } from "./runtime/expectations.js";
import { classifyFailure, type Failure } from "./failures.js";
import { isAlreadyExists, isNotFound, isRefused, type KubeClient } from "./kube/client.js";
import type { Informer } from "./runtime/informer.js";
import type { KubeObject, Secret } from "./kube/objects.js";
import { ACCESS_TOKENS, resourcePath, SECRETS } from "./kube/resources.js";
import type { OperatorMetrics } from "./metrics.js";
import { serverRefKey } from "./naming.js";
import { restartTargets } from "./rollout.js";
import {
  type AccessTokenRef,
  classifySecret,
  desiredSecret,
  type Issuance,
  managedLabels,
  secretDiffers,
  type SecretState,
} from "./secret-contract.js";
import { ServerProblem, type ResolvedServer, type ServerRegistry } from "./server-registry.js";
import type { TokenStreams } from "./token-streams.js";
import { createBody, needsNewSecret, renewalTime, settingsPatch } from "./token-settings.js";
import type { UserDirectory } from "./users.js";

/** Keeps the token issued until its AccessToken is gone (and revoked, with policy Revoke). */
export const FINALIZER = "tokenplane.dev/revoke";

/** Test seams: pause at a step, e.g. to crash between creating a token and writing its Secret. */
export interface ReconcileHooks {
  /** Called with the AccessToken key after a token value was issued, before the Secret is written. */
  beforeSecretWrite?: (key: string) => Promise<void>;
}

export interface ReconcilerDeps {
  client: KubeClient;
  accessTokens: Informer<KubeObject>;
  secrets: Informer<Secret>;
  servers: ServerRegistry;
  users: UserDirectory;
  events: EventRecorder;
  expectations: Expectations;
  metrics: OperatorMetrics;
  streams: TokenStreams;
  /** Latest token revision the operator has seen per token id (to skip its own stream events). */
  revisions: Map<string, number>;
  /** Queue the AccessToken with this key again (something changed while writing it). */
  requeue: (key: string) => void;
  log: Logger;
  now: () => number;
  hooks: ReconcileHooks;
}

export type Outcome =
  | { kind: "done"; requeueAfterMs?: number; ready: boolean; renewalAt?: number }
  /** Waiting for the caches to show the operator's own last write; the watch event re-queues. */
  | { kind: "waiting" }
  | { kind: "failed"; failure: Failure; requeueAfterMs?: number };

export const expectationKey = {
  accessToken: (key: string) => `accesstokens|${key}`,
  secret: (key: string) => `secrets|${key}`,
};

const isoNow = (now: number) => new Date(now).toISOString();

/** Why (from the caches alone) a token value is due, before asking the server anything. */
function duePerCache(
  at: AccessToken,
  spec: ResolvedAccessTokenSpec,
  secret: SecretState,
  now: number,
): RotationReason | undefined {
  const revision = at.status?.revision ?? 0;
  if (secret.state !== "owned" || !secret.issuance) return revision > 0 ? "Drift" : "Initial";
  const wanted = at.metadata.annotations?.[ROTATE_ANNOTATION];
  const handled = secret.issuance.rotateHandled ?? at.status?.lastRotateAnnotation;
  if (wanted !== undefined && wanted !== handled) return "Manual";
  const renewal = at.status?.renewalTime ? Date.parse(at.status.renewalTime) : undefined;
  if (renewal !== undefined && spec.renewBeforeMs !== undefined && renewal <= now) return "Scheduled";
  return undefined;
}

/** The rotation a token needs, given the Secret and the token as the server has it. */
function rotationReason(
  at: AccessToken,
  spec: ResolvedAccessTokenSpec,
  secret: SecretState,
  token: ServerToken,
  server: ResolvedServer,
  now: number,
): RotationReason | undefined {
  const issuance = secret.state === "owned" ? secret.issuance : undefined;
  const everIssued = (issuance?.revision ?? at.status?.revision ?? 0) > 0;
  if (!issuance) return everIssued ? "Drift" : "Initial";
  if (issuance.server !== server.key) return "SpecChanged";
  if (issuance.tokenId !== token.id || displayPrefix(issuance.token) !== token.displayPrefix) return "Drift";
  if (needsNewSecret(token, spec)) return "SpecChanged";
  const wanted = at.metadata.annotations?.[ROTATE_ANNOTATION];
  if (wanted !== undefined && wanted !== (issuance.rotateHandled ?? at.status?.lastRotateAnnotation))
    return "Manual";
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return "Scheduled";
  const renewal = renewalTime(token.expiresAt, spec);
  if (renewal !== undefined && renewal <= now) return "Scheduled";
  return undefined;
}

/**
 * A value issued after its token's expiry was last set (a rotation whose expiry update
 * failed): give the token its full duration again, without a new value.
 */
function expiryRepair(
  token: ServerToken,
  spec: ResolvedAccessTokenSpec,
  issuance: Issuance | undefined,
): { duration: string } | undefined {
  if (spec.durationMs === undefined || !token.expiresAt || !issuance) return undefined;
  const earliestExpected = Date.parse(issuance.issuedAt) + spec.durationMs - 60_000;
  return Date.parse(token.expiresAt) < earliestExpected ? { duration: spec.duration } : undefined;
}

/** Lenient reads for deleting an AccessToken whose spec does not parse. */
function deletionSettings(raw: KubeObject): { serverRef: ServerRef; policy: "Revoke" | "Retain" } {
  const spec = (raw.spec ?? {}) as { serverRef?: ServerRef; deletionPolicy?: string };
  const ref = spec.serverRef;
  return {
    serverRef:
      ref && typeof ref.kind === "string" && typeof ref.name === "string"
        ? ref
        : { ...ACCESS_TOKEN_DEFAULTS.serverRef },
    policy: spec.deletionPolicy === "Retain" ? "Retain" : "Revoke",
  };
}

/**
 * One reconcile of one AccessToken, level-based: it reads the world (caches, the token
 * server), decides, acts, and writes status. Every step is idempotent, and the durable state
 * lives on the token server (externalId = UID) and in the Secret's annotations, so a crash at
 * any point is recovered by the next reconcile — never by issuing a second token.
 */
export class AccessTokenReconciler {
  /**
   * AccessTokens whose Secret the API server refused last time: its name was taken by a Secret
   * tokenplane does not own, or the Secret as templated is invalid (or forbidden).
   */
  private readonly refused = new Set<string>();

  constructor(private readonly d: ReconcilerDeps) {}

  private path(ns: string, name: string, subresource?: string): string {
    return resourcePath(ACCESS_TOKENS, { namespace: ns, name, ...(subresource ? { subresource } : {}) });
  }

  /**
   * Sends a write to an object the caches watch, so that its watch event is recognised as the
   * operator's own (and a stale cache is not acted on before it arrives). A change by someone
   * else that arrives meanwhile re-queues the AccessToken.
   */
  private async write<T extends KubeObject>(
    at: string,
    cache: { informer: Informer<KubeObject> | Informer<Secret>; expectation: string; key: string },
    send: () => Promise<T>,
  ): Promise<T> {
    const { expectations } = this.d;
    expectations.beginWrite(cache.expectation);
    let version: string | undefined;
    try {
      const result = await send();
      version = result?.metadata?.resourceVersion;
      return result;
    } finally {
      const cached = cache.informer.get(cache.key)?.metadata.resourceVersion;
      if (expectations.endWrite(cache.expectation, version, cached)) this.d.requeue(at);
    }
  }

  private atCache(key: string) {
    return { informer: this.d.accessTokens, expectation: expectationKey.accessToken(key), key };
  }

  private secretCache(key: string) {
    return { informer: this.d.secrets, expectation: expectationKey.secret(key), key };
  }

  async reconcile(key: string): Promise<Outcome> {
    const d = this.d;
    if (!d.expectations.satisfied(expectationKey.accessToken(key))) return { kind: "waiting" };
    const raw = d.accessTokens.get(key);
    if (!raw) return { kind: "done", ready: false };
    const meta = raw.metadata;
    const ns = meta.namespace ?? "";
    if (meta.deletionTimestamp) return this.finalize(key, raw);

    // The status is the operator's own record: fields that are not what it writes (edited,
    // corrupted) are dropped and rewritten, never a reason to refuse the spec.
    const status = usableStatus(raw.status);
    const parsed = parseAccessToken({ ...raw, status });
    if (!parsed.ok) {
      const message = parsed.errors.map(formatFieldError).join("; ");
      try {
        await this.writeStatus(key, raw, invalidSpecStatus(status, message, meta.generation, d.now()));
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
    const secretState = classifySecret(d.secrets.get(secretKey), ref);
    const pending = duePerCache(at, spec, secretState, d.now());

    let current: KubeObject = raw;
    try {
      if (spec.deletionPolicy === "Revoke" && !(meta.finalizers ?? []).includes(FINALIZER)) {
        current = await this.write(key, this.atCache(key), () =>
          d.client.mergePatch<KubeObject>(this.path(ns, meta.name), {
            metadata: {
              finalizers: [...(meta.finalizers ?? []), FINALIZER],
              resourceVersion: meta.resourceVersion,
            },
          }),
        );
      }
      if (secretState.state === "conflict") {
        throw new SecretConflict(conflictMessage(secretState.message));
      }
      return await this.converge(key, current, at, spec, ref, secretState);
    } catch (err) {
      const failure =
        err instanceof SecretConflict
          ? { reason: "SecretConflict", message: err.message, transient: false, kubernetes: false }
          : classifyFailure(err);
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        d.servers.invalidate(serverRefKey(spec.serverRef));
      }
      if (!failure.kubernetes) {
        const status = failureStatus(at.status, failure, {
          generation: meta.generation,
          secretName: spec.secret.name,
          pending,
          now: d.now(),
        });
        d.events.record(current, "Warning", failure.reason, failure.message);
        if (status) await this.writeStatus(key, current, status).catch(() => undefined);
      }
      return { kind: "failed", failure };
    }
  }

  private async converge(
    key: string,
    raw: KubeObject,
    at: AccessToken,
    spec: ResolvedAccessTokenSpec,
    ref: AccessTokenRef,
    secretState: SecretState,
  ): Promise<Outcome> {
    const d = this.d;
    const now = d.now();
    if (secretState.state === "missing" && this.refused.has(key)) await this.checkSecretWritable(ref, spec);
    const server = await d.servers.resolve(spec.serverRef, ref.namespace);
    const userId = await this.userId(server, ref.namespace);
    d.streams.ensure({ serverKey: server.key, namespace: ref.namespace, userId });
    const api = server.api;

    const issuance = secretState.state === "owned" ? secretState.issuance : undefined;
    const previousRevision = issuance?.revision ?? at.status?.revision ?? 0;
    const secret =
      secretState.state === "owned" || secretState.state === "adoptable"
        ? d.secrets.get(`${ref.namespace}/${spec.secret.name}`)
        : undefined;

    // The token: by the id we know, else by externalId (a crash may have lost the id).
    const serverChanged = issuance !== undefined && issuance.server !== server.key;
    const knownId = issuance ? (serverChanged ? undefined : issuance.tokenId) : at.status?.tokenId;
    let token: ServerToken | undefined = knownId ? await api.getToken(userId, knownId) : undefined;
    const brandNew = !knownId && !issuance && previousRevision === 0 && secretState.state === "missing";
    if (!token && !brandNew) token = await api.findTokenByExternalId(userId, ref.uid);

    let issued: IssuedAccessToken | undefined;
    let reason: RotationReason | undefined;
    let deferred: unknown;
    const changes: string[] = [];
    if (!token) {
      reason = serverChanged ? "SpecChanged" : previousRevision > 0 ? "Drift" : "Initial";
      try {
        issued = await api.createToken(userId, createBody(ref, spec));
        token = issued;
      } catch (err) {
        // The namespace's user was deleted on the server: it is created again on the next try.
        if (err instanceof ApiError && err.status === 404)
          d.users.forget(`${server.key}|${server.identity}`, ref.namespace);
        const existingId = err instanceof ApiError && err.status === 409 ? err.problem.existingId : undefined;
        if (!existingId) throw err;
        token = await api.getToken(userId, existingId);
        if (!token) throw err;
      }
    }
    if (!issued) {
      const patch = settingsPatch(token, ref, spec) ?? expiryRepair(token, spec, issuance);
      if (patch) {
        token = await api.updateToken(userId, token.id, patch);
        changes.push(...Object.keys(patch));
      }
      reason = rotationReason(at, spec, secretState, token, server, now);
      if (reason) {
        // A value someone may still use gets the grace period; one nobody ever received does
        // not, nor one that has expired (extending the expiry would bring it back to life).
        const expired = token.expiresAt !== null && Date.parse(token.expiresAt) <= now;
        const graceMs =
          previousRevision > 0 && issuance?.tokenId === token.id && !expired ? spec.gracePeriodMs : 0;
        issued = await api.regenerateToken(userId, token.id, {
          kind: spec.kind,
          signedRequests: spec.signedRequests,
          ...(graceMs > 0 ? { gracePeriod: formatDuration(graceMs) } : {}),
        });
        token = issued;
        // Regenerating keeps the expiry; each issued value gets the full duration. If that
        // fails, the new value is still written (the old one may be gone already) and the
        // next reconcile repairs the expiry (see expiryRepair).
        if (spec.durationMs !== undefined) {
          try {
            token = await api.updateToken(userId, token.id, { duration: spec.duration });
          } catch (err) {
            deferred = err;
          }
        }
      }
    }
    d.revisions.set(token.id, token.revision);

    const wantedRotate = at.metadata.annotations?.[ROTATE_ANNOTATION];
    const next: Issuance = issued
      ? {
          token: issued.token,
          tokenId: token.id,
          ...(issued.privateKey ? { privateKey: issued.privateKey } : {}),
          revision: previousRevision + 1,
          issuedAt: isoNow(now),
          reason: reason ?? "Initial",
          ...(wantedRotate !== undefined ? { rotateHandled: wantedRotate } : {}),
          server: server.key,
        }
      : (issuance as Issuance);

    // The Secret: created if missing (never over someone else's), rewritten when its value or layout is stale.
    const desired = desiredSecret(ref, spec, next, token.expiresAt, secret);
    const secretKey = `${ref.namespace}/${spec.secret.name}`;
    if (issued) await d.hooks.beforeSecretWrite?.(key);
    if (!secret) {
      try {
        await this.write(key, this.secretCache(secretKey), () =>
          d.client.create<Secret>(resourcePath(SECRETS, { namespace: ref.namespace }), desired),
        );
      } catch (err) {
        if (isAlreadyExists(err)) {
          this.refused.add(key);
          throw new SecretConflict(
            conflictMessage(`Secret ${spec.secret.name} exists and is not managed by tokenplane`),
          );
        }
        if (isRefused(err)) this.refused.add(key);
        throw err;
      }
    } else if (issued || secretDiffers(secret, desired)) {
      await this.write(key, this.secretCache(secretKey), () =>
        d.client.replace<Secret>(
          resourcePath(SECRETS, { namespace: ref.namespace, name: spec.secret.name }),
          desired,
        ),
      );
    }

    const notes: string[] = [];
    if (secret && secret.type !== spec.secret.type)
      notes.push(
        `the Secret's type is ${secret.type ?? "Opaque"}, not ${spec.secret.type} (a Secret's type cannot change: delete the Secret to have it recreated)`,
      );
    if (issued) {
      d.metrics.tokensIssued.inc({ reason: next.reason });
      d.log.info(
        {
          accessToken: key,
          tokenId: token.id,
          reason: next.reason,
          revision: next.revision,
          prefix: displayPrefix(issued.token),
        },
        "issued a token value into the Secret",
      );
      const what = next.reason === "Initial" ? "Issued" : "Rotated";
      d.events.record(
        raw,
        "Normal",
        what,
        `${what === "Issued" ? "issued" : `rotated (${next.reason})`} token ${token.id} into Secret ${spec.secret.name}, revision ${next.revision}`,
      );
      if (next.reason !== "Initial" && spec.rolloutRestartTargets.length > 0) {
        const outcome = await restartTargets(
          d.client,
          ref.namespace,
          spec.rolloutRestartTargets,
          isoNow(now),
        );
        if (outcome.restarted.length > 0)
          d.events.record(raw, "Normal", "RolloutRestarted", `restarted ${outcome.restarted.join(", ")}`);
        if (outcome.failed.length > 0) {
          d.events.record(
            raw,
            "Warning",
            "RolloutRestartFailed",
            `could not restart ${outcome.failed.join(", ")}`,
          );
          notes.push(`could not restart ${outcome.failed.join(", ")}`);
        }
      }
      // Two references may name the same server: then the "old" token is this one.
      if (issuance && issuance.server !== server.key && issuance.tokenId !== token.id)
        await this.revokeOnOldServer(raw, issuance, ref);
    } else if (changes.length > 0) {
      d.events.record(raw, "Normal", "Updated", `applied ${changes.sort().join(", ")} to token ${token.id}`);
    }

    const renewalAt = renewalTime(token.expiresAt, spec);
    const state: IssuedState = {
      generation: raw.metadata.generation,
      tokenId: token.id,
      secretName: spec.secret.name,
      issuedAt: next.issuedAt,
      expiresAt: token.expiresAt,
      renewalAt,
      revision: next.revision,
      reason: next.reason,
      rotateHandled: next.rotateHandled,
      ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
    };
    this.refused.delete(key);
    await this.writeStatus(key, raw, readyStatus(at.status, state, now));
    if (deferred !== undefined) return { kind: "failed", failure: classifyFailure(deferred) };
    return {
      kind: "done",
      ready: true,
      ...(renewalAt === undefined ? {} : { renewalAt, requeueAfterMs: Math.max(0, renewalAt - d.now()) }),
    };
  }

  /**
   * After the Secret was refused, asks (with a dry run, which writes nothing) whether the
   * Secret as templated can be created now, before issuing a value: a refusal that lasts (a
   * name taken, a template the API server finds invalid) does not regenerate the token each retry.
   */
  private async checkSecretWritable(ref: AccessTokenRef, spec: ResolvedAccessTokenSpec): Promise<void> {
    try {
      await this.d.client.request("POST", resourcePath(SECRETS, { namespace: ref.namespace }), {
        query: { dryRun: "All" },
        body: {
          apiVersion: "v1",
          kind: "Secret",
          metadata: {
            name: spec.secret.name,
            namespace: ref.namespace,
            labels: { ...spec.secret.labels, ...managedLabels(ref.name) },
            annotations: spec.secret.annotations,
          },
          type: spec.secret.type,
        },
      });
    } catch (err) {
      if (isAlreadyExists(err))
        throw new SecretConflict(
          conflictMessage(`Secret ${spec.secret.name} exists and is not managed by tokenplane`),
        );
      throw err;
    }
  }

  private async userId(server: ResolvedServer, namespace: string): Promise<string> {
    return this.d.users.userId(`${server.key}|${server.identity}`, server.api, namespace);
  }

  /** The serverRef changed: the token on the previous server is revoked once the new one is in place. */
  private async revokeOnOldServer(raw: KubeObject, old: Issuance, ref: AccessTokenRef): Promise<void> {
    const [kind, name] = old.server.split("/") as [ServerRef["kind"], string];
    try {
      const server = await this.d.servers.resolve({ kind, name }, ref.namespace, { forRevoke: true });
      const userId = await this.userId(server, ref.namespace);
      await server.api.revokeToken(userId, old.tokenId);
      this.d.events.record(
        raw,
        "Normal",
        "Revoked",
        `revoked token ${old.tokenId} on ${old.server} (serverRef changed)`,
      );
    } catch (err) {
      this.d.events.record(
        raw,
        "Warning",
        "RevokeFailed",
        `could not revoke token ${old.tokenId} on ${old.server} after serverRef changed: ${(err as Error).message}`,
      );
    }
  }

  /** Deleted with the finalizer: revoke (policy Revoke) or keep (Retain) the token, then let go. */
  private async finalize(key: string, raw: KubeObject): Promise<Outcome> {
    const d = this.d;
    const meta = raw.metadata;
    if (!(meta.finalizers ?? []).includes(FINALIZER)) return { kind: "done", ready: false };
    const ns = meta.namespace ?? "";
    const { serverRef, policy } = deletionSettings(raw);
    if (policy === "Revoke") {
      try {
        const server = await d.servers.resolve(serverRef, ns, { forRevoke: true });
        const userId = await this.userId(server, ns);
        const status = raw.status as AccessTokenStatus | undefined;
        const ids = new Set<string>();
        if (status?.tokenId) ids.add(status.tokenId);
        const byExternalId = await server.api.findTokenByExternalId(userId, meta.uid ?? "");
        if (byExternalId) ids.add(byExternalId.id);
        for (const id of ids) await server.api.revokeToken(userId, id);
        d.events.record(
          raw,
          "Normal",
          "Revoked",
          ids.size > 0 ? `revoked token ${[...ids].join(", ")}` : "no token to revoke",
        );
      } catch (err) {
        if (err instanceof ServerProblem && err.reason === "ServerNotFound") {
          // The reference itself is gone: nothing can revoke the token any more.
          d.events.record(raw, "Warning", "RevokeSkipped", `${err.message}: the token was not revoked`);
        } else {
          const failure = classifyFailure(err);
          d.events.record(
            raw,
            "Warning",
            "RevokeFailed",
            `${failure.message}; keeping the finalizer and retrying`,
          );
          return { kind: "failed", failure };
        }
      }
    } else {
      d.events.record(raw, "Normal", "Retained", "deletionPolicy Retain: the token stays on the server");
    }
    try {
      // Until the cache shows this (usually the deletion), a reconcile would revoke again.
      await this.write(key, this.atCache(key), () =>
        d.client.mergePatch<KubeObject>(this.path(ns, meta.name), {
          metadata: {
            finalizers: (meta.finalizers ?? []).filter((f) => f !== FINALIZER),
            resourceVersion: meta.resourceVersion,
          },
        }),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return { kind: "done", ready: false };
  }

  /** Writes `next` unless it equals the current status (merge patch on /status, nulls for removed fields). */
  private async writeStatus(key: string, raw: KubeObject, next: AccessTokenStatus): Promise<void> {
    const current = (raw.status ?? {}) as Record<string, unknown>;
    if (canonical(current) === canonical(next)) return;
    const patch: Record<string, unknown> = { ...next };
    for (const field of Object.keys(current)) if (!(field in next)) patch[field] = null;
    const ns = raw.metadata.namespace ?? "";
    try {
      await this.write(key, this.atCache(key), () =>
        this.d.client.mergePatch<KubeObject>(this.path(ns, raw.metadata.name, "status"), { status: patch }),
      );
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

const conflictMessage = (what: string) =>
  `${what}; it is never overwritten: delete it, or recreate the AccessToken under another secretTemplate.name`;

class SecretConflict extends Error {
  override name = "SecretConflict";
}

export type { TokenServerApi };
