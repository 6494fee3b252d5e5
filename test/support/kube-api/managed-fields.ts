import { FieldSet, type FieldPath } from "./field-path.js";
import { deepEqual, isObject, type Json, type JsonObject } from "./json.js";
import type { StructureNode } from "./merge-structure.js";
import { fieldSetOf, ownableContent, valueAt } from "./object-fields.js";
import { metaOf } from "./object-meta.js";

/** One metadata.managedFields entry with its field set decoded. */
export interface ManagerEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  subresource: string;
  fields: FieldSet;
}

export interface ManagerIdentity {
  manager: string;
  operation: "Apply" | "Update";
  subresource: string;
}

export const sameManager = (e: ManagerIdentity, id: ManagerIdentity): boolean =>
  e.manager === id.manager && e.operation === id.operation && e.subresource === id.subresource;

export function decodeManagedFields(value: Json | undefined): ManagerEntry[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((e) => ({
    manager: typeof e.manager === "string" ? e.manager : "",
    operation: e.operation === "Apply" ? "Apply" : "Update",
    apiVersion: typeof e.apiVersion === "string" ? e.apiVersion : "",
    time: typeof e.time === "string" ? e.time : "",
    subresource: typeof e.subresource === "string" ? e.subresource : "",
    fields: FieldSet.fromFieldsV1(e.fieldsV1),
  }));
}

export function encodeManagedFields(entries: ManagerEntry[]): Json[] {
  return entries
    .filter((e) => e.fields.size > 0)
    .map((e) => {
      const out: JsonObject = {
        manager: e.manager,
        operation: e.operation,
        apiVersion: e.apiVersion,
        time: e.time,
        fieldsType: "FieldsV1",
        fieldsV1: e.fields.toFieldsV1(),
      };
      if (e.subresource) out.subresource = e.subresource;
      return out;
    });
}

/** metav1.Time has second precision; clients may send milliseconds back (client-node does). */
function normalizeTime(entry: Json): Json {
  if (!isObject(entry) || typeof entry.time !== "string") return entry;
  const ms = Date.parse(entry.time);
  return Number.isNaN(ms) ? entry : { ...entry, time: new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") };
}

function membershipOnly(path: FieldPath): boolean {
  const last = path[path.length - 1];
  return last !== undefined && ("k" in last || "v" in last);
}

/** Paths of `next` that are new or whose value differs from `prev`. */
export function changedPaths(
  prev: JsonObject,
  next: JsonObject,
  nextSet: FieldSet,
  prevSet: FieldSet,
): FieldSet {
  return new FieldSet(
    nextSet.paths().filter((p) => {
      if (!prevSet.has(p)) return true;
      if (membershipOnly(p)) return false;
      return !deepEqual(valueAt(prev, p).value, valueAt(next, p).value);
    }),
  );
}

/**
 * Managed fields after a non-apply write (create, update, non-apply patch): the writer takes the
 * fields it changed, everyone else loses them, and fields that no longer exist belong to no one.
 * The request's own managedFields replace the stored ones only when they differ and are not
 * empty; `[{}]` wipes them, as documented for the real server.
 */
export function trackUpdate(args: {
  old: JsonObject | undefined;
  next: JsonObject;
  requested: Json | undefined;
  id: ManagerIdentity;
  apiVersion: string;
  structure: StructureNode;
  now: string;
}): Json[] | undefined {
  const { old, next, requested, id } = args;
  const stored = old ? metaOf(old).managedFields : undefined;
  if (Array.isArray(requested) && requested.length === 1 && isObject(requested[0])) {
    if (Object.keys(requested[0]).length === 0) return undefined;
  }
  const normalized = Array.isArray(requested) ? requested.map(normalizeTime) : undefined;
  const base = normalized && normalized.length > 0 && !deepEqual(normalized, stored) ? normalized : stored;
  const entries = decodeManagedFields(base);
  const prevContent = ownableContent(old ?? {});
  const nextContent = ownableContent(next);
  const prevSet = fieldSetOf(prevContent, args.structure);
  const nextSet = fieldSetOf(nextContent, args.structure);
  const changed = changedPaths(prevContent, nextContent, nextSet, prevSet);
  let own = entries.find((e) => sameManager(e, id));
  if (!own && changed.size > 0) {
    own = { ...id, apiVersion: args.apiVersion, time: args.now, fields: new FieldSet() };
    entries.push(own);
  }
  for (const entry of entries) {
    const before = entry.fields;
    let after = entry === own ? before.union(changed) : before.difference(changed);
    after = after.intersection(nextSet);
    if (!after.equals(before)) {
      entry.fields = after;
      entry.time = args.now;
      if (entry === own) entry.apiVersion = args.apiVersion;
    }
  }
  const encoded = encodeManagedFields(entries);
  return encoded.length > 0 ? encoded : undefined;
}
