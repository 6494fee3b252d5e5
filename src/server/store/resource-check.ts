import { resourceOf } from "../../core/index.js";
import { StoreError } from "../domain/store-faults.js";
import type { Sql } from "./database.js";

/**
 * Every permission must name a registered resource (or `*`). Locks the rows it finds so a
 * concurrent delete of the resource waits for this transaction. The fault names each entry.
 */
export async function requireRegistered(tx: Sql, permissions: readonly string[]): Promise<void> {
  const names = [...new Set(permissions.map(resourceOf))].filter((n) => n !== "*");
  if (names.length === 0) return;
  const rows = await tx.query<{ name: string }>("SELECT name FROM resources WHERE name = ANY($1) FOR SHARE", [
    names,
  ]);
  const known = new Set(rows.map((r) => r.name));
  const entries = permissions.flatMap((p, index) => {
    const resource = resourceOf(p);
    return resource === "*" || known.has(resource) ? [] : [{ index, resource }];
  });
  if (entries.length > 0) throw new StoreError({ kind: "unregistered-resources", entries });
}
