import type { AuditEntry } from "../domain/audit-entry.js";
import type { ResourceRecord } from "../domain/model.js";
import type { RegistryStore, ResourceChanges } from "../domain/store.js";
import { StoreError } from "../domain/store-faults.js";
import { recordAudit } from "./audit-trail.js";
import type { ChangeBus } from "./change-bus.js";
import type { Database, Row } from "./database.js";
import { requireRegistered } from "./resource-check.js";

const DEFAULT_PERMISSIONS_KEY = "default-permissions";

/** How many of the tokens that hold a resource a refused delete names. */
export const USED_BY_LIMIT = 20;

function changedFields(current: ResourceRecord, changes: ResourceChanges): string[] {
  const changed: string[] = [];
  if (changes.description !== undefined && changes.description !== current.description)
    changed.push("description");
  if (changes.routes !== undefined && routesKey(changes.routes) !== routesKey(current.routes))
    changed.push("routes");
  return changed;
}

/** Routes as comparable text: jsonb does not keep the order of an object's keys. */
const routesKey = (routes: ResourceRecord["routes"]): string =>
  JSON.stringify(routes.map((r) => [r.pathPrefix, r.methods ?? null]));

const rowToResource = (r: Row): ResourceRecord => ({
  name: r.name as string,
  description: r.description as string,
  routes: r.routes as ResourceRecord["routes"],
  builtIn: r.built_in as boolean,
  createdAt: r.created_at as Date,
});

/** The resource registry and the default (anonymous) permissions that refer to it. */
export function registryStore(db: Database, bus: ChangeBus): RegistryStore {
  return {
    async list(): Promise<ResourceRecord[]> {
      const rows = await db.query(
        "SELECT name, description, routes, built_in, created_at FROM resources ORDER BY name",
      );
      return rows.map(rowToResource);
    },

    async get(name: string): Promise<ResourceRecord | null> {
      const [row] = await db.query(
        "SELECT name, description, routes, built_in, created_at FROM resources WHERE name = $1",
        [name],
      );
      return row ? rowToResource(row) : null;
    },

    async create(
      resource: Pick<ResourceRecord, "name" | "description" | "routes">,
      audit: AuditEntry,
    ): Promise<ResourceRecord> {
      return db.transaction(async (tx) => {
        const [row] = await tx.query(
          `INSERT INTO resources (name, description, routes) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING
           RETURNING name, description, routes, built_in, created_at`,
          [resource.name, resource.description, JSON.stringify(resource.routes)],
        );
        if (!row) throw new StoreError({ kind: "resource-exists", name: resource.name });
        await recordAudit(tx, audit);
        await bus.publish(tx, { entity: "resources", op: "upsert" });
        return rowToResource(row);
      });
    },

    /**
     * Changes a resource's description and/or routes. Changing nothing (no field, or the same
     * values) writes nothing: no audit entry, no change announcement. Null when there is no
     * such resource.
     */
    async update(name: string, changes: ResourceChanges, audit: AuditEntry): Promise<ResourceRecord | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx.query(
          "SELECT name, description, routes, built_in, created_at FROM resources WHERE name = $1 FOR UPDATE",
          [name],
        );
        if (!row) return null;
        const current = rowToResource(row);
        const changed = changedFields(current, changes);
        if (changed.length === 0) return current;
        if (current.builtIn) throw new StoreError({ kind: "resource-built-in", name, change: "update" });
        const next = { ...current, ...changes };
        await tx.query("UPDATE resources SET description = $2, routes = $3 WHERE name = $1", [
          name,
          next.description,
          JSON.stringify(next.routes),
        ]);
        await recordAudit(tx, { ...audit, details: { ...audit.details, fields: changed } });
        await bus.publish(tx, { entity: "resources", op: "upsert" });
        return next;
      });
    },

    /**
     * Removes a resource unless it is built in or still named by a token's permissions or
     * the default permissions. Checked under a lock so a token cannot start using it meanwhile.
     */
    async delete(name: string, audit: AuditEntry): Promise<boolean> {
      return db.transaction(async (tx) => {
        const [row] = await tx.query<{ built_in: boolean }>(
          "SELECT built_in FROM resources WHERE name = $1 FOR UPDATE",
          [name],
        );
        if (!row) return false;
        if (row.built_in) throw new StoreError({ kind: "resource-built-in", name, change: "delete" });
        const [use] = await tx.query<{ tokens: number; ids: string[]; defaults: boolean }>(
          `WITH users AS (
             SELECT DISTINCT t.id FROM tokens t, unnest(t.permissions) p
             WHERE t.revoked_at IS NULL AND split_part(p, ':', 1) = $1
           )
           SELECT
             (SELECT count(*)::int FROM users) AS tokens,
             ARRAY(SELECT id::text FROM users ORDER BY id LIMIT $3) AS ids,
             EXISTS (SELECT 1 FROM settings s, jsonb_array_elements_text(s.value) p
                     WHERE s.key = $2 AND split_part(p, ':', 1) = $1) AS defaults`,
          [name, DEFAULT_PERMISSIONS_KEY, USED_BY_LIMIT],
        );
        if (use && use.tokens > 0)
          throw new StoreError({ kind: "resource-in-use", name, count: use.tokens, tokenIds: use.ids });
        if (use?.defaults) throw new StoreError({ kind: "resource-in-default-permissions", name });
        await tx.query("DELETE FROM resources WHERE name = $1", [name]);
        await recordAudit(tx, audit);
        await bus.publish(tx, { entity: "resources", op: "delete" });
        return true;
      });
    },

    async defaultPermissions(): Promise<string[]> {
      const [row] = await db.query<{ value: string[] }>("SELECT value FROM settings WHERE key = $1", [
        DEFAULT_PERMISSIONS_KEY,
      ]);
      return row?.value ?? [];
    },

    async setDefaultPermissions(permissions: string[], audit: AuditEntry): Promise<string[]> {
      return db.transaction(async (tx) => {
        await requireRegistered(tx, permissions);
        await tx.query(
          `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now())
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
          [DEFAULT_PERMISSIONS_KEY, JSON.stringify(permissions)],
        );
        await recordAudit(tx, audit);
        await bus.publish(tx, { entity: "settings", op: "upsert" });
        return permissions;
      });
    },
  };
}
