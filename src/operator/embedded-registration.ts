import type { Logger } from "pino";
import { API_GROUP, EMBEDDED_SERVER_NAME, GROUP_VERSION, MANAGED_BY_LABEL } from "../crd/index.js";
import { isAlreadyExists, type KubeClient } from "./kube/client.js";
import type { Informer } from "./runtime/informer.js";
import type { KubeObject } from "./kube/objects.js";
import { CLUSTER_TOKEN_SERVERS, resourcePath } from "./kube/resources.js";
import { MANAGED_BY_VALUE } from "./secret-contract.js";

/** Marks the ClusterTokenServer the operator registered for its embedded server. */
export const EMBEDDED_ANNOTATION = `${API_GROUP}/embedded`;

export interface EmbeddedRegistration {
  /** Where other clients reach the embedded server (the operator itself always uses it in-process). */
  url: string;
  /** The Secret holding its admin token, for clients that do not run in the operator. */
  credentialsSecretRef: { namespace: string; name: string; key: string };
}

/**
 * Registers the embedded server as ClusterTokenServer `embedded`: created when missing, its
 * url and credentials kept current when the operator created it, anything else the user set
 * (e.g. allowedNamespaces) left alone. A user-created `embedded` object is never touched.
 */
export async function registerEmbeddedServer(
  client: KubeClient,
  cache: Informer<KubeObject>,
  registration: EmbeddedRegistration,
  log: Logger,
): Promise<void> {
  const existing = cache.get(EMBEDDED_SERVER_NAME);
  const spec = { url: registration.url, credentialsSecretRef: registration.credentialsSecretRef };
  if (!existing) {
    try {
      await client.create(resourcePath(CLUSTER_TOKEN_SERVERS), {
        apiVersion: GROUP_VERSION,
        kind: "ClusterTokenServer",
        metadata: {
          name: EMBEDDED_SERVER_NAME,
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
          annotations: { [EMBEDDED_ANNOTATION]: "true" },
        },
        spec,
      });
      log.info(
        { url: registration.url },
        `registered the embedded server as ClusterTokenServer ${EMBEDDED_SERVER_NAME}`,
      );
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    return;
  }
  if (existing.metadata.annotations?.[EMBEDDED_ANNOTATION] !== "true") return;
  const current = existing.spec as { url?: string; credentialsSecretRef?: unknown } | undefined;
  if (
    current?.url === spec.url &&
    JSON.stringify(current.credentialsSecretRef) === JSON.stringify(spec.credentialsSecretRef)
  )
    return;
  await client.mergePatch(resourcePath(CLUSTER_TOKEN_SERVERS, { name: EMBEDDED_SERVER_NAME }), { spec });
}
