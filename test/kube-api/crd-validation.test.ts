import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customResourceDefinitions } from "../../src/crd/index.js";
import { startKubeApi, type KubeApi } from "../support/kube-api/index.js";
import type { StatusBody } from "./helpers.js";

/*
 * CRDs kube-apiserver refuses, one per apiextensions rule, with the real messages (from
 * k8s.io/apiextensions-apiserver pkg/apis/apiextensions/validation and pkg/apiserver/schema).
 */

let api: KubeApi;
let token: string;
let serial = 0;

beforeAll(async () => {
  api = await startKubeApi();
  token = api.kubeConfig().getCurrentUser()?.token ?? "";
});

afterAll(async () => {
  expect(api.unexpectedErrors()).toEqual([]);
  await api.close();
});

type JsonSchema = Record<string, unknown>;

async function postCrd(body: unknown): Promise<{ code: number; status: StatusBody }> {
  const res = await fetch(`${api.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { code: res.status, status: (await res.json()) as StatusBody };
}

/** A CRD around `schema` (its openAPIV3Schema), with a fresh name. */
function crdWith(schema: JsonSchema, opts: { status?: boolean } = {}) {
  const plural = `things${++serial}`;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.example.com` },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural, kind: `Thing${serial}` },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          ...(opts.status ? { subresources: { status: {} } } : {}),
          schema: { openAPIV3Schema: schema },
        },
      ],
    },
  };
}

const ROOT = "spec.versions[0].schema.openAPIV3Schema";

/** A root schema whose `spec` is `spec`. */
const withSpec = (spec: JsonSchema, root: JsonSchema = {}): JsonSchema => ({
  type: "object",
  ...root,
  properties: { spec, ...(root.properties as JsonSchema | undefined) },
});

/** Creates the CRD, expects 422 and returns the causes as "field: message". */
async function refused(schema: JsonSchema, opts: { status?: boolean } = {}): Promise<string[]> {
  const crd = crdWith(schema, opts);
  const { code, status } = await postCrd(crd);
  expect(code, JSON.stringify(status)).toBe(422);
  expect(status).toMatchObject({ kind: "Status", reason: "Invalid", code: 422 });
  expect(status.message).toContain(
    `CustomResourceDefinition.apiextensions.k8s.io "${crd.metadata.name}" is invalid: `,
  );
  return (status.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
}

async function accepted(schema: JsonSchema, opts: { status?: boolean } = {}): Promise<void> {
  const { code, status } = await postCrd(crdWith(schema, opts));
  expect(code, JSON.stringify(status)).toBe(201);
}

describe("the CRDs tokenplane generates", () => {
  it("are accepted", async () => {
    for (const crd of customResourceDefinitions()) {
      const { code, status } = await postCrd(crd);
      expect(code, JSON.stringify(status)).toBe(201);
    }
  });

  it("were refused with a description on the root metadata (issue 15)", async () => {
    const crd = structuredClone(customResourceDefinitions()[0]!);
    crd.metadata.name = "accesstokens.old.example.com";
    crd.spec.group = "old.example.com";
    const metadata = crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.metadata!;
    metadata.description = "Standard object metadata.";
    const { code, status } = await postCrd(crd);
    expect(code).toBe(422);
    expect(status.message).toBe(
      'CustomResourceDefinition.apiextensions.k8s.io "accesstokens.old.example.com" is invalid: ' +
        `${ROOT}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, ` +
        "but metadata is implicitly specified",
    );
  });
});

describe("structural schema rules", () => {
  it("root metadata may restrict only name and generateName", async () => {
    const message = `${ROOT}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`;
    const meta = (metadata: JsonSchema) => ({ type: "object", properties: { metadata } });
    expect(await refused(meta({ type: "object", description: "metadata" }))).toEqual([message]);
    expect(await refused(meta({ type: "object", properties: { labels: { type: "object" } } }))).toEqual([
      message,
    ]);
    expect(await refused(meta({ type: "object", required: ["name"] }))).toEqual([message]);
    await accepted(meta({ type: "object", properties: { name: { type: "string", maxLength: 40 } } }));
    expect(await refused(meta({ type: "string" }))).toContain(
      `${ROOT}.properties[metadata].type: Invalid value: "string": must be object`,
    );
  });

  it("every node has a type, except int-or-string and preserve-unknown-fields nodes", async () => {
    expect(
      await refused(withSpec({ type: "object", properties: { a: { description: "untyped" } } })),
    ).toEqual([
      `${ROOT}.properties[spec].properties[a].type: Required value: must not be empty for specified object fields`,
    ]);
    expect(await refused(withSpec({ type: "array", items: { maxLength: 3 } }))).toEqual([
      `${ROOT}.properties[spec].items.type: Required value: must not be empty for specified array items`,
    ]);
    expect(await refused({ properties: { spec: { type: "object" } } })).toEqual([
      `${ROOT}.type: Required value: must not be empty at the root`,
    ]);
    await accepted(
      withSpec({
        type: "object",
        properties: {
          port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
          free: { "x-kubernetes-preserve-unknown-fields": true },
        },
      }),
    );
  });

  it("the root is an object without additionalProperties, and arrays have items", async () => {
    expect(await refused({ type: "string" })).toContain(
      `${ROOT}.type: Invalid value: "string": must be object at the root`,
    );
    expect(await refused({ type: "object", additionalProperties: { type: "string" } })).toEqual([
      `${ROOT}.additionalProperties: Forbidden: must not be used at the root`,
    ]);
    expect(await refused(withSpec({ type: "array" }))).toEqual([
      `${ROOT}.properties[spec].items: Required value: must be specified`,
    ]);
  });

  it("kind and apiVersion at the root are strings", async () => {
    expect(await refused({ type: "object", properties: { kind: { type: "integer" } } })).toEqual([
      `${ROOT}.properties[kind].type: Invalid value: "integer": must be string`,
    ]);
  });

  it("value validations (allOf, anyOf, oneOf, not) carry nothing structural", async () => {
    const causes = await refused(
      withSpec({
        type: "object",
        properties: { a: { type: "string" } },
        anyOf: [
          { type: "object", description: "no", properties: { a: { "x-kubernetes-list-type": "set" } } },
        ],
      }),
    );
    expect(causes).toEqual([
      `${ROOT}.properties[spec].anyOf[0].description: Forbidden: must be empty to be structural`,
      `${ROOT}.properties[spec].anyOf[0].properties[a].x-kubernetes-list-type: Forbidden: must be undefined to be structural`,
      `${ROOT}.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural`,
      // The keyword checks walk into anyOf too, and find a list type without type: array.
      `${ROOT}.properties[spec].anyOf[0].properties[a].type: Required value: must be array if x-kubernetes-list-type is specified`,
    ]);
    expect(
      await refused({
        type: "object",
        properties: { spec: { type: "object" } },
        allOf: [{ properties: { metadata: { required: ["x"] } } }],
      }),
    ).toContain(
      `${ROOT}.allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context`,
    );
  });

  it("every field a value validation names is declared outside it", async () => {
    expect(
      await refused({
        type: "object",
        properties: { spec: { type: "object" } },
        anyOf: [{ required: ["x"] }, { properties: { other: { minLength: 1 } } }],
      }),
    ).toEqual([
      `${ROOT}.properties[other]: Required value: because it is defined in ${ROOT}.anyOf[1].properties[other]`,
    ]);
  });

  it("int-or-string excludes preserve-unknown-fields", async () => {
    expect(
      await refused(
        withSpec({
          "x-kubernetes-int-or-string": true,
          "x-kubernetes-preserve-unknown-fields": true,
        }),
      ),
    ).toContain(
      `${ROOT}.properties[spec].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
    );
  });

  it("patterns must compile as RE2: no lookaround or backreferences", async () => {
    const causes = await refused(withSpec({ type: "string", pattern: "^(unclosed$" }));
    expect(causes[0]).toMatch(
      /properties\[spec\]\.pattern: Invalid value: "\^\(unclosed\$": must be a valid regular expression, but isn't: error parsing regexp/,
    );
    expect(await refused(withSpec({ type: "string", pattern: "^(?!admin$).*$" }))).toEqual([
      `${ROOT}.properties[spec].pattern: Invalid value: "^(?!admin$).*$": must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: \`(?!\``,
    ]);
    await accepted(withSpec({ type: "string", pattern: "^[a-z]+\\/[a-z]+$" }));
  });
});

describe("keywords and x-kubernetes-* combinations", () => {
  it("refuses $ref, uniqueItems, type null, patternProperties and item tuples", async () => {
    expect(
      await refused(withSpec({ type: "object", properties: { a: { type: "string", $ref: "#/x" } } })),
    ).toEqual([`${ROOT}.properties[spec].properties[a].$ref: Forbidden: $ref is not supported`]);
    expect(await refused(withSpec({ type: "array", uniqueItems: true, items: { type: "string" } }))).toEqual([
      `${ROOT}.properties[spec].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
    ]);
    expect(await refused(withSpec({ type: "object", properties: { a: { type: "null" } } }))).toContain(
      `${ROOT}.properties[spec].properties[a].type: Forbidden: type cannot be set to null, use nullable as an alternative`,
    );
    expect(
      await refused(withSpec({ type: "object", patternProperties: { "^a": { type: "string" } } })),
    ).toContain(`${ROOT}.properties[spec].patternProperties: Forbidden: patternProperties is not supported`);
    expect(await refused(withSpec({ type: "object", properties: { a: { type: "strin" } } }))).toContain(
      `${ROOT}.properties[spec].properties[a].type: Unsupported value: "strin": supported values: "array", "boolean", "integer", "number", "object", "string"`,
    );
  });

  it("properties and additionalProperties are mutually exclusive", async () => {
    expect(
      await refused(
        withSpec({
          type: "object",
          properties: { a: { type: "string" } },
          additionalProperties: { type: "string" },
        }),
      ),
    ).toEqual([
      `${ROOT}.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    ]);
    expect(
      await refused(
        withSpec({ type: "object", properties: { a: { type: "string" } }, additionalProperties: false }),
      ),
    ).toContain(
      `${ROOT}.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    );
  });

  it("x-kubernetes-preserve-unknown-fields is true or absent", async () => {
    expect(
      await refused(withSpec({ type: "object", "x-kubernetes-preserve-unknown-fields": false })),
    ).toEqual([
      `${ROOT}.properties[spec].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
    ]);
  });

  it("list types: arrays only, map lists keyed by required scalar properties, sets of atomic items", async () => {
    expect(await refused(withSpec({ type: "string", "x-kubernetes-list-type": "set" }))).toEqual([
      `${ROOT}.properties[spec].type: Invalid value: "string": must be array if x-kubernetes-list-type is specified`,
    ]);
    const item = { type: "object", properties: { name: { type: "string" }, value: { type: "object" } } };
    expect(
      await refused(withSpec({ type: "array", "x-kubernetes-list-type": "map", items: item })),
    ).toContain(
      `${ROOT}.properties[spec].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
    );
    expect(
      await refused(
        withSpec({
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: item,
        }),
      ),
    ).toEqual([
      `${ROOT}.properties[spec].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
    ]);
    expect(
      await refused(
        withSpec({
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["missing"],
          items: { ...item, required: ["name"] },
        }),
      ),
    ).toContain(
      `${ROOT}.properties[spec].x-kubernetes-list-map-keys: Invalid value: []interface {}{"missing"}: entries must all be names of item properties`,
    );
    expect(await refused(withSpec({ type: "array", "x-kubernetes-list-type": "set", items: item }))).toEqual([
      `${ROOT}.properties[spec].items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of a list with x-kubernetes-list-type=set`,
    ]);
    expect(
      await refused(
        withSpec({
          type: "array",
          "x-kubernetes-list-map-keys": ["name"],
          items: { ...item, required: ["name"] },
        }),
      ),
    ).toEqual([
      `${ROOT}.properties[spec].x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty`,
    ]);
    expect(
      await refused(withSpec({ type: "array", "x-kubernetes-list-type": "bag", items: { type: "string" } })),
    ).toEqual([
      `${ROOT}.properties[spec].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"`,
    ]);
  });

  it("x-kubernetes-map-type is atomic or granular, on objects", async () => {
    expect(await refused(withSpec({ type: "string", "x-kubernetes-map-type": "atomic" }))).toEqual([
      `${ROOT}.properties[spec].type: Invalid value: "string": must be object if x-kubernetes-map-type is specified`,
    ]);
  });

  it("with a status subresource, the root allows only a few keywords", async () => {
    expect(
      await refused(
        { type: "object", maxProperties: 3, properties: { spec: { type: "object" } } },
        { status: true },
      ),
    ).toEqual([
      expect.stringMatching(
        /^spec\.versions\[0\]\.schema\.openAPIV3Schema: Invalid value: .*: only \[Description Type Format .*XValidations\] fields are allowed at the root of the schema if the status subresource is enabled$/,
      ),
    ]);
    await accepted({ type: "object", maxProperties: 3, properties: { spec: { type: "object" } } });
  });
});

describe("defaults", () => {
  it("are refused in top-level metadata, apiVersion and kind", async () => {
    expect(
      await refused({ type: "object", properties: { kind: { type: "string", default: "Thing" } } }),
    ).toEqual([`${ROOT}.properties[kind].default: Forbidden: must not be set in top-level kind`]);
  });

  it("must validate against their schema and be pruned", async () => {
    expect(
      await refused(
        withSpec({ type: "object", properties: { size: { type: "integer", maximum: 10, default: 20 } } }),
      ),
    ).toEqual([
      `${ROOT}.properties[spec].properties[size].default: Invalid value: 20: ${ROOT}.properties[spec].properties[size].default in body should be less than or equal to 10`,
    ]);
    expect(
      await refused(
        withSpec({
          type: "object",
          properties: {
            limits: {
              type: "object",
              properties: { cpu: { type: "string" } },
              default: { cpu: "1", gpu: "2" },
            },
          },
        }),
      ),
    ).toEqual([
      `${ROOT}.properties[spec].properties[limits].default: Invalid value: map[string]interface {}{"cpu":"1", "gpu":"2"}: must not have unknown fields`,
    ]);
  });
});

describe("x-kubernetes-validations", () => {
  it("checks the rule's own fields", async () => {
    const rules = (rule: JsonSchema) =>
      refused(
        withSpec({
          type: "object",
          properties: { a: { type: "string", maxLength: 5 } },
          "x-kubernetes-validations": [rule],
        }),
      );
    const at = `${ROOT}.properties[spec].x-kubernetes-validations[0]`;
    expect(await rules({ rule: " " })).toEqual([`${at}.rule: Required value: rule is not specified`]);
    expect(await rules({ rule: "true", reason: "FieldValueWrong" })).toEqual([
      `${at}.reason: Unsupported value: "FieldValueWrong": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
    ]);
    expect(await rules({ rule: "true", fieldPath: ".b" })).toEqual([
      `${at}.fieldPath: Invalid value: ".b": fieldPath must be a valid path`,
    ]);
    expect(await rules({ rule: "true", fieldPath: ".a[0]" })).toEqual([
      `${at}.fieldPath: Invalid value: ".a[0]": fieldPath must be a valid path`,
    ]);
    expect(await rules({ rule: "true", message: "two\nlines" })).toEqual([
      `${at}.message: Invalid value: "two\\nlines": message must not contain line breaks`,
    ]);
    await accepted(
      withSpec({
        type: "object",
        properties: { a: { type: "string", maxLength: 5 } },
        "x-kubernetes-validations": [
          { rule: "has(self.a)", fieldPath: "['a']", reason: "FieldValueRequired" },
        ],
      }),
    );
  });

  it("refuses rules that do not compile, or select fields the schema does not declare", async () => {
    const at = `${ROOT}.properties[spec].x-kubernetes-validations[0].rule`;
    const spec = (rule: string) =>
      withSpec({
        type: "object",
        properties: { color: { type: "string", maxLength: 10 } },
        "x-kubernetes-validations": [{ rule }],
      });
    const [syntax] = await refused(spec("self.color =="));
    expect(syntax).toMatch(
      new RegExp(`^${at.replace(/[[\].]/g, "\\$&")}: Invalid value: .*: compilation failed: `),
    );
    expect(await refused(spec("self.colour == 'red'"))).toEqual([
      `${at}: Invalid value: "self.colour == 'red'": compilation failed: ERROR: <input>:1:5: undefined field 'colour'`,
    ]);
    expect(await refused(spec("has(self.colour)"))).toHaveLength(1);
    await accepted(spec("self.color == 'red'"));
  });

  it("refuses a rule whose estimated cost exceeds the budget", async () => {
    const list = (maxItems?: number, maxLength?: number) =>
      withSpec({
        type: "object",
        properties: {
          names: {
            type: "array",
            ...(maxItems ? { maxItems } : {}),
            items: { type: "string", ...(maxLength ? { maxLength } : {}) },
          },
        },
        "x-kubernetes-validations": [{ rule: "self.names.all(n, n.matches('^[a-z]+$'))" }],
      });
    // Over the per-rule budget, and so over the CRD's total too.
    expect(await refused(list())).toEqual([
      `${ROOT}.properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`,
      `${ROOT}.properties[spec].x-kubernetes-validations[0].rule: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema`,
      `${ROOT}: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`,
    ]);
    await accepted(list(64, 63));
  });

  it("multiplies a rule's cost by how often it runs: once per list item", async () => {
    const items = (maxItems?: number) =>
      withSpec({
        type: "object",
        properties: {
          hosts: {
            type: "array",
            ...(maxItems ? { maxItems } : {}),
            items: {
              type: "object",
              properties: { name: { type: "string", maxLength: 5000 } },
              "x-kubernetes-validations": [{ rule: "self.name.matches('^[a-z.]+$')" }],
            },
          },
        },
      });
    const causes = await refused(items());
    expect(causes).toContainEqual(
      expect.stringMatching(
        /properties\[hosts\]\.items\.x-kubernetes-validations\[0\]\.rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x/,
      ),
    );
    await accepted(items(100));
  });

  it("refuses schemas whose rules together exceed the CRD budget", async () => {
    const properties: Record<string, JsonSchema> = {};
    for (let i = 0; i < 12; i++) {
      properties[`f${i}`] = {
        type: "string",
        maxLength: 45_000_000,
        // Each just under the per-rule budget: (45e6 + 1) × 0.1 × (8 × 0.25), plus 2.
        "x-kubernetes-validations": [{ rule: "self.matches('^[a-z]+$')" }],
      };
    }
    const causes = await refused(withSpec({ type: "object", properties }));
    expect(causes).toContain(
      `${ROOT}: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of 1.080000x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`,
    );
    expect(causes.filter((c) => c.includes("contributed to estimated rule cost total"))).toHaveLength(4);
  });

  it("allows oldSelf only where old and new values correlate", async () => {
    const list = (listType: "atomic" | "map") =>
      withSpec({
        type: "object",
        properties: {
          ports: {
            type: "array",
            maxItems: 8,
            "x-kubernetes-list-type": listType,
            ...(listType === "map" ? { "x-kubernetes-list-map-keys": ["name"] } : {}),
            items: {
              type: "object",
              required: ["name"],
              properties: { name: { type: "string", maxLength: 15 }, port: { type: "integer" } },
              "x-kubernetes-validations": [
                { rule: "self.port == oldSelf.port", message: "port is immutable" },
              ],
            },
          },
        },
      });
    expect(await refused(list("atomic"))).toEqual([
      `${ROOT}.properties[spec].properties[ports].items.x-kubernetes-validations[0].rule: Invalid value: "self.port == oldSelf.port": oldSelf cannot be used on the uncorrelatable portion of the schema within ${ROOT}.properties[spec].properties[ports]`,
    ]);
    await accepted(list("map"));
    expect(
      await refused(
        withSpec({ type: "object", "x-kubernetes-validations": [{ rule: "true", optionalOldSelf: true }] }),
      ),
    ).toEqual([
      `${ROOT}.properties[spec].x-kubernetes-validations[0].optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule`,
    ]);
  });
});

describe("names, versions and printer columns", () => {
  const schema = { type: "object", properties: { spec: { type: "object" } } };

  it("names are RFC 1035 labels (kinds in any case), and kind differs from listKind", async () => {
    const crd = crdWith(schema);
    crd.spec.names = {
      ...crd.spec.names,
      singular: "thing",
      kind: "Thing_X",
      shortNames: ["1st"],
      listKind: "Thing_X",
    } as never;
    const { code, status } = await postCrd(crd);
    expect(code).toBe(422);
    expect((status.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`)).toEqual([
      expect.stringMatching(
        /^spec\.names\.kind: Invalid value: "Thing_X": may have mixed case, but should otherwise match: a DNS-1035 label/,
      ),
      expect.stringMatching(/^spec\.names\.listKind: Invalid value: "Thing_X": may have mixed case/),
      expect.stringMatching(
        /^spec\.names\.shortNames\[0\]: Invalid value: "1st": a DNS-1035 label must consist of/,
      ),
      'spec.names.listKind: Invalid value: "Thing_X": kind and listKind may not be the same',
    ]);
  });

  it("printer columns have a name, a known type and format, and a path starting with a dot", async () => {
    const crd = crdWith(schema);
    (crd.spec.versions[0] as Record<string, unknown>).additionalPrinterColumns = [
      { name: "Ready", type: "text", jsonPath: ".status.ready" },
      { name: "Age", type: "date", format: "time", jsonPath: "metadata.creationTimestamp" },
    ];
    const { code, status } = await postCrd(crd);
    expect(code).toBe(422);
    expect((status.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.versions[0].additionalPrinterColumns[0].type: Unsupported value: "text": supported values: "boolean", "date", "integer", "number", "string"',
      'spec.versions[0].additionalPrinterColumns[1].format: Unsupported value: "time": supported values: "byte", "date", "date-time", "double", "float", "int32", "int64", "password"',
      'spec.versions[0].additionalPrinterColumns[1].JSONPath: Invalid value: "metadata.creationTimestamp": must be a simple json path starting with .',
    ]);
  });
});

describe("kubectl apply --server-side of the CRDs, as the README says", () => {
  const apply = (crd: unknown, name: string) =>
    fetch(
      `${api.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=kubectl&force=true`,
      {
        method: "PATCH",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/apply-patch+yaml" },
        body: JSON.stringify(crd),
      },
    );

  it("creates them, re-applies them without a change, and refuses the broken root metadata", async () => {
    const [crd] = customResourceDefinitions().map((c) => structuredClone(c));
    crd!.spec.group = "applied.example.com";
    crd!.metadata.name = `accesstokens.applied.example.com`;
    const first = await apply(crd, crd!.metadata.name);
    expect(first.status, await first.clone().text()).toBe(201);
    // Once the CRD controller has marked it Established, applying the same CRD writes nothing.
    await api.settle();
    const before = api.get("customresourcedefinitions.apiextensions.k8s.io", undefined, crd!.metadata.name);
    const again = await apply(crd, crd!.metadata.name);
    expect(again.status).toBe(200);
    const after = (await again.json()) as { metadata: { resourceVersion: string; generation: number } };
    expect(after.metadata).toMatchObject({
      resourceVersion: before?.metadata.resourceVersion,
      generation: 1,
    });
    crd!.spec.versions[0]!.schema.openAPIV3Schema.properties!.metadata!.description =
      "Standard object metadata.";
    const broken = await apply(crd, crd!.metadata.name);
    expect(broken.status).toBe(422);
    expect(((await broken.json()) as StatusBody).message).toContain("metadata is implicitly specified");
  });
});
