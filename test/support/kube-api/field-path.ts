import { isObject, type Json, type JsonObject } from "./json.js";

/**
 * structured-merge-diff paths: a field name, a list item picked by its key fields, a set member
 * picked by value, or (rarely) a list index.
 */
export type PathElement = { f: string } | { k: JsonObject } | { v: Json } | { i: number };
export type FieldPath = PathElement[];

function sortedKeys(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(obj).sort()) out[key] = obj[key] ?? null;
  return out;
}

/** The fieldsV1 member name of one element: `f:name`, `k:{"name":"x"}`, `v:"a"`, `i:0`. */
export function elementKey(el: PathElement): string {
  if ("f" in el) return `f:${el.f}`;
  if ("k" in el) return `k:${JSON.stringify(sortedKeys(el.k))}`;
  if ("v" in el) return `v:${JSON.stringify(el.v)}`;
  return `i:${el.i}`;
}

function parseElementKey(key: string): PathElement | undefined {
  const body = key.slice(2);
  try {
    if (key.startsWith("f:")) return { f: body };
    if (key.startsWith("k:")) {
      const parsed: unknown = JSON.parse(body);
      return isObject(parsed) ? { k: parsed } : undefined;
    }
    if (key.startsWith("v:")) return { v: JSON.parse(body) as Json };
    if (key.startsWith("i:")) return { i: Number(body) };
  } catch {
    return undefined;
  }
  return undefined;
}

export const pathId = (path: FieldPath): string => path.map(elementKey).join("\u0000");

/** The string the API server prints in apply conflicts: `.spec.containers[name="x"].image`. */
export function pathString(path: FieldPath): string {
  return path
    .map((el) => {
      if ("f" in el) return `.${el.f}`;
      if ("k" in el)
        return `[${Object.entries(sortedKeys(el.k))
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(",")}]`;
      if ("v" in el) return `[=${JSON.stringify(el.v)}]`;
      return `[${el.i}]`;
    })
    .join("");
}

/** A set of field paths, as one managedFields entry owns them. */
export class FieldSet {
  private readonly members = new Map<string, FieldPath>();

  constructor(paths: Iterable<FieldPath> = []) {
    for (const p of paths) this.add(p);
  }

  add(path: FieldPath): void {
    this.members.set(pathId(path), path);
  }
  has(path: FieldPath): boolean {
    return this.members.has(pathId(path));
  }
  get size(): number {
    return this.members.size;
  }
  paths(): FieldPath[] {
    return [...this.members.values()];
  }
  union(other: FieldSet): FieldSet {
    return new FieldSet([...this.paths(), ...other.paths()]);
  }
  difference(other: FieldSet): FieldSet {
    return new FieldSet(this.paths().filter((p) => !other.has(p)));
  }
  intersection(other: FieldSet): FieldSet {
    return new FieldSet(this.paths().filter((p) => other.has(p)));
  }
  equals(other: FieldSet): boolean {
    return this.size === other.size && this.paths().every((p) => other.has(p));
  }
  /** True if some member starts with `prefix` (including `prefix` itself). */
  hasPrefix(prefix: FieldPath): boolean {
    const id = pathId(prefix);
    for (const key of this.members.keys()) {
      if (key === id || key.startsWith(id + "\u0000")) return true;
    }
    return false;
  }

  /** Encodes as metav1.FieldsV1: nested `f:`/`k:`/`v:` members, `.` marking a non-leaf member. */
  toFieldsV1(): JsonObject {
    const root: JsonObject = {};
    const sorted = this.paths().sort((a, b) => a.length - b.length);
    for (const path of sorted) {
      let node = root;
      for (const el of path) {
        const key = elementKey(el);
        const existing = node[key];
        const next: JsonObject = isObject(existing) ? existing : {};
        if (!isObject(existing)) node[key] = next;
        node = next;
      }
    }
    // A member that also has members below it is marked with ".".
    for (const path of sorted) {
      let node: JsonObject = root;
      for (const el of path) node = node[elementKey(el)] as JsonObject;
      if (Object.keys(node).some((k) => k !== ".")) node["."] = {};
    }
    return root;
  }

  static fromFieldsV1(fields: Json | undefined): FieldSet {
    const set = new FieldSet();
    const walk = (node: Json, prefix: FieldPath): void => {
      if (!isObject(node)) return;
      const keys = Object.keys(node);
      if (prefix.length > 0 && (keys.length === 0 || keys.includes("."))) set.add(prefix);
      for (const key of keys) {
        if (key === ".") continue;
        const el = parseElementKey(key);
        if (el) walk(node[key] ?? {}, [...prefix, el]);
      }
    };
    walk(fields ?? {}, []);
    return set;
  }
}
