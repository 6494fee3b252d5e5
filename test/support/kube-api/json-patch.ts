import { ApiError, badRequest } from "./api-error.js";
import { clone, deepEqual, isObject, setOwn, type Json, type JsonObject } from "./json.js";

/** RFC 6902 JSON Patch, applied to a copy of `target`. */
export function applyJsonPatch(target: JsonObject, patch: unknown): Json {
  const ops = parseOps(patch);
  let doc: Json = clone(target);
  for (const op of ops) doc = applyOp(doc, op);
  return doc;
}

interface Op {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string[];
  rawPath: string;
  from?: string[];
  rawFrom?: string;
  value?: Json;
}

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

function parsePointer(pointer: unknown, what: string): string[] {
  if (typeof pointer !== "string") throw badRequest(`json patch: ${what} must be a string`);
  if (pointer === "") return [];
  if (!pointer.startsWith("/"))
    throw badRequest(`json patch: ${what} ${JSON.stringify(pointer)} must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parseOps(patch: unknown): Op[] {
  if (!Array.isArray(patch)) throw badRequest("json patch: the patch must be a JSON array of operations");
  if (patch.length > 10_000) throw badRequest("json patch: too many operations");
  return patch.map((raw: unknown, i) => {
    if (!isObject(raw) || typeof raw.op !== "string" || !OPS.has(raw.op)) {
      throw badRequest(`json patch: operation ${i} has an unknown or missing "op"`);
    }
    const op: Op = {
      op: raw.op as Op["op"],
      path: parsePointer(raw.path, "path"),
      rawPath: String(raw.path),
    };
    if (raw.op === "move" || raw.op === "copy") {
      op.from = parsePointer(raw.from, "from");
      op.rawFrom = String(raw.from);
    }
    if (raw.op === "add" || raw.op === "replace" || raw.op === "test") {
      if (!Object.hasOwn(raw, "value"))
        throw badRequest(`json patch: operation ${i} (${raw.op}) needs a value`);
      op.value = raw.value ?? null;
    }
    return op;
  });
}

const failed = (message: string): ApiError => new ApiError(422, "Invalid", message);

function arrayIndex(list: Json[], segment: string, allowEnd: boolean, rawPath: string): number {
  if (segment === "-" && allowEnd) return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(segment))
    throw failed(`invalid array index ${JSON.stringify(segment)} in ${rawPath}`);
  const i = Number(segment);
  if (i > list.length || (!allowEnd && i === list.length)) {
    throw failed(`array index ${i} out of bounds in ${rawPath}`);
  }
  return i;
}

function get(doc: Json, path: string[], rawPath: string): Json {
  let cur: Json = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, seg, false, rawPath)] ?? null;
    else if (isObject(cur) && Object.hasOwn(cur, seg)) cur = cur[seg] ?? null;
    else throw failed(`doc is missing path: ${JSON.stringify(rawPath)}: missing value`);
  }
  return cur;
}

function parentOf(doc: Json, path: string[], rawPath: string): Json {
  return get(doc, path.slice(0, -1), rawPath);
}

function add(doc: Json, path: string[], value: Json, rawPath: string): Json {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path, rawPath);
  const last = path[path.length - 1] ?? "";
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, rawPath), 0, value);
  else if (isObject(parent)) setOwn(parent, last, value);
  else
    throw failed(
      `add operation does not apply: doc is missing path: ${JSON.stringify(rawPath)}: missing value`,
    );
  return doc;
}

function remove(doc: Json, path: string[], rawPath: string): Json {
  if (path.length === 0) throw failed("json patch: cannot remove the whole document");
  const parent = parentOf(doc, path, rawPath);
  const last = path[path.length - 1] ?? "";
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false, rawPath), 1);
  else if (isObject(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw failed(`Unable to remove nonexistent key: ${last}: missing value`);
  return doc;
}

function applyOp(doc: Json, op: Op): Json {
  switch (op.op) {
    case "add":
      return add(doc, op.path, clone(op.value ?? null), op.rawPath);
    case "remove":
      return remove(doc, op.path, op.rawPath);
    case "replace":
      get(doc, op.path, op.rawPath);
      return add(remove(doc, op.path, op.rawPath), op.path, clone(op.value ?? null), op.rawPath);
    case "move": {
      const value = get(doc, op.from ?? [], op.rawFrom ?? "");
      return add(remove(doc, op.from ?? [], op.rawFrom ?? ""), op.path, value, op.rawPath);
    }
    case "copy":
      return add(doc, op.path, clone(get(doc, op.from ?? [], op.rawFrom ?? "")), op.rawPath);
    case "test": {
      const actual = get(doc, op.path, op.rawPath);
      if (!deepEqual(actual, op.value)) throw failed(`testing value ${op.rawPath} failed: test failed`);
      return doc;
    }
  }
}
