import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi, type KubeObject } from "../support/kube-api/index.js";
import { waitFor } from "../support/wait.js";
import { failure, widget, widgetCrd, type Widget } from "./helpers.js";

let api: KubeApi;
let custom: k8s.CustomObjectsApi;
let extensions: k8s.ApiextensionsV1Api;
const ref = { group: "example.com", version: "v1", plural: "widgets", namespace: "default" };

beforeAll(async () => {
  api = await startKubeApi();
  const kc = api.kubeConfig();
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  extensions = kc.makeApiClient(k8s.ApiextensionsV1Api);
});

afterAll(async () => {
  expect(api.unexpectedErrors()).toEqual([]);
  await api.close();
});

const create = (w: Widget): Promise<Widget> =>
  custom.createNamespacedCustomObject({ ...ref, body: w }) as Promise<Widget>;
const read = (name: string): Promise<Widget> =>
  custom.getNamespacedCustomObject({ ...ref, name }) as Promise<Widget>;

describe("installing a CRD", () => {
  it("serves the resource, then reports the CRD Established", async () => {
    // Typed models drop wire names such as "x-kubernetes-validations", "default" and "enum"
    // (their TypeScript names are x_kubernetes_validations, _default, _enum); loadYaml converts.
    await extensions.createCustomResourceDefinition({ body: k8s.loadYaml(JSON.stringify(widgetCrd)) });
    const created = await create(widget("first"));
    expect(created.metadata.uid).toBeDefined();
    const crd = await waitFor(async () => {
      const c = await extensions.readCustomResourceDefinition({ name: "widgets.example.com" });
      return c.status?.conditions?.some((x) => x.type === "Established" && x.status === "True") && c;
    });
    expect(crd.status?.acceptedNames).toMatchObject({
      kind: "Widget",
      plural: "widgets",
      listKind: "WidgetList",
    });
    expect(crd.metadata?.finalizers).toContain("customresourcecleanup.apiextensions.k8s.io");
    const discovery = (await (await fetch(`${api.url}/apis/example.com/v1`)).json()) as {
      resources: { name: string; shortNames?: string[] }[];
    };
    expect(discovery.resources).toEqual([
      expect.objectContaining({ name: "widgets", shortNames: ["wd"] }),
      expect.objectContaining({ name: "widgets/status" }),
    ]);
  });

  it("rejects a CRD whose CEL rule does not compile, naming the rule", async () => {
    const broken = structuredClone(widgetCrd) as KubeObject & {
      spec: { group: string; names: { plural: string } };
    };
    broken.metadata.name = "brokens.example.com";
    broken.spec.names = { plural: "brokens", kind: "Broken" } as never;
    const schema = (
      broken.spec as unknown as { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] }
    ).versions[0]!.schema.openAPIV3Schema;
    schema["x-kubernetes-validations"] = [{ rule: "self.spec.color ==" }];
    const { code, status } = await failure(
      extensions.createCustomResourceDefinition({ body: k8s.loadYaml(JSON.stringify(broken)) }),
    );
    expect(code).toBe(422);
    expect(status.details?.causes?.[0]?.field).toBe(
      "spec.versions[0].schema.openAPIV3Schema.x-kubernetes-validations[0].rule",
    );
  });
});

describe("defaults, pruning and generation", () => {
  it("applies defaults and drops status on create", async () => {
    const w = await create({ ...widget("defaults"), status: { phase: "Hacked" } });
    expect(w.spec).toEqual({ color: "red", size: 3, type: "read-only" });
    expect(w.status).toBeUndefined();
    expect(w.metadata.generation).toBe(1);
  });

  it("prunes unknown fields, keeps x-kubernetes-preserve-unknown-fields, and warns", async () => {
    const res = await fetch(`${api.url}/apis/example.com/v1/namespaces/default/widgets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        ...widget("pruned", { extra: { anything: { goes: [1, 2] } } }),
        spec: { color: "blue", extra: { anything: { goes: [1, 2] } }, bogus: true },
        topLevelJunk: 1,
      }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("warning")).toContain('unknown field \\"spec.bogus\\"');
    const stored = api.get<Widget>("widgets.example.com", "default", "pruned");
    expect(stored?.spec).toEqual({
      color: "blue",
      size: 3,
      type: "read-only",
      extra: { anything: { goes: [1, 2] } },
    });
    expect(stored).not.toHaveProperty("topLevelJunk");
  });

  it("rejects unknown fields with fieldValidation=Strict", async () => {
    const res = await fetch(
      `${api.url}/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Strict`,
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...widget("strict"), spec: { color: "red", bogus: 1 } }),
      },
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(
      'strict decoding error: unknown field "spec.bogus"',
    );
  });

  it("bumps generation for spec changes but not for metadata or status", async () => {
    const w = await create(widget("gen"));
    const labelled = (await custom.replaceNamespacedCustomObject({
      ...ref,
      name: "gen",
      body: { ...w, metadata: { ...w.metadata, labels: { a: "b" } } },
    })) as Widget;
    expect(labelled.metadata.generation).toBe(1);
    const changed = (await custom.replaceNamespacedCustomObject({
      ...ref,
      name: "gen",
      body: { ...labelled, spec: { ...labelled.spec, color: "green" } },
    })) as Widget;
    expect(changed.metadata.generation).toBe(2);
    const status = (await custom.replaceNamespacedCustomObjectStatus({
      ...ref,
      name: "gen",
      body: {
        ...changed,
        spec: { ...changed.spec, color: "blue" },
        status: { observedGeneration: 2, phase: "Ready" },
      },
    })) as Widget;
    expect(status.status).toEqual({ observedGeneration: 2, phase: "Ready" });
    expect(status.spec.color).toBe("green");
    expect(status.metadata.generation).toBe(2);
    const mainWithStatus = (await custom.replaceNamespacedCustomObject({
      ...ref,
      name: "gen",
      body: { ...status, status: { phase: "Overwritten" } },
    })) as Widget;
    expect(mainWithStatus.status?.phase).toBe("Ready");
  });

  it("requires resourceVersion on PUT and answers 409 for a stale one", async () => {
    const w = await read("gen");
    const noRv = { ...w, metadata: { ...w.metadata, resourceVersion: undefined } };
    const missing = await failure(custom.replaceNamespacedCustomObject({ ...ref, name: "gen", body: noRv }));
    expect(missing.code).toBe(422);
    expect(missing.status.message).toBe(
      'widgets.example.com "gen" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update',
    );
    await custom.replaceNamespacedCustomObject({
      ...ref,
      name: "gen",
      body: { ...w, spec: { ...w.spec, size: 4 } },
    });
    const stale = await failure(custom.replaceNamespacedCustomObject({ ...ref, name: "gen", body: w }));
    expect(stale.code).toBe(409);
  });
});

describe("schema validation", () => {
  it("names every invalid field, with the real server's messages", async () => {
    const { code, status } = await failure(
      create(
        widget("bad", {
          color: "purple",
          size: 20,
          type: "custom",
          permissions: ["orders:read", "orders:read", "Orders:Delete"],
          secretName: "x".repeat(21),
        }),
      ),
    );
    expect(code).toBe(422);
    expect(status.reason).toBe("Invalid");
    expect(status.details).toMatchObject({ name: "bad", group: "example.com", kind: "Widget" });
    const causes = status.details?.causes ?? [];
    expect(causes).toEqual(
      expect.arrayContaining([
        {
          reason: "FieldValueNotSupported",
          field: "spec.color",
          message: 'Unsupported value: "purple": supported values: "red", "green", "blue"',
        },
        {
          reason: "FieldValueInvalid",
          field: "spec.size",
          message: "Invalid value: 20: spec.size in body should be less than or equal to 10",
        },
        {
          reason: "FieldValueInvalid",
          field: "spec.permissions[2]",
          message: `Invalid value: "Orders:Delete": spec.permissions[2] in body should match '^[a-z]+:(read|write)$'`,
        },
        {
          reason: "FieldValueDuplicate",
          field: "spec.permissions[1]",
          message: 'Duplicate value: "orders:read"',
        },
        {
          reason: "FieldValueTooLong",
          field: "spec.secretName",
          message: "Too long: may not be more than 20 bytes",
        },
      ]),
    );
    expect(status.message).toMatch(/^Widget\.example\.com "bad" is invalid: \[/);
  });

  it("reports missing required fields and wrong types", async () => {
    const missing = await failure(
      custom.createNamespacedCustomObject({
        ...ref,
        body: { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "empty" }, spec: {} },
      }),
    );
    expect(missing.status.details?.causes).toEqual([
      { reason: "FieldValueRequired", field: "spec.color", message: "Required value" },
      expect.objectContaining({
        field: "<nil>",
        message: expect.stringContaining("some validation rules were not checked"),
      }),
    ]);
    const wrongType = await failure(
      create({ ...widget("typed"), spec: { color: "red", size: "big" as never } }),
    );
    expect(wrongType.status.details?.causes?.[0]).toEqual({
      reason: "FieldValueTypeInvalid",
      field: "spec.size",
      message: 'Invalid value: "string": spec.size in body must be of type integer: "string"',
    });
  });

  it("validates metadata.name of custom resources", async () => {
    const { status } = await failure(create(widget("Bad_Name")));
    expect(status.details?.causes?.[0]?.field).toBe("metadata.name");
  });
});

describe("more of the structural schema", () => {
  const gizmos: KubeObject = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "gizmos.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "gizmos", kind: "Gizmo" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: {
                    note: { type: "string", nullable: true, minLength: 2 },
                    plain: { type: "string" },
                    port: { "x-kubernetes-int-or-string": true },
                    expires: { type: "string", format: "date-time" },
                    tags: { type: "array", minItems: 1, items: { type: "string" } },
                    limits: { type: "object", additionalProperties: { type: "integer", minimum: 0 } },
                    rules: {
                      type: "array",
                      "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["name"],
                      items: {
                        type: "object",
                        required: ["name"],
                        properties: { name: { type: "string" }, weight: { type: "integer", default: 1 } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
  const gizmoRef = { group: "example.com", version: "v1", plural: "gizmos", namespace: "default" };
  const gizmo = (name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: "example.com/v1",
    kind: "Gizmo",
    metadata: { name },
    spec,
  });

  it("keeps nulls of nullable fields, prunes others, and defaults inside list items", async () => {
    await api.installCrd(gizmos);
    const g = (await custom.createNamespacedCustomObject({
      ...gizmoRef,
      body: gizmo("g1", {
        note: null,
        plain: null,
        port: "http",
        rules: [{ name: "a" }],
        limits: { cpu: 2 },
      }),
    })) as KubeObject;
    expect(g.spec).toEqual({
      note: null,
      port: "http",
      rules: [{ name: "a", weight: 1 }],
      limits: { cpu: 2 },
    });
  });

  it("names the item of a list-map with a duplicate key and other violations", async () => {
    const { status } = await failure(
      custom.createNamespacedCustomObject({
        ...gizmoRef,
        body: gizmo("g2", {
          note: "x",
          port: true,
          expires: "tomorrow",
          tags: [],
          limits: { cpu: -1 },
          rules: [{ name: "a" }, { name: "a", weight: 2 }],
        }),
      }),
    );
    expect(status.details?.causes).toEqual(
      expect.arrayContaining([
        {
          reason: "FieldValueInvalid",
          field: "spec.note",
          message: 'Invalid value: "x": spec.note in body should be at least 2 chars long',
        },
        {
          reason: "FieldValueTypeInvalid",
          field: "spec.port",
          message: 'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
        },
        {
          reason: "FieldValueInvalid",
          field: "spec.expires",
          message: 'Invalid value: "tomorrow": spec.expires in body must be of type date-time: "tomorrow"',
        },
        {
          reason: "FieldValueInvalid",
          field: "spec.tags",
          message: "Invalid value: 0: spec.tags in body should have at least 1 items",
        },
        {
          reason: "FieldValueInvalid",
          field: "spec.limits.cpu",
          message: "Invalid value: -1: spec.limits.cpu in body should be greater than or equal to 0",
        },
        {
          reason: "FieldValueDuplicate",
          field: "spec.rules[1]",
          message: 'Duplicate value: map[string]interface {}{"name":"a"}',
        },
      ]),
    );
  });
});

describe("CEL validation rules", () => {
  it("evaluates x-kubernetes-validations with fieldPath and message", async () => {
    const { code, status } = await failure(create(widget("cel", { permissions: ["orders:read"] })));
    expect(code).toBe(422);
    expect(status.details?.causes).toEqual([
      {
        reason: "FieldValueInvalid",
        field: "spec.permissions",
        message: 'Invalid value: "object": permissions may only be set when type is custom',
      },
    ]);
    const ok = await create(widget("cel", { type: "custom", permissions: ["orders:read"] }));
    expect(ok.spec.permissions).toEqual(["orders:read"]);
  });

  it("evaluates transition rules against oldSelf on update only", async () => {
    const created = await create(widget("immutable", { secretName: "first" }));
    const unchanged = (await custom.patchNamespacedCustomObject(
      { ...ref, name: "immutable", body: { spec: { color: "blue" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    )) as Widget;
    expect(unchanged.spec.secretName).toBe("first");
    const { code, status } = await failure(
      custom.replaceNamespacedCustomObject({
        ...ref,
        name: "immutable",
        body: { ...unchanged, spec: { ...unchanged.spec, secretName: "second" } },
      }),
    );
    expect(code).toBe(422);
    expect(status.details?.causes).toEqual([
      {
        reason: "FieldValueInvalid",
        field: "spec.secretName",
        message: 'Invalid value: "string": secretName is immutable (was first)',
      },
    ]);
    expect(created.metadata.name).toBe("immutable");
  });
});

describe("cluster-scoped CRDs without a status subresource", () => {
  const gadgets: KubeObject = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "gadgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Cluster",
      names: { plural: "gadgets", kind: "Gadget" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  };

  it("serves cluster-scoped objects, and status changes bump generation", async () => {
    await api.installCrd(gadgets);
    const g = (await custom.createClusterCustomObject({
      group: "example.com",
      version: "v1",
      plural: "gadgets",
      body: { apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g1" }, spec: { a: 1 } },
    })) as KubeObject;
    expect(g.metadata.namespace).toBeUndefined();
    const updated = (await custom.replaceClusterCustomObject({
      group: "example.com",
      version: "v1",
      plural: "gadgets",
      name: "g1",
      body: { ...g, status: { seen: true } },
    })) as KubeObject;
    expect(updated.metadata.generation).toBe(2);
    const res = await fetch(`${api.url}/apis/example.com/v1/gadgets/g1/status`);
    expect(res.status).toBe(404);
  });
});

describe("deleting a CRD", () => {
  it("deletes its objects (waiting for their finalizers) and then stops serving it", async () => {
    await api.installCrd({ ...gadgetsLike("doomeds", "Doomed") });
    const doomed = { group: "example.com", version: "v1", plural: "doomeds", namespace: "default" };
    await custom.createNamespacedCustomObject({
      ...doomed,
      body: {
        apiVersion: "example.com/v1",
        kind: "Doomed",
        metadata: { name: "d1", finalizers: ["example.com/hold"] },
      },
    });
    await extensions.deleteCustomResourceDefinition({ name: "doomeds.example.com" });
    const held = await waitFor(() => {
      const d = api.get("doomeds.example.com", "default", "d1");
      return d?.metadata.deletionTimestamp !== undefined && d;
    });
    expect(held.metadata.finalizers).toEqual(["example.com/hold"]);
    expect(
      api.get("customresourcedefinitions.apiextensions.k8s.io", undefined, "doomeds.example.com"),
    ).toBeDefined();
    await custom.patchNamespacedCustomObject({
      ...doomed,
      name: "d1",
      body: [{ op: "remove", path: "/metadata/finalizers" }],
    });
    await waitFor(
      () => !api.get("customresourcedefinitions.apiextensions.k8s.io", undefined, "doomeds.example.com"),
    );
    const res = await fetch(`${api.url}/apis/example.com/v1/namespaces/default/doomeds`);
    expect(res.status).toBe(404);
  });
});

function gadgetsLike(plural: string, kind: string): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.example.com` },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural, kind },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  };
}
