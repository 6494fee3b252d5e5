import type { ServerKind } from "../crd/index.js";
import type { Caches } from "./caches.js";
import { ownKey, watch } from "./runtime/controller.js";
import type { Manager } from "./runtime/manager.js";
import { onlyStatusChanged } from "./runtime/predicates.js";
import type { ServerStatusReconciler } from "./server-status-reconciler.js";

/**
 * Registers one controller per server kind (TokenServer: keys `namespace/name`;
 * ClusterTokenServer: `name`), each keeping its objects' Ready condition current.
 */
export function registerServerStatusControllers(
  manager: Manager,
  caches: Caches,
  reconciler: ServerStatusReconciler,
): void {
  const register = (kind: ServerKind, informer: Caches["tokenServers"]) =>
    manager.registerController({
      name: kind,
      primary: informer,
      watches: [watch(informer, (c) => (onlyStatusChanged(c) ? [] : ownKey(c)))],
      reconcile: async (key) => {
        await reconciler.reconcile(kind, key);
        return { result: "success" };
      },
    });
  register("TokenServer", caches.tokenServers);
  register("ClusterTokenServer", caches.clusterTokenServers);
}
