import { isObject, type Json, type JsonObject } from "./json.js";

/** Accessors for `metadata` on JSON objects whose metadata has already been checked to be an object. */
export function metaOf(obj: JsonObject): JsonObject {
  const meta = obj.metadata;
  return isObject(meta) ? meta : {};
}

function str(value: Json | undefined): string {
  return typeof value === "string" ? value : "";
}

export const nameOf = (obj: JsonObject): string => str(metaOf(obj).name);
export const namespaceOf = (obj: JsonObject): string => str(metaOf(obj).namespace);
export const uidOf = (obj: JsonObject): string => str(metaOf(obj).uid);
export const resourceVersionOf = (obj: JsonObject): string => str(metaOf(obj).resourceVersion);

export function generationOf(obj: JsonObject): number {
  const gen = metaOf(obj).generation;
  return typeof gen === "number" ? gen : 0;
}

export function isDeleting(obj: JsonObject): boolean {
  return typeof metaOf(obj).deletionTimestamp === "string";
}

export function finalizersOf(obj: JsonObject): string[] {
  const value = metaOf(obj).finalizers;
  return Array.isArray(value) ? value.filter((f): f is string => typeof f === "string") : [];
}

export function labelsOf(obj: JsonObject): Record<string, string> {
  const value = metaOf(obj).labels;
  const out: Record<string, string> = {};
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export function ownerReferencesOf(obj: JsonObject): OwnerRef[] {
  const value = metaOf(obj).ownerReferences;
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((ref) => ({
    apiVersion: str(ref.apiVersion),
    kind: str(ref.kind),
    name: str(ref.name),
    uid: str(ref.uid),
    controller: ref.controller === true,
    blockOwnerDeletion: ref.blockOwnerDeletion === true,
  }));
}

/** Returns a copy of `obj` with metadata fields replaced (undefined removes a field). */
export function withMeta(obj: JsonObject, changes: Record<string, Json | undefined>): JsonObject {
  const meta: JsonObject = { ...metaOf(obj) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete meta[key];
    else meta[key] = value;
  }
  return { ...obj, metadata: meta };
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}
