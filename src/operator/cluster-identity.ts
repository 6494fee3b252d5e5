import type { Logger } from "pino";
import { backoffDelay, sleep } from "./runtime/backoff.js";
import { isRefused, type KubeClient, retryAfterMs } from "./kube/client.js";
import type { KubeObject } from "./kube/objects.js";

/**
 * The cluster's identity in server user names: the configured name, else the UID of the
 * kube-system namespace (stable for the cluster's life, distinct between clusters).
 *
 * A failure that passes (the API server busy or away) is waited out: taking "default" then
 * would issue this leader's tokens as other server users than every other leader's, and its
 * successors would not find them. Only when the namespace cannot be read at all (missing,
 * forbidden) is "default" used. Gives up, with "default", when `signal` aborts.
 */
export async function clusterIdentity(
  client: KubeClient,
  configured: string | undefined,
  log: Logger,
  signal?: AbortSignal,
): Promise<string> {
  if (configured) return configured;
  for (let attempt = 0; !signal?.aborted; attempt++) {
    try {
      const ns = await client.get<KubeObject>("/api/v1/namespaces/kube-system");
      if (ns?.metadata.uid) return ns.metadata.uid;
      break;
    } catch (err) {
      if (isRefused(err)) {
        log.warn({ err: (err as Error).message }, "cannot read the kube-system namespace");
        break;
      }
      const delay = Math.max(retryAfterMs(err) ?? 0, backoffDelay(attempt, 200, 10_000));
      log.warn(
        { err: (err as Error).message, retryInMs: delay },
        "cannot read the kube-system namespace yet; retrying",
      );
      await sleep(delay, signal);
    }
  }
  log.warn(
    "no cluster identity: using 'default'; set --cluster-name if several clusters share a token server",
  );
  return "default";
}
