import type { KubeObject } from "../kube/objects.js";
import { accessTokenPath } from "./cached-write.js";
import type { ReconcilerDeps } from "./context.js";

/**
 * Whether the AccessToken still exists and is not being deleted, read from the API server,
 * not the cache. A Secret that vanished may have gone with its AccessToken: the garbage
 * collector deletes it through its ownerReference, and that watch event can reach the
 * operator before the AccessToken's own. Issuing a new value then would end the one that
 * `deletionPolicy: Retain` keeps working.
 */
export async function stillExists(d: ReconcilerDeps, raw: KubeObject): Promise<boolean> {
  const meta = raw.metadata;
  const live = await d.client.get<KubeObject>(accessTokenPath(meta.namespace ?? "", meta.name));
  return live !== undefined && live.metadata.uid === meta.uid && !live.metadata.deletionTimestamp;
}
