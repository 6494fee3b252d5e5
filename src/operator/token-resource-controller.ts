import type { Caches } from "./caches.js";
import { ownKey, watch } from "./runtime/controller.js";
import type { Manager } from "./runtime/manager.js";
import { onlyStatusChanged } from "./runtime/predicates.js";
import type { TokenResourceReconciler } from "./token-resource-reconciler.js";

/**
 * Registers the TokenResource controller (keys: the cluster-scoped object's name).
 * `onRegistered` is told when a resource was registered on its server now.
 */
export function registerTokenResourceController(
  manager: Manager,
  caches: Caches,
  reconciler: TokenResourceReconciler,
  onRegistered: () => void,
): void {
  manager.registerController({
    name: "TokenResource",
    primary: caches.tokenResources,
    logField: "tokenResource",
    watches: [
      watch(caches.tokenResources, (c) => (c.type === "deleted" || onlyStatusChanged(c) ? [] : ownKey(c))),
    ],
    reconcile: async (key) => {
      const outcome = await reconciler.reconcile(key);
      if (outcome.kind === "failed")
        return { result: "error", reason: outcome.reason, message: outcome.message };
      if (outcome.registered) onRegistered();
      return { result: "success" };
    },
  });
}
