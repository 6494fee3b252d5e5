import type { RolloutRestartTarget } from "../crd/index.js";
import { API_GROUP } from "../crd/index.js";
import { isNotFound, type KubeClient } from "./kube/client.js";
import { DAEMON_SETS, DEPLOYMENTS, resourcePath, STATEFUL_SETS } from "./kube/resources.js";

/** The pod template annotation whose change restarts a workload (as `kubectl rollout restart` does). */
export const RESTARTED_AT_ANNOTATION = `${API_GROUP}/restartedAt`;

const RESOURCES = { Deployment: DEPLOYMENTS, StatefulSet: STATEFUL_SETS, DaemonSet: DAEMON_SETS } as const;

export interface RestartOutcome {
  restarted: string[];
  /** `Deployment/web: not found` */
  failed: string[];
}

/** Restarts each target by stamping its pod template; one failure does not stop the others. */
export async function restartTargets(
  client: KubeClient,
  namespace: string,
  targets: readonly RolloutRestartTarget[],
  at: string,
): Promise<RestartOutcome> {
  const outcome: RestartOutcome = { restarted: [], failed: [] };
  const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } };
  await Promise.all(
    targets.map(async (t) => {
      const label = `${t.kind}/${t.name}`;
      const path = resourcePath(RESOURCES[t.kind], { namespace, name: t.name });
      for (let attempt = 0; ; attempt++) {
        try {
          await client.mergePatch(path, patch);
          outcome.restarted.push(label);
          return;
        } catch (err) {
          if (isNotFound(err) || attempt >= 2) {
            outcome.failed.push(`${label}: ${isNotFound(err) ? "not found" : (err as Error).message}`);
            return;
          }
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        }
      }
    }),
  );
  return outcome;
}
