import type { CreateResourceBody, UpdateResourceBody } from "../../api/index.js";
import { resourceOf } from "../../core/index.js";
import type { Store } from "./store.js";
import { type Caller, requireAdmin, requirePermission } from "./caller.js";
import { invalid, notFound } from "./errors.js";
import type { ResourceRecord } from "./model.js";

/** The resource registry and the default permissions granted to anonymous requests. */
export function registryService(store: Store) {
  return {
    list(caller: Caller): Promise<ResourceRecord[]> {
      requirePermission(caller, "resources", "read");
      return store.registry.list();
    },

    async get(caller: Caller, name: string): Promise<ResourceRecord> {
      requirePermission(caller, "resources", "read");
      const resource = await store.registry.get(name);
      if (!resource) throw notFound("resource");
      return resource;
    },

    create(caller: Caller, body: CreateResourceBody): Promise<ResourceRecord> {
      requireAdmin(caller, "resources", "create");
      const resource = { name: body.name, description: body.description ?? "", routes: body.routes ?? [] };
      return store.registry.create(resource, {
        actor: caller.actor,
        action: "resource.create",
        targetType: "resource",
        targetId: body.name,
        details: { routes: resource.routes.length },
      });
    },

    async update(caller: Caller, name: string, body: UpdateResourceBody): Promise<ResourceRecord> {
      requireAdmin(caller, "resources", "update");
      const updated = await store.registry.update(name, body, {
        actor: caller.actor,
        action: "resource.update",
        targetType: "resource",
        targetId: name,
      });
      if (!updated) throw notFound("resource");
      return updated;
    },

    async delete(caller: Caller, name: string): Promise<void> {
      requireAdmin(caller, "resources", "delete");
      const deleted = await store.registry.delete(name, {
        actor: caller.actor,
        action: "resource.delete",
        targetType: "resource",
        targetId: name,
      });
      if (!deleted) throw notFound("resource");
    },

    defaultPermissions(caller: Caller): Promise<string[]> {
      requirePermission(caller, "settings", "read");
      return store.registry.defaultPermissions();
    },

    async setDefaultPermissions(caller: Caller, permissions: string[]): Promise<string[]> {
      requireAdmin(caller, "settings", "update");
      const builtIn = new Set((await store.registry.list()).filter((r) => r.builtIn).map((r) => r.name));
      const errors = permissions.flatMap((p, i) =>
        builtIn.has(resourceOf(p))
          ? [
              {
                field: `permissions[${i}]`,
                message: "the management API cannot be opened to anonymous requests",
              },
            ]
          : [],
      );
      if (errors.length > 0) throw invalid(errors);
      return store.registry.setDefaultPermissions(permissions, {
        actor: caller.actor,
        action: "settings.default-permissions",
        targetType: "settings",
        targetId: "default-permissions",
        details: { permissions },
      });
    },
  };
}

export type RegistryService = ReturnType<typeof registryService>;
