import { FieldSet, type FieldPath, type PathElement } from "./field-path.js";
import { deepEqual, isObject, type Json, type JsonObject } from "./json.js";
import { childNode, itemNode, listTypeOf, type StructureNode } from "./merge-structure.js";

/** Metadata the server owns; never tracked in managedFields. */
const SYSTEM_METADATA = [
  "name",
  "generateName",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
];

/** The part of an object that field managers can own. */
export function ownableContent(obj: JsonObject): JsonObject {
  const out: JsonObject = { ...obj };
  delete out.apiVersion;
  delete out.kind;
  if (isObject(obj.metadata)) {
    const meta: JsonObject = { ...obj.metadata };
    for (const key of SYSTEM_METADATA) delete meta[key];
    if (Object.keys(meta).length > 0) out.metadata = meta;
    else delete out.metadata;
  }
  return out;
}

/** Key fields of a map-list item, or undefined if the item lacks one of them. */
export function itemKey(item: Json, keys: string[]): JsonObject | undefined {
  if (!isObject(item)) return undefined;
  const out: JsonObject = {};
  for (const key of keys) {
    const value = item[key];
    if (value === undefined) {
      // A missing "protocol" defaults to TCP for ports; other missing keys make the item unkeyable.
      if (key === "protocol") continue;
      return undefined;
    }
    out[key] = value;
  }
  return out;
}

/** Every leaf path set in `value`, plus each keyed list item, like structured-merge-diff's ToFieldSet. */
export function fieldSetOf(value: Json, node: StructureNode): FieldSet {
  const set = new FieldSet();
  const walk = (v: Json, n: StructureNode, prefix: FieldPath): void => {
    if (isObject(v) && n.mapType !== "atomic") {
      const keys = Object.keys(v);
      if (keys.length === 0 && prefix.length > 0) set.add(prefix);
      for (const key of keys) walk(v[key] ?? null, childNode(n, key), [...prefix, { f: key }]);
      return;
    }
    if (Array.isArray(v)) {
      const type = listTypeOf(n);
      if (type === "atomic" || v.length === 0) {
        set.add(prefix);
        return;
      }
      if (type === "set") {
        for (const item of v) set.add([...prefix, { v: item }]);
        return;
      }
      const keys = n.listMapKeys ?? [];
      for (const item of v) {
        const key = itemKey(item, keys);
        if (!key) {
          set.add(prefix);
          continue;
        }
        const itemPath: FieldPath = [...prefix, { k: key }];
        set.add(itemPath);
        if (isObject(item)) {
          for (const [field, fv] of Object.entries(item)) {
            walk(fv, childNode(itemNode(n), field), [...itemPath, { f: field }]);
          }
        }
      }
      return;
    }
    if (prefix.length > 0) set.add(prefix);
  };
  walk(value, node, []);
  return set;
}

function matchesKey(item: Json, key: JsonObject): boolean {
  if (!isObject(item)) return false;
  return Object.entries(key).every(([k, v]) =>
    deepEqual(item[k] ?? (k === "protocol" ? "TCP" : undefined), v),
  );
}

function findIndex(list: Json[], el: PathElement): number {
  if ("k" in el) return list.findIndex((item) => matchesKey(item, el.k));
  if ("v" in el) return list.findIndex((item) => deepEqual(item, el.v));
  if ("i" in el) return el.i < list.length ? el.i : -1;
  return -1;
}

export function valueAt(value: Json, path: FieldPath): { found: boolean; value: Json } {
  let cur: Json = value;
  for (const el of path) {
    if ("f" in el) {
      if (!isObject(cur) || !Object.hasOwn(cur, el.f)) return { found: false, value: null };
      cur = cur[el.f] ?? null;
    } else {
      if (!Array.isArray(cur)) return { found: false, value: null };
      const i = findIndex(cur, el);
      if (i < 0) return { found: false, value: null };
      cur = cur[i] ?? null;
    }
  }
  return { found: true, value: cur };
}

/** Removes the member at `path` from a (mutable) object tree. */
export function removeAt(value: Json, path: FieldPath): void {
  if (path.length === 0) return;
  const parent = valueAt(value, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!parent.found || !last) return;
  if ("f" in last) {
    if (isObject(parent.value)) delete parent.value[last.f];
    return;
  }
  if (Array.isArray(parent.value)) {
    const i = findIndex(parent.value, last);
    if (i >= 0) parent.value.splice(i, 1);
  }
}
