import { ACCESS_TOKEN_DEFAULTS, type AccessTokenStatus, type ServerRef } from "../../crd/index.js";
import { classifyFailure } from "../failures.js";
import { isNotFound } from "../kube/client.js";
import type { KubeObject } from "../kube/objects.js";
import { ServerProblem } from "../server-registry.js";
import { accessTokenObject, accessTokenPath, cachedWrite } from "./cached-write.js";
import { type Outcome, type ReconcilerDeps, serverUserId } from "./context.js";

/** Keeps the token issued until its AccessToken is gone (and revoked, with policy Revoke). */
export const FINALIZER = "tokenplane.dev/revoke";

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

/** Sets the AccessToken's finalizers (with its resourceVersion: a concurrent change wins and re-queues). */
function patchFinalizers(
  d: ReconcilerDeps,
  key: string,
  raw: KubeObject,
  finalizers: string[],
): Promise<KubeObject> {
  const meta = raw.metadata;
  return cachedWrite(d, key, accessTokenObject(d, key), () =>
    d.client.mergePatch<KubeObject>(accessTokenPath(meta.namespace ?? "", meta.name), {
      metadata: { finalizers, resourceVersion: meta.resourceVersion },
    }),
  );
}

/** With policy Revoke, the finalizer goes on before any token is issued; returns the object as written. */
export async function ensureFinalizer(
  d: ReconcilerDeps,
  key: string,
  raw: KubeObject,
  policy: "Revoke" | "Retain",
): Promise<KubeObject> {
  const finalizers = raw.metadata.finalizers ?? [];
  if (policy !== "Revoke" || finalizers.includes(FINALIZER)) return raw;
  return patchFinalizers(d, key, raw, [...finalizers, FINALIZER]);
}

/** Revokes every token this AccessToken may have on the server: the recorded id and the one by externalId. */
async function revokeAll(d: ReconcilerDeps, raw: KubeObject, serverRef: ServerRef): Promise<void> {
  const ns = raw.metadata.namespace ?? "";
  const server = await d.servers.resolve(serverRef, ns, { forRevoke: true });
  const userId = await serverUserId(d, server, ns);
  const status = raw.status as AccessTokenStatus | undefined;
  const ids = new Set<string>();
  if (status?.tokenId) ids.add(status.tokenId);
  const byExternalId = await server.api.findTokenByExternalId(userId, raw.metadata.uid ?? "");
  if (byExternalId) ids.add(byExternalId.id);
  for (const id of ids) await server.api.revokeToken(userId, id);
  d.events.record(
    raw,
    "Normal",
    "Revoked",
    ids.size > 0 ? `revoked token ${[...ids].join(", ")}` : "no token to revoke",
  );
}

/** Deleted with the finalizer: revoke (policy Revoke) or keep (Retain) the token, then let go. */
export async function finalize(d: ReconcilerDeps, key: string, raw: KubeObject): Promise<Outcome> {
  const finalizers = raw.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) return { kind: "done", ready: false };
  const { serverRef, policy } = deletionSettings(raw);
  if (policy === "Revoke") {
    try {
      await revokeAll(d, raw, serverRef);
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
    await patchFinalizers(
      d,
      key,
      raw,
      finalizers.filter((f) => f !== FINALIZER),
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return { kind: "done", ready: false };
}
