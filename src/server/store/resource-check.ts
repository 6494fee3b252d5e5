import { resourceOf } from "../../core/index.js";
import { invalid } from "../domain/errors.js";
import type { Sql } from "./database.js";

/**
 * Every permission must name a registered resource (or `*`). Locks the rows it finds so a
 * concurrent delete of the resource waits for this transaction. Errors name each entry.
 */
export async function requireRegistered(
  tx: Sql,
  permissions: readonly string[],
  field = "permissions",
): Promise<void> {
  const names = [...new Set(permissions.map(resourceOf))].filter((n) => n !== "*");
  if (names.length === 0) return;
  const rows = await tx.query<{ name: string }>("SELECT name FROM resources WHERE name = ANY($1) FOR SHARE", [
    names,
  ]);
  const known = new Set(rows.map((r) => r.name));
  const errors = permissions.flatMap((p, i) => {
    const resource = resourceOf(p);
    return resource === "*" || known.has(resource)
      ? []
      : [
          {
            field: `${field}[${i}]`,
            message: `unknown resource "${resource}"; register it first (POST /api/v1/resources)`,
          },
        ];
  });
  if (errors.length > 0) throw invalid(errors);
}
