import type { Logger } from "pino";
import type { KubeClient } from "./kube/client.js";
import type { KubeObject } from "./kube/objects.js";

/**
 * The cluster's identity in server user names: the configured name, else the UID of the
 * kube-system namespace (stable for the cluster's life, distinct between clusters).
 */
export async function clusterIdentity(
  client: KubeClient,
  configured: string | undefined,
  log: Logger,
): Promise<string> {
  if (configured) return configured;
  try {
    const ns = await client.get<KubeObject>("/api/v1/namespaces/kube-system");
    if (ns?.metadata.uid) return ns.metadata.uid;
  } catch (err) {
    log.warn({ err: (err as Error).message }, "cannot read the kube-system namespace");
  }
  log.warn(
    "no cluster identity: using 'default'; set --cluster-name if several clusters share a token server",
  );
  return "default";
}
