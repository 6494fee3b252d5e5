import { deepEqual, isObject, setOwn, type Json, type JsonObject } from "./json.js";
import { childNode, itemNode, listTypeOf, type StructureNode } from "./merge-structure.js";
import { itemKey } from "./object-fields.js";

/**
 * Strategic merge patch for built-in kinds, approximated: merge-patch semantics, except that lists
 * the structure marks as maps merge item by item on their key (containers by name, env by name...),
 * set-like lists (finalizers) merge as unions, and the `$patch: delete|replace` and
 * `$deleteFromPrimitiveList/<field>` directives work. `$setElementOrder` and `$retainKeys` are ignored.
 */
export function applyStrategicMergePatch(target: Json | undefined, patch: Json, node: StructureNode): Json {
  if (!isObject(patch)) return patch;
  if (patch.$patch === "replace") return stripDirectives(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch" || key.startsWith("$setElementOrder/") || key === "$retainKeys") continue;
    if (key.startsWith("$deleteFromPrimitiveList/")) {
      const field = key.slice("$deleteFromPrimitiveList/".length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) {
        setOwn(
          result,
          field,
          current.filter((item) => !value.some((v) => deepEqual(v, item))),
        );
      }
      continue;
    }
    const child = childNode(node, key);
    const existing = Object.hasOwn(result, key) ? result[key] : undefined;
    if (value === null || (isObject(value) && value.$patch === "delete")) {
      delete result[key];
    } else if (Array.isArray(value)) {
      setOwn(result, key, mergeList(existing, value, child));
    } else {
      setOwn(result, key, applyStrategicMergePatch(existing, value, child));
    }
  }
  return result;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith("$")) setOwn(out, k, stripDirectives(v));
  return out;
}

function mergeList(existing: Json | undefined, patch: Json[], node: StructureNode): Json {
  const type = listTypeOf(node);
  if (patch.some((item) => isObject(item) && item.$patch === "replace")) {
    return patch.filter((item) => !(isObject(item) && item.$patch === "replace")).map(stripDirectives);
  }
  if (!Array.isArray(existing) || type === "atomic") return patch.map(stripDirectives);
  if (type === "set") {
    const out = [...existing];
    for (const item of patch) if (!out.some((e) => deepEqual(e, item))) out.push(item);
    return out;
  }
  // SMP merges on a single patchMergeKey: the first list-map key.
  const keys = (node.listMapKeys ?? []).slice(0, 1);
  const out = [...existing];
  for (const item of patch) {
    const key = itemKey(item, keys);
    const index = key ? out.findIndex((e) => deepEqual(itemKey(e, keys), key)) : -1;
    if (isObject(item) && item.$patch === "delete") {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) {
      out[index] = applyStrategicMergePatch(out[index], item, itemNode(node));
    } else {
      out.push(stripDirectives(item));
    }
  }
  return out;
}
