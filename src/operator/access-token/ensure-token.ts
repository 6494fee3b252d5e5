import {
  ApiError,
  type AccessToken as ServerToken,
  type IssuedAccessToken,
  type UpdateAccessTokenBody,
} from "../../api/index.js";
import { formatDuration } from "../../core/index.js";
import { ROTATE_ANNOTATION, type ResolvedAccessTokenSpec } from "../../crd/index.js";
import type { Issuance } from "../secret-contract.js";
import type { ResolvedServer } from "../server-registry.js";
import { createBody, settingsPatch } from "../token-settings.js";
import type { AccessTokenCase, ReconcilerDeps } from "./context.js";
import { serverUserId } from "./context.js";
import { planRotation, type Rotation, type RotationInput } from "./rotation-plan.js";
import { ensureStillExists } from "./still-exists.js";

/** The token on the server after this step, and the value the Secret is to hold. */
export interface TokenStep {
  server: ResolvedServer;
  token: ServerToken;
  /** The value issued now and why; undefined when the Secret's value stays. */
  issued: { value: IssuedAccessToken; rotation: Rotation } | undefined;
  /** What the Secret is to record: the new issuance, or the one it holds. */
  issuance: Issuance;
  /** Settings applied to the token without a new value (field names). */
  changes: string[];
  /** Giving a new value its full duration failed: reported once the value is safe in the Secret. */
  deferred?: unknown;
}

/**
 * A value issued after its token's expiry was last set (a rotation whose expiry update
 * failed): give the token its full duration again, without a new value. A settings repair,
 * not a rotation.
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

const previousRevision = (c: AccessTokenCase): number => c.issuance?.revision ?? c.at.status?.revision ?? 0;

/** The token: by the id we know, else by externalId (a crash may have lost the id). */
async function findToken(
  c: AccessTokenCase,
  server: ResolvedServer,
  userId: string,
): Promise<ServerToken | undefined> {
  const { issuance } = c;
  const serverChanged = issuance !== undefined && issuance.server !== server.key;
  const knownId = issuance ? (serverChanged ? undefined : issuance.tokenId) : c.at.status?.tokenId;
  const token = knownId ? await server.api.getToken(userId, knownId) : undefined;
  if (token) return token;
  // Nothing was ever issued and nothing recorded: there is nothing to find.
  const brandNew = !knownId && !issuance && previousRevision(c) === 0 && c.secretState.state === "missing";
  return brandNew ? undefined : server.api.findTokenByExternalId(userId, c.ref.uid);
}

/** Creates the token; a 409 naming the one that exists (by externalId) answers with that one instead. */
async function createToken(
  d: ReconcilerDeps,
  c: AccessTokenCase,
  server: ResolvedServer,
  userId: string,
): Promise<{ issued: IssuedAccessToken } | { existing: ServerToken }> {
  try {
    return { issued: await server.api.createToken(userId, createBody(c.ref, c.spec)) };
  } catch (err) {
    // The namespace's user was deleted on the server: it is created again on the next try.
    if (err instanceof ApiError && err.status === 404)
      d.users.forget(`${server.key}|${server.identity}`, c.ref.namespace);
    const existingId = err instanceof ApiError && err.status === 409 ? err.problem.existingId : undefined;
    if (!existingId) throw err;
    const existing = await server.api.getToken(userId, existingId);
    if (!existing) throw err;
    return { existing };
  }
}

/** A new value for the existing token, then its full duration (see `deferred`). */
async function regenerate(
  c: AccessTokenCase,
  server: ResolvedServer,
  userId: string,
  token: ServerToken,
): Promise<{ issued: IssuedAccessToken; token: ServerToken; deferred?: unknown }> {
  const { spec, now } = c;
  // A value someone may still use gets the grace period; one nobody ever received does
  // not, nor one that has expired (extending the expiry would bring it back to life).
  const expired = token.expiresAt !== null && Date.parse(token.expiresAt) <= now;
  const graceMs =
    previousRevision(c) > 0 && c.issuance?.tokenId === token.id && !expired ? spec.gracePeriodMs : 0;
  const issued = await server.api.regenerateToken(userId, token.id, {
    kind: spec.kind,
    signedRequests: spec.signedRequests,
    ...(graceMs > 0 ? { gracePeriod: formatDuration(graceMs) } : {}),
  });
  // Regenerating keeps the expiry; each issued value gets the full duration. If that fails,
  // the new value is still written (the old one may be gone already) and the next reconcile
  // repairs the expiry (see expiryRepair).
  if (spec.durationMs === undefined) return { issued, token: issued };
  try {
    return { issued, token: await server.api.updateToken(userId, token.id, { duration: spec.duration }) };
  } catch (err) {
    return { issued, token: issued, deferred: err };
  }
}

function nextIssuance(
  c: AccessTokenCase,
  server: ResolvedServer,
  token: ServerToken,
  issued: { value: IssuedAccessToken; rotation: Rotation },
): Issuance {
  const wantedRotate = c.at.metadata.annotations?.[ROTATE_ANNOTATION];
  return {
    token: issued.value.token,
    tokenId: token.id,
    ...(issued.value.privateKey ? { privateKey: issued.value.privateKey } : {}),
    revision: previousRevision(c) + 1,
    issuedAt: new Date(c.now).toISOString(),
    reason: issued.rotation.reason,
    ...(wantedRotate !== undefined ? { rotateHandled: wantedRotate } : {}),
    server: server.key,
  };
}

/**
 * Brings the token on the server in line with the spec: finds it, creates it when it is
 * missing, applies changed settings, and issues a new value when the rotation plan says so.
 */
export async function ensureToken(d: ReconcilerDeps, c: AccessTokenCase): Promise<TokenStep> {
  const server = await d.servers.resolve(c.spec.serverRef, c.ref.namespace);
  const userId = await serverUserId(d, server, c.ref.namespace);
  d.streams.ensure({ serverKey: server.key, namespace: c.ref.namespace, userId });
  const plan = (token: ServerToken | undefined): Rotation | undefined => {
    const input: RotationInput = {
      spec: c.spec,
      status: c.at.status,
      rotateRequested: c.at.metadata.annotations?.[ROTATE_ANNOTATION],
      issuance: c.issuance,
      server: { key: server.key, token },
      now: c.now,
    };
    return planRotation(input);
  };

  let token = await findToken(c, server, userId);
  let issued: TokenStep["issued"];
  let deferred: unknown;
  const changes: string[] = [];
  if (!token) {
    const created = await createToken(d, c, server, userId);
    if ("issued" in created) {
      // With no token on the server the plan always answers; the fallback is for the type.
      const rotation = plan(undefined) ?? { reason: "Initial", message: "no token on the server" };
      issued = { value: created.issued, rotation };
      token = created.issued;
    } else token = created.existing;
  }
  if (!issued) {
    const patch: UpdateAccessTokenBody | undefined =
      settingsPatch(token, c.ref, c.spec) ?? expiryRepair(token, c.spec, c.issuance);
    if (patch) {
      token = await server.api.updateToken(userId, token.id, patch);
      changes.push(...Object.keys(patch));
    }
    const rotation = plan(token);
    if (rotation) {
      // A new value for a token whose Secret is missing: unless the Secret went with the AccessToken.
      if (c.secretState.state === "missing") await ensureStillExists(d, c.raw);
      const next = await regenerate(c, server, userId, token);
      issued = { value: next.issued, rotation };
      token = next.token;
      deferred = next.deferred;
    }
  }
  d.revisions.set(token.id, token.revision);
  let issuance: Issuance;
  if (issued) issuance = nextIssuance(c, server, token, issued);
  // The plan issues whenever the Secret holds no value of this AccessToken's.
  else if (c.issuance) issuance = c.issuance;
  else throw new Error("no token value to write: the Secret holds none and none was issued");
  return { server, token, issued, issuance, changes, ...(deferred !== undefined ? { deferred } : {}) };
}
