import type { KubeObject } from "../kube/objects.js";
import { accessTokenPath } from "./cached-write.js";
import type { ReconcilerDeps } from "./context.js";

/** The AccessToken is gone (or going) on the API server, though the cache still shows it. */
export class AccessTokenGone extends Error {
  override name = "AccessTokenGone";
}

/**
 * Throws AccessTokenGone unless the AccessToken still exists and is not being deleted, read
 * from the API server, not the cache. A Secret that vanished may have gone with its
 * AccessToken: the garbage collector deletes it through its ownerReference, and that watch
 * event can reach the operator before the AccessToken's own. Issuing a new value then would
 * end the one that `deletionPolicy: Retain` keeps working.
 */
export async function ensureStillExists(d: ReconcilerDeps, raw: KubeObject): Promise<void> {
  const meta = raw.metadata;
  const live = await d.client.get<KubeObject>(accessTokenPath(meta.namespace ?? "", meta.name));
  if (!live || live.metadata.uid !== meta.uid || live.metadata.deletionTimestamp)
    throw new AccessTokenGone(`AccessToken ${meta.namespace}/${meta.name} is gone`);
}
