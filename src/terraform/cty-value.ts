import { decode, encode, ExtensionCodec } from "@msgpack/msgpack";
import { type CtyType, ctyTypeJson, parseCtyType } from "./cty-type.js";

/** A value not known until apply. cty sends it as a msgpack extension (type 0, or 12 with refinements). */
class UnknownValue {
  readonly unknown = true;
}
export const UNKNOWN: Unknown = new UnknownValue();
export type Unknown = UnknownValue;

/** A value of attribute type `dynamic`: it carries its own concrete type. */
export interface DynamicValue {
  readonly dynamicType: CtyType;
  readonly value: Value;
}

/**
 * A cty value in JavaScript: lists, sets and tuples are arrays, maps and objects are plain
 * objects (objects always carry every attribute of their type, null when unset).
 */
export type Value =
  null | Unknown | string | number | boolean | DynamicValue | readonly Value[] | ValueObject;
export interface ValueObject {
  readonly [key: string]: Value;
}

export const isUnknown = (v: Value): v is Unknown => v === UNKNOWN;
export const isDynamic = (v: Value): v is DynamicValue =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  !(v instanceof UnknownValue) &&
  "dynamicType" in v;

/** The value as an object (a map or object value), or null for anything else. */
export const asObject = (v: Value | undefined): ValueObject | null =>
  v !== null &&
  v !== undefined &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  !(v instanceof UnknownValue) &&
  !isDynamic(v)
    ? (v as ValueObject)
    : null;

/** True when the value and everything inside it is known. */
export function isWhollyKnown(v: Value): boolean {
  if (v === UNKNOWN) return false;
  if (v === null || typeof v !== "object") return true;
  if (Array.isArray(v)) return (v as readonly Value[]).every(isWhollyKnown);
  if (isDynamic(v)) return isWhollyKnown(v.value);
  return Object.values(v as ValueObject).every(isWhollyKnown);
}

class UnknownMarker {}
const UNKNOWN_WIRE = new UnknownMarker();

const extensions = new ExtensionCodec();
const unknownExt = { encode: (v: unknown) => (v instanceof UnknownMarker ? new Uint8Array([0]) : null) };
extensions.register({ type: 0, ...unknownExt, decode: () => UNKNOWN_WIRE });
// Refined unknowns (string prefix, number bounds, ...) are still unknown to a provider.
extensions.register({ type: 12, encode: () => null, decode: () => UNKNOWN_WIRE });

type Wire =
  null | UnknownMarker | string | number | bigint | boolean | Uint8Array | Wire[] | { [k: string]: Wire };

function fail(path: string, want: string, got: unknown): never {
  throw new TypeError(`${path || "value"}: expected ${want}, got ${typeof got}`);
}

/** cty writes numbers that are neither int64 nor float64-exact as decimal strings. */
function toNumber(raw: unknown, path: string): number {
  if (typeof raw === "number") return raw;
  if (typeof raw === "bigint") return Number(raw);
  if (typeof raw === "string" && raw.trim() !== "" && !Number.isNaN(Number(raw))) return Number(raw);
  return fail(path, "number", raw);
}

function fromWire(type: CtyType, raw: Wire, path: string): Value {
  if (raw instanceof UnknownMarker) return UNKNOWN;
  if (raw === null) return null;
  if (type === "dynamic") {
    if (
      !Array.isArray(raw) ||
      raw.length !== 2 ||
      !(raw[0] instanceof Uint8Array || typeof raw[0] === "string")
    )
      return fail(path, "[type, value] for a dynamic value", raw);
    const typeText = typeof raw[0] === "string" ? raw[0] : Buffer.from(raw[0]).toString("utf8");
    const dynamicType = parseCtyType(JSON.parse(typeText));
    return { dynamicType, value: fromWire(dynamicType, raw[1] as Wire, path) };
  }
  if (type === "string") return typeof raw === "string" ? raw : fail(path, "string", raw);
  if (type === "bool") return typeof raw === "boolean" ? raw : fail(path, "bool", raw);
  if (type === "number") return toNumber(raw, path);
  const kind = type[0];
  if (kind === "list" || kind === "set")
    return Array.isArray(raw)
      ? raw.map((e, i) => fromWire(type[1], e, `${path}[${i}]`))
      : fail(path, kind, raw);
  if (kind === "tuple") {
    if (!Array.isArray(raw) || raw.length !== type[1].length) return fail(path, "tuple", raw);
    return raw.map((e, i) => fromWire(type[1][i] as CtyType, e, `${path}[${i}]`));
  }
  if (typeof raw !== "object" || Array.isArray(raw) || raw instanceof Uint8Array)
    return fail(path, kind, raw);
  const entries = raw;
  if (kind === "map")
    return Object.fromEntries(
      Object.entries(entries).map(([k, v]) => [k, fromWire(type[1], v, `${path}.${k}`)]),
    );
  return Object.fromEntries(
    Object.entries(type[1] as Readonly<Record<string, CtyType>>).map(([k, t]) => [
      k,
      fromWire(t, entries[k] ?? null, path ? `${path}.${k}` : k),
    ]),
  );
}

function toWire(type: CtyType, value: Value, path: string): Wire {
  if (value === UNKNOWN) return UNKNOWN_WIRE;
  if (value === null) return null;
  if (type === "dynamic") {
    if (!isDynamic(value)) return fail(path, "a dynamic value", value);
    return [Buffer.from(ctyTypeJson(value.dynamicType)), toWire(value.dynamicType, value.value, path)];
  }
  if (type === "string") return typeof value === "string" ? value : fail(path, "string", value);
  if (type === "bool") return typeof value === "boolean" ? value : fail(path, "bool", value);
  if (type === "number") {
    if (typeof value !== "number") return fail(path, "number", value);
    // cty has no infinities or NaN on the wire; it sends what it cannot represent as text.
    return Number.isFinite(value) ? value : String(value);
  }
  const kind = type[0];
  if (kind === "list" || kind === "set" || kind === "tuple") {
    if (!Array.isArray(value)) return fail(path, kind, value);
    const items = value as readonly Value[];
    return items.map((e, i) =>
      toWire(kind === "tuple" ? (type[1][i] ?? "dynamic") : type[1], e, `${path}[${i}]`),
    );
  }
  if (typeof value !== "object" || Array.isArray(value) || isDynamic(value)) return fail(path, kind, value);
  const obj = value as ValueObject;
  if (kind === "map") {
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, toWire(type[1], obj[k] ?? null, `${path}.${k}`)]),
    );
  }
  const attrs = (type as readonly ["object", Readonly<Record<string, CtyType>>])[1];
  return Object.fromEntries(
    Object.keys(attrs)
      .sort()
      .map((k) => [k, toWire(attrs[k] as CtyType, obj[k] ?? null, path ? `${path}.${k}` : k)]),
  );
}

/** Decodes a DynamicValue's msgpack bytes as a value of `type`. */
export function decodeMsgpack(type: CtyType, bytes: Uint8Array): Value {
  if (bytes.length === 0) return null;
  return fromWire(type, decode(bytes, { extensionCodec: extensions, useBigInt64: true }) as Wire, "");
}

/** Encodes a value of `type` as cty's msgpack. */
export function encodeMsgpack(type: CtyType, value: Value): Uint8Array {
  return encode(toWire(type, value, ""), { extensionCodec: extensions, ignoreUndefined: false });
}

/** Reads cty's JSON encoding (stored state; a dynamic value is `{"value": ..., "type": ...}`). */
export function decodeJson(type: CtyType, json: unknown, path = ""): Value {
  if (json === null || json === undefined) return null;
  if (type === "dynamic") {
    const wrapped = json as { value?: unknown; type?: unknown };
    if (typeof json !== "object" || !("type" in wrapped)) return fail(path, "{value, type}", json);
    const dynamicType = parseCtyType(wrapped.type);
    return { dynamicType, value: decodeJson(dynamicType, wrapped.value, path) };
  }
  if (type === "string") return typeof json === "string" ? json : fail(path, "string", json);
  if (type === "bool") return typeof json === "boolean" ? json : fail(path, "bool", json);
  if (type === "number") return toNumber(json, path);
  const kind = type[0];
  if (kind === "list" || kind === "set" || kind === "tuple") {
    if (!Array.isArray(json)) return fail(path, kind, json);
    return json.map((e: unknown, i) =>
      decodeJson(kind === "tuple" ? (type[1][i] ?? "dynamic") : type[1], e, `${path}[${i}]`),
    );
  }
  if (typeof json !== "object" || Array.isArray(json)) return fail(path, kind, json);
  const obj = json as Record<string, unknown>;
  if (kind === "map")
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [k, decodeJson(type[1], v, `${path}.${k}`)]),
    );
  return Object.fromEntries(
    Object.entries(type[1] as Readonly<Record<string, CtyType>>).map(([k, t]) => [
      k,
      decodeJson(t, obj[k], path ? `${path}.${k}` : k),
    ]),
  );
}
