/**
 * cty types in their JSON form, which is also how the plugin protocol sends them
 * (schema attribute `type` bytes, the type half of a dynamic value).
 */
export type CtyPrimitive = "string" | "number" | "bool" | "dynamic";
export type CtyType =
  | CtyPrimitive
  | readonly ["list" | "set" | "map", CtyType]
  | readonly ["object", Readonly<Record<string, CtyType>>]
  | readonly ["object", Readonly<Record<string, CtyType>>, readonly string[]]
  | readonly ["tuple", readonly CtyType[]];

export const listOf = (t: CtyType): CtyType => ["list", t] as const;
export const setOf = (t: CtyType): CtyType => ["set", t] as const;
export const mapOf = (t: CtyType): CtyType => ["map", t] as const;
export const objectOf = (attrs: Record<string, CtyType>): CtyType => ["object", attrs] as const;

/** Reads a type from its JSON form, refusing anything cty would not produce. */
export function parseCtyType(json: unknown): CtyType {
  if (json === "string" || json === "number" || json === "bool" || json === "dynamic") return json;
  if (Array.isArray(json)) {
    const [kind, inner, optional] = json as unknown[];
    if ((kind === "list" || kind === "set" || kind === "map") && json.length === 2)
      return [kind, parseCtyType(inner)];
    if (kind === "tuple" && Array.isArray(inner) && json.length === 2)
      return ["tuple", inner.map(parseCtyType)];
    if (kind === "object" && inner !== null && typeof inner === "object" && !Array.isArray(inner)) {
      const attrs = Object.fromEntries(
        Object.entries(inner as Record<string, unknown>).map(([k, v]) => [k, parseCtyType(v)]),
      );
      if (json.length === 2) return ["object", attrs];
      if (json.length === 3 && Array.isArray(optional) && optional.every((o) => typeof o === "string"))
        return ["object", attrs, optional];
    }
  }
  throw new Error(`not a cty type: ${JSON.stringify(json)}`);
}

/** The type's JSON form with object attributes in sorted order, as cty writes it. */
export function ctyTypeJson(type: CtyType): string {
  return JSON.stringify(sortedType(type));
}

function sortedType(type: CtyType): unknown {
  if (typeof type === "string") return type;
  if (type[0] === "object") {
    const attrs = Object.fromEntries(
      Object.keys(type[1])
        .sort()
        .map((k) => [k, sortedType(type[1][k] as CtyType)]),
    );
    return type.length === 3 ? ["object", attrs, [...type[2]].sort()] : ["object", attrs];
  }
  if (type[0] === "tuple") return ["tuple", type[1].map(sortedType)];
  return [type[0], sortedType(type[1])];
}
