import { isIP } from "node:net";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import type { CustomResourceDefinition, JSONSchemaProps } from "../../src/crd/index.js";
import { tokenServerCrd } from "../../src/crd/index.js";
import {
  accessTokenCrd,
  clusterTokenServerCrd,
  customResourceDefinitions,
  exampleAccessToken,
  exampleClusterTokenServer,
  exampleTokenServer,
  structuralProblems,
} from "../../src/crd/index.js";

/** Keywords a CRD's openAPIV3Schema may use here; anything else is a converter bug. */
const KEYWORDS = new Set([
  "description",
  "type",
  "format",
  "enum",
  "default",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "minItems",
  "maxItems",
  "maxProperties",
  "required",
  "properties",
  "items",
  "additionalProperties",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-validations",
]);
const TYPES = new Set(["object", "array", "string", "integer", "number", "boolean"]);

interface Visited {
  node: JSONSchemaProps;
  path: string[];
  /** A named property (not a list item or map value). */
  isProperty: boolean;
}

function walk(root: JSONSchemaProps): Visited[] {
  const out: Visited[] = [];
  const visit = (node: JSONSchemaProps, path: string[], isProperty: boolean) => {
    out.push({ node, path, isProperty });
    for (const [k, child] of Object.entries(node.properties ?? {})) visit(child, [...path, k], true);
    if (node.items) visit(node.items, [...path, "*"], false);
    if (node.additionalProperties) visit(node.additionalProperties, [...path, "*"], false);
  };
  visit(root, [], false);
  return out;
}

const schemaOf = (crd: CustomResourceDefinition) => crd.spec.versions[0]!.schema.openAPIV3Schema;

describe.each(customResourceDefinitions().map((c) => [c.spec.names.kind, c] as const))(
  "%s CRD",
  (_kind, crd) => {
    const nodes = walk(schemaOf(crd));
    const at = (path: string[]) => path.join(".") || "(root)";

    it("is structural: every node typed, only allowed keywords, no $ref or additionalProperties: false", () => {
      for (const { node, path } of nodes) {
        expect(TYPES.has(node.type), `${at(path)} type`).toBe(true);
        for (const key of Object.keys(node))
          expect(KEYWORDS.has(key), `${at(path)} keyword ${key}`).toBe(true);
        if ("additionalProperties" in node) expect(typeof node.additionalProperties, at(path)).toBe("object");
        expect(node.properties && node.additionalProperties, at(path)).toBeFalsy();
      }
      expect(JSON.stringify(crd)).not.toContain("$ref");
      expect(structuralProblems(schemaOf(crd))).toEqual([]);
    });

    it("describes every field (kubectl explain shows these)", () => {
      for (const { node, path, isProperty } of nodes) {
        // Root metadata is the exception: the API server refuses a description there.
        if (path.length === 1 && path[0] === "metadata") continue;
        if (isProperty || node.type === "object") expect(node.description, at(path)).toBeTruthy();
      }
    });

    it("bounds every string and list, so CEL cost estimation succeeds", () => {
      for (const { node, path } of nodes) {
        const rootMeta = path.length === 1 && ["apiVersion", "kind"].includes(path[0]!);
        if (node.type === "string" && !node.enum && !rootMeta)
          expect(node.maxLength, at(path)).toBeGreaterThan(0);
        if (node.type === "array") expect(node.maxItems, at(path)).toBeGreaterThan(0);
        if (node.type === "object" && node.additionalProperties)
          expect(node.maxProperties, at(path)).toBeGreaterThan(0);
      }
    });

    it("has defaults only on top-level spec scalars, never in list items or nested objects", () => {
      for (const { node, path } of nodes) {
        if (node.default === undefined) continue;
        expect(path, at(path)).toHaveLength(2);
        expect(path[0]).toBe("spec");
        expect(["string", "integer", "boolean"]).toContain(node.type);
        expect(path).not.toContain("*");
      }
    });

    it("keeps list-map keys required and points every rule's fieldPath at a field", () => {
      for (const { node, path } of nodes) {
        for (const key of node["x-kubernetes-list-map-keys"] ?? []) {
          expect(node["x-kubernetes-list-type"]).toBe("map");
          expect(node.items?.required, `${at(path)} key ${key}`).toContain(key);
        }
        for (const rule of node["x-kubernetes-validations"] ?? []) {
          if (!rule.fieldPath) continue;
          let target: JSONSchemaProps | undefined = node;
          for (const name of rule.fieldPath.slice(1).split(".")) target = target?.properties?.[name];
          expect(target, `${at(path)}: ${rule.fieldPath}`).toBeDefined();
        }
      }
    });

    it("declares root metadata as a bare object, as kube-apiserver requires", () => {
      expect(schemaOf(crd).properties?.metadata).toEqual({ type: "object" });
    });

    it("has a status subresource and the tokenplane category", () => {
      const version = crd.spec.versions[0]!;
      expect(crd.spec.versions).toHaveLength(1);
      expect(version).toMatchObject({
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
      });
      expect(crd.spec.group).toBe("tokenplane.dev");
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.tokenplane.dev`);
      expect(crd.spec.names.categories).toEqual(["tokenplane"]);
      expect(schemaOf(crd).properties?.status).toBeDefined();
    });
  },
);

describe("names and columns", () => {
  const columns = (crd: CustomResourceDefinition, wide = false) =>
    crd.spec.versions[0]!.additionalPrinterColumns.filter((c) => wide || !c.priority).map((c) => c.name);

  it("AccessToken: namespaced, atok, Ready/Secret/Expires/Renews/Age", () => {
    const crd = accessTokenCrd();
    expect(crd.spec.scope).toBe("Namespaced");
    expect(crd.spec.names).toMatchObject({
      kind: "AccessToken",
      plural: "accesstokens",
      shortNames: ["atok"],
    });
    expect(columns(crd)).toEqual(["Ready", "Secret", "Expires", "Renews", "Age"]);
    const byName = Object.fromEntries(crd.spec.versions[0]!.additionalPrinterColumns.map((c) => [c.name, c]));
    expect(byName.Ready?.jsonPath).toBe('.status.conditions[?(@.type=="Ready")].status');
    // A future time as a "date" column prints as "<invalid>": the API server formats dates as ages.
    expect(byName.Expires?.type).toBe("string");
    expect(byName.Renews?.type).toBe("string");
    expect(byName.Renews?.jsonPath).toBe(".status.renewalTime");
  });

  it("servers: Ready/URL/Age, TokenServer namespaced, ClusterTokenServer cluster-scoped", () => {
    expect(tokenServerCrd().spec.scope).toBe("Namespaced");
    expect(clusterTokenServerCrd().spec.scope).toBe("Cluster");
    for (const crd of [tokenServerCrd(), clusterTokenServerCrd()])
      expect(columns(crd)).toEqual(["Ready", "URL", "Age"]);
    const shortNames = customResourceDefinitions().flatMap((c) => c.spec.names.shortNames);
    expect(new Set(shortNames).size).toBe(shortNames.length);
  });

  it("lists are sets or maps where server-side apply should merge them", () => {
    const spec = schemaOf(accessTokenCrd()).properties!.spec!.properties!;
    for (const set of ["permissions", "allowedDomains", "allowedIps"]) {
      expect(spec[set]?.["x-kubernetes-list-type"], set).toBe("set");
    }
    expect(spec.rolloutRestartTargets?.["x-kubernetes-list-map-keys"]).toEqual(["kind", "name"]);
    const conditions = schemaOf(accessTokenCrd()).properties!.status!.properties!.conditions!;
    expect(conditions["x-kubernetes-list-map-keys"]).toEqual(["type"]);
  });
});

describe("structuralProblems", () => {
  it("finds what the API server would refuse", () => {
    const broken = {
      type: "object",
      properties: {
        spec: {
          type: "object",
          properties: {
            list: {
              type: "array",
              items: { type: "object", properties: { a: { type: "string", default: "x" } } },
            },
            untyped: { description: "no type" },
            ref: { type: "string", maxLength: 1, $ref: "#/x" },
          },
        },
      },
    } as unknown as JSONSchemaProps;
    const problems = structuralProblems(broken).join("\n");
    expect(problems).toMatch(/spec\.list: list without maxItems/);
    expect(problems).toMatch(/spec\.list\.\*\.a: default outside/);
    expect(problems).toMatch(/spec\.list\.\*\.a: string without maxLength/);
    expect(problems).toMatch(/spec\.untyped: no type/);
    expect(problems).toMatch(/spec\.ref: keyword \$ref/);
  });

  it("allows root metadata to restrict only name and generateName", () => {
    const withMetadata = (metadata: object) =>
      structuralProblems({ type: "object", properties: { metadata } } as unknown as JSONSchemaProps);
    expect(withMetadata({ type: "object" })).toEqual([]);
    expect(withMetadata({ type: "object", properties: { name: { type: "string", maxLength: 63 } } })).toEqual(
      [],
    );
    expect(withMetadata({ type: "object", description: "Standard object metadata." }).join("\n")).toMatch(
      /metadata: keyword description/,
    );
    expect(
      withMetadata({ type: "object", properties: { labels: { type: "object", maxProperties: 1 } } }).join(
        "\n",
      ),
    ).toMatch(/metadata: property labels/);
  });
});

/** ajv, strict, taught the Kubernetes extensions and formats: a stand-in for the API server's schema check. */
function kubeAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true });
  ajv.addVocabulary([
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-validations",
    "x-kubernetes-map-type",
  ]);
  ajv.addFormat("date-time", (v: string) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v),
  );
  ajv.addFormat("byte", (v: string) => Buffer.from(v, "base64").toString("base64") === v);
  ajv.addFormat("cidr", (v: string) => {
    const [ip, bits, extra] = v.split("/");
    return (
      extra === undefined &&
      !!ip &&
      isIP(ip) > 0 &&
      /^\d+$/.test(bits ?? "") &&
      Number(bits) <= (isIP(ip) === 4 ? 32 : 128)
    );
  });
  return ajv;
}

describe("the generated schema, read by a JSON Schema validator", () => {
  const ajv = kubeAjv();
  const validate = {
    AccessToken: ajv.compile(schemaOf(accessTokenCrd())),
    TokenServer: ajv.compile(schemaOf(tokenServerCrd())),
    ClusterTokenServer: ajv.compile(schemaOf(clusterTokenServerCrd())),
  };

  it("accepts the contract's examples", () => {
    for (const [kind, example] of [
      ["AccessToken", exampleAccessToken()],
      ["TokenServer", exampleTokenServer()],
      ["ClusterTokenServer", exampleClusterTokenServer()],
    ] as const) {
      const ok = validate[kind](example);
      expect(ok ? [] : validate[kind].errors, kind).toEqual([]);
    }
  });

  it("accepts its own defaults", () => {
    for (const { node, path } of walk(schemaOf(accessTokenCrd()))) {
      if (node.default !== undefined) expect(ajv.validate(node, node.default), path.join(".")).toBe(true);
    }
  });

  it("rejects what the schema (not CEL) forbids", () => {
    const cases: [string, (spec: Record<string, unknown>) => void, string][] = [
      ["type", (s) => (s.type = "admin"), "/spec/type"],
      ["permission", (s) => (s.permissions = ["orders"]), "/spec/permissions/0"],
      ["duration", (s) => (s.duration = "1y"), "/spec/duration"],
      ["renewBefore", (s) => (s.rotation = { renewBefore: "soon" }), "/spec/rotation/renewBefore"],
      ["cidr", (s) => (s.allowedIps = ["10.0.0.0/40"]), "/spec/allowedIps/0"],
      [
        "refill",
        (s) => (s.credits = { limit: 1, refill: { amount: 0, interval: "daily" } }),
        "/spec/credits/refill/amount",
      ],
      [
        "rollout key",
        (s) => (s.rolloutRestartTargets = [{ kind: "Deployment" }]),
        "/spec/rolloutRestartTargets/0",
      ],
      ["label value", (s) => (s.secretTemplate = { labels: { a: "-x-" } }), "/spec/secretTemplate/labels/a"],
    ];
    for (const [name, change, path] of cases) {
      const token = exampleAccessToken();
      change(token.spec);
      expect(validate.AccessToken(token), name).toBe(false);
      expect(
        validate.AccessToken.errors?.map((e) => e.instancePath),
        name,
      ).toContain(path);
    }
  });
});
