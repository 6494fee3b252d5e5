import { ApiError } from "./api-error.js";
import { FieldSet, pathString, type FieldPath } from "./field-path.js";
import { clone, deepEqual, isObject, setOwn, type Json, type JsonObject } from "./json.js";
import {
  decodeManagedFields,
  encodeManagedFields,
  sameManager,
  type ManagerEntry,
  type ManagerIdentity,
} from "./managed-fields.js";
import { childNode, itemNode, listTypeOf, type StructureNode } from "./merge-structure.js";
import { fieldSetOf, itemKey, ownableContent, removeAt, valueAt } from "./object-fields.js";

/**
 * Server-side apply (structured-merge-diff, approximated): the applied configuration is merged
 * into the live object by the structure's list semantics; a field another manager owns with a
 * different value is a conflict unless `force`; fields this manager applied before and omits now
 * are removed unless someone else owns them.
 */
export function serverSideApply(args: {
  live: JsonObject | undefined;
  applied: JsonObject;
  id: ManagerIdentity;
  force: boolean;
  apiVersion: string;
  structure: StructureNode;
  now: string;
}): JsonObject {
  const { live, id, structure } = args;
  const applied = withoutNulls(ownableContent(args.applied)) as JsonObject;
  // A deep copy: stored objects are frozen, and removing fields below mutates the merge result.
  const liveContent = clone(ownableContent(live ?? {}));
  const entries = decodeManagedFields(isObject(live?.metadata) ? live.metadata.managedFields : undefined);
  const appliedSet = fieldSetOf(applied, structure);
  const others = entries.filter((e) => !sameManager(e, id));

  const conflicts: { entry: ManagerEntry; path: FieldPath }[] = [];
  for (const entry of others) {
    for (const path of entry.fields.intersection(appliedSet).paths()) {
      const current = valueAt(liveContent, path);
      if (!current.found) continue;
      const last = path[path.length - 1];
      const memberOnly = last !== undefined && ("k" in last || "v" in last);
      if (memberOnly || deepEqual(current.value, valueAt(applied, path).value)) continue;
      conflicts.push({ entry, path });
    }
  }
  if (conflicts.length > 0 && !args.force) throw conflictError(conflicts);
  for (const { entry, path } of conflicts) entry.fields = entry.fields.difference(new FieldSet([path]));

  const merged = mergeApplied(liveContent, applied, structure) as JsonObject;
  removeNulledFields(merged, args.applied);
  const own = entries.find((e) => sameManager(e, id));
  const previous = own?.fields ?? new FieldSet();
  for (const path of previous.difference(appliedSet).paths()) {
    if (others.some((e) => e.fields.hasPrefix(path))) continue;
    removeAt(merged, path);
  }

  const remaining = fieldSetOf(merged, structure);
  const result: ManagerEntry[] = [];
  for (const entry of entries) {
    if (entry === own) continue;
    const fields = entry.fields.intersection(remaining);
    result.push({ ...entry, fields, time: fields.equals(entry.fields) ? entry.time : args.now });
  }
  const ownFields = appliedSet.intersection(remaining);
  result.push({
    ...id,
    apiVersion: args.apiVersion,
    time: own && own.fields.equals(ownFields) ? own.time : args.now,
    fields: ownFields,
  });
  if (own) {
    // Keep the manager's original position in the list.
    const index = entries.indexOf(own);
    result.splice(index, 0, result.pop() as ManagerEntry);
  }

  const meta: JsonObject = isObject(merged.metadata) ? { ...merged.metadata } : {};
  const appliedMeta = isObject(args.applied.metadata) ? args.applied.metadata : {};
  const liveMeta = isObject(live?.metadata) ? live.metadata : {};
  for (const key of ["name", "namespace", "resourceVersion"]) {
    const value = appliedMeta[key] ?? liveMeta[key];
    if (value !== undefined) meta[key] = value;
  }
  meta.managedFields = encodeManagedFields(result);
  return {
    apiVersion: args.applied.apiVersion ?? live?.apiVersion ?? null,
    kind: args.applied.kind ?? live?.kind ?? null,
    ...merged,
    metadata: meta,
  };
}

function withoutNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) setOwn(out, k, withoutNulls(v));
  return out;
}

/** An explicit null in the applied configuration removes the field. */
function removeNulledFields(target: JsonObject, applied: Json): void {
  if (!isObject(applied)) return;
  for (const [key, value] of Object.entries(applied)) {
    if (key === "apiVersion" || key === "kind") continue;
    if (value === null) delete target[key];
    else if (isObject(value) && isObject(target[key])) removeNulledFields(target[key], value);
  }
}

export function mergeApplied(live: Json | undefined, applied: Json, node: StructureNode): Json {
  if (isObject(applied)) {
    if (!isObject(live) || node.mapType === "atomic") return applied;
    const out: JsonObject = { ...live };
    for (const [key, value] of Object.entries(applied)) {
      setOwn(
        out,
        key,
        mergeApplied(Object.hasOwn(live, key) ? live[key] : undefined, value, childNode(node, key)),
      );
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const type = listTypeOf(node);
    if (type === "set") {
      const out = [...live];
      for (const item of applied) if (!out.some((e) => deepEqual(e, item))) out.push(item);
      return out;
    }
    if (type === "map") {
      const keys = node.listMapKeys ?? [];
      const out = live.map((item) => {
        const key = itemKey(item, keys);
        const match = key && applied.find((a) => deepEqual(itemKey(a, keys), key));
        return match ? mergeApplied(item, match, itemNode(node)) : item;
      });
      for (const item of applied) {
        const key = itemKey(item, keys);
        if (!key || !live.some((e) => deepEqual(itemKey(e, keys), key))) out.push(item);
      }
      return out;
    }
  }
  return applied;
}

function managerText(entry: ManagerEntry): string {
  let text = JSON.stringify(entry.manager);
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === "Update") text += ` using ${entry.apiVersion}`;
  return text;
}

function conflictError(conflicts: { entry: ManagerEntry; path: FieldPath }[]): ApiError {
  const causes = conflicts.map(({ entry, path }) => ({
    reason: "FieldManagerConflict",
    message: `conflict with ${managerText(entry)}`,
    field: pathString(path),
  }));
  let message: string;
  const first = conflicts[0];
  if (conflicts.length === 1 && first) {
    message = `Apply failed with 1 conflict: conflict with ${managerText(first.entry)}: ${pathString(first.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const { entry, path } of conflicts) {
      const key = managerText(entry);
      byManager.set(key, [...(byManager.get(key) ?? []), pathString(path)]);
    }
    const lines = [...byManager.keys()]
      .sort()
      .flatMap((m) => [`conflicts with ${m}:`, ...(byManager.get(m) ?? []).map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
  }
  return new ApiError(409, "Conflict", message, { causes });
}
