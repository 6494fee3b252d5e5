import fc from "fast-check";

/**
 * fast-check arbitraries from the JSON Schemas of an OpenAPI document: values that satisfy
 * the schema's shape (types, enums, patterns, lengths, bounds, required keys) — "valid-ish",
 * since refinements the schema cannot express (a CIDR, a registered resource) are left to
 * chance — plus `hints` that put realistic values into fields by name.
 */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
};

export interface SchemaArbitraryOptions {
  /** `components.schemas` of the document, for `$ref`s. */
  components: Record<string, JsonSchema>;
  /** Extra arbitraries for properties by name, mixed in with the schema's own. */
  hints?: Record<string, fc.Arbitrary<unknown>>;
  /** Recursive schemas (JSON values in metadata) stop growing here. */
  maxDepth?: number;
}

const MAX_ITEMS = 4;
const MAX_STRING = 40;

export function arbitraryFor(
  schema: JsonSchema,
  options: SchemaArbitraryOptions,
  depth = 0,
): fc.Arbitrary<unknown> {
  const maxDepth = options.maxDepth ?? 3;
  const recurse = (s: JsonSchema) => arbitraryFor(s, options, depth + 1);
  if (schema.$ref) {
    const name = schema.$ref.replace(/^#\/(components\/schemas|\$defs)\//, "");
    const target = options.components[name];
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    if (depth >= maxDepth) return fc.constantFrom(null, 1, "x", true);
    return recurse(target);
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map(recurse));
  if (schema.allOf?.[0]) return recurse(schema.allOf[0]);
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => recurse({ ...schema, type })));

  switch (schema.type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer": {
      const min = schema.minimum ?? (schema.exclusiveMinimum ?? -(2 ** 31)) + 1;
      const max = schema.maximum ?? (schema.exclusiveMaximum ?? 2 ** 31) - 1;
      return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max));
    }
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: schema.minimum, max: schema.maximum });
    case "string":
      return stringFor(schema);
    case "array": {
      const items = schema.items ? recurse(schema.items) : fc.jsonValue();
      const minLength = schema.minItems ?? 0;
      return fc.array(items, {
        minLength,
        maxLength: Math.max(minLength, Math.min(schema.maxItems ?? MAX_ITEMS, MAX_ITEMS)),
      });
    }
    case "object":
    case undefined: {
      if (!schema.properties && schema.type === undefined) return fc.jsonValue({ maxDepth: 2 });
      const properties = Object.entries(schema.properties ?? {});
      const record = fc.record(
        Object.fromEntries(
          properties.map(([name, s]) => {
            const own = recurse(s);
            const hint = options.hints?.[name];
            // Mostly the hint: the schema alone rarely satisfies every refinement at once.
            return [
              name,
              hint ? fc.oneof({ weight: 1, arbitrary: own }, { weight: 4, arbitrary: hint }) : own,
            ];
          }),
        ),
        { requiredKeys: schema.required ?? [] },
      );
      const extra = schema.additionalProperties;
      if (!extra || depth >= maxDepth) return record;
      const keys = schema.propertyNames ? stringFor(schema.propertyNames) : fc.string({ maxLength: 10 });
      const values = extra === true ? fc.jsonValue({ maxDepth: 1 }) : recurse(extra);
      return fc
        .tuple(record, fc.dictionary(keys, values, { maxKeys: 3 }))
        .map(([known, more]) => ({ ...more, ...known }));
    }
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

/** Parsing a pattern into an arbitrary is costly; schemas repeat a few patterns many times. */
const byPattern = new Map<string, fc.Arbitrary<string>>();

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Number.MAX_SAFE_INTEGER;
  const fits = (s: string) => s.length >= min && s.length <= max;
  if (schema.format === "date-time") {
    return fc
      .date({
        min: new Date("1970-01-01T00:00:00Z"),
        max: new Date("2200-01-01T00:00:00Z"),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
  }
  if (schema.format === "uuid") return fc.uuid();
  if (schema.pattern) {
    let matching = byPattern.get(schema.pattern);
    if (!matching) byPattern.set(schema.pattern, (matching = fc.stringMatching(new RegExp(schema.pattern))));
    return matching.filter(fits);
  }
  return fc.string({ minLength: min, maxLength: Math.max(min, Math.min(max, MAX_STRING)), unit: "grapheme" });
}

/**
 * Objects a careful client would send: the required properties and at most `maxOptional`
 * of the others, each from its hint when there is one. Far more of these pass every
 * refinement than of `arbitraryFor`'s, so requests get past validation to the handlers.
 */
export function plausibleFor(
  schema: JsonSchema,
  options: SchemaArbitraryOptions,
  maxOptional = 2,
): fc.Arbitrary<Record<string, unknown>> {
  let target = schema;
  while (target.$ref) {
    const resolved = options.components[target.$ref.replace(/^#\/(components\/schemas|\$defs)\//, "")];
    if (!resolved) throw new Error(`unresolvable $ref ${target.$ref}`);
    target = resolved;
  }
  const properties = target.properties ?? {};
  const valueFor = (name: string) =>
    options.hints?.[name] ?? arbitraryFor(properties[name] as JsonSchema, options, 1);
  const required = target.required ?? [];
  const optional = Object.keys(properties).filter((k) => !required.includes(k));
  return fc
    .tuple(
      fc.tuple(...required.map((k) => valueFor(k))),
      fc
        .subarray(optional, { maxLength: Math.min(maxOptional, optional.length) })
        .chain((keys) => fc.tuple(...keys.map((k) => valueFor(k).map((v) => [k, v] as const)))),
    )
    .map(([values, extra]) => ({
      ...Object.fromEntries(required.map((k, i) => [k, values[i]])),
      ...Object.fromEntries(extra),
    }));
}
