import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi } from "../support/kube-api/index.js";
import { failure, widget, widgetCrd, type Widget } from "./helpers.js";

let api: KubeApi;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let custom: k8s.CustomObjectsApi;
let objects: k8s.KubernetesObjectApi;
const ref = { group: "example.com", version: "v1", plural: "widgets", namespace: "default" };
const as = (type: string): k8s.ConfigurationOptions => k8s.setHeaderOptions("Content-Type", type);

beforeAll(async () => {
  api = await startKubeApi({ crds: [widgetCrd] });
  const kc = api.kubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  objects = k8s.KubernetesObjectApi.makeApiClient(kc);
});

afterAll(async () => {
  expect(api.unexpectedErrors()).toEqual([]);
  await api.close();
});

const lastContentType = (): string => api.requests.entries().at(-1)?.contentType ?? "";

describe("JSON patch (client-node's default for typed patch calls)", () => {
  it("is what patchNamespaced* sends without options, and applies RFC 6902 operations", async () => {
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "jp" }, data: { a: "1" } },
    });
    const patched = await core.patchNamespacedConfigMap({
      name: "jp",
      namespace: "default",
      body: [
        { op: "test", path: "/data/a", value: "1" },
        { op: "add", path: "/data/b", value: "2" },
        { op: "replace", path: "/data/a", value: "one" },
        { op: "add", path: "/metadata/labels", value: { "app.kubernetes.io/managed-by": "tokenplane" } },
      ],
    });
    expect(lastContentType()).toBe("application/json-patch+json");
    expect(patched.data).toEqual({ a: "one", b: "2" });
    expect(patched.metadata?.labels).toEqual({ "app.kubernetes.io/managed-by": "tokenplane" });
  });

  it("fails the whole patch with 422 when a test operation fails", async () => {
    const before = api.get("configmaps", "default", "jp");
    const { code, status } = await failure(
      core.patchNamespacedConfigMap({
        name: "jp",
        namespace: "default",
        body: [
          { op: "replace", path: "/data/b", value: "changed" },
          { op: "test", path: "/metadata/resourceVersion", value: "1" },
        ],
      }),
    );
    expect(code).toBe(422);
    expect(status.message).toBe("testing value /metadata/resourceVersion failed: test failed");
    expect(api.get("configmaps", "default", "jp")).toEqual(before);
  });

  it("answers 400 for a malformed patch document", async () => {
    const { code } = await failure(
      core.patchNamespacedConfigMap({ name: "jp", namespace: "default", body: { not: "an array" } }),
    );
    expect(code).toBe(400);
  });
});

describe("merge patch (selected with setHeaderOptions)", () => {
  it("merges objects and deletes keys set to null", async () => {
    const patched = await core.patchNamespacedConfigMap(
      { name: "jp", namespace: "default", body: { data: { a: null, c: "3" } } },
      as(k8s.PatchStrategy.MergePatch),
    );
    expect(lastContentType()).toBe("application/merge-patch+json");
    expect(patched.data).toEqual({ b: "2", c: "3" });
  });

  it("patches only status through the status subresource", async () => {
    await custom.createNamespacedCustomObject({ ...ref, body: widget("merge") });
    const patched = (await custom.patchNamespacedCustomObjectStatus(
      {
        ...ref,
        name: "merge",
        body: { spec: { color: "blue" }, status: { phase: "Ready", observedGeneration: 1 } },
      },
      as(k8s.PatchStrategy.MergePatch),
    )) as Widget;
    expect(patched.status).toEqual({ phase: "Ready", observedGeneration: 1 });
    expect(patched.spec.color).toBe("red");
  });

  it("refuses force for non-apply patches", async () => {
    const { code, status } = await failure(
      core.patchNamespacedConfigMap(
        { name: "jp", namespace: "default", body: {}, force: true },
        as(k8s.PatchStrategy.MergePatch),
      ),
    );
    expect(code).toBe(422);
    expect(status.details?.causes?.[0]?.field).toBe("force");
  });
});

describe("strategic merge patch (KubernetesObjectApi's default)", () => {
  it("merges containers by name on built-in kinds", async () => {
    await apps.createNamespacedDeployment({
      namespace: "default",
      body: {
        metadata: { name: "smp" },
        spec: {
          selector: { matchLabels: { app: "smp" } },
          template: {
            metadata: { labels: { app: "smp" } },
            spec: {
              containers: [
                { name: "app", image: "app:1", env: [{ name: "A", value: "1" }] },
                { name: "sidecar", image: "side:1" },
              ],
            },
          },
        },
      },
    });
    const patched = (await objects.patch({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "smp", namespace: "default" },
      spec: {
        template: {
          metadata: { annotations: { "tokenplane.dev/restartedAt": "2025-01-01T00:00:00Z" } },
          spec: { containers: [{ name: "app", env: [{ name: "B", value: "2" }] }] },
        },
      },
    } as k8s.KubernetesObject)) as k8s.V1Deployment;
    expect(lastContentType()).toBe("application/strategic-merge-patch+json");
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(["app", "sidecar"]);
    expect(containers[0]?.env?.map((e) => e.name)).toEqual(["A", "B"]);
    expect(containers[0]?.image).toBe("app:1");
    expect(patched.spec?.template.metadata?.annotations).toEqual({
      "tokenplane.dev/restartedAt": "2025-01-01T00:00:00Z",
    });
    expect(patched.metadata?.generation).toBe(2);
  });

  it("honours $patch: delete in lists", async () => {
    const patched = await apps.patchNamespacedDeployment(
      {
        name: "smp",
        namespace: "default",
        body: { spec: { template: { spec: { containers: [{ name: "sidecar", $patch: "delete" }] } } } },
      },
      as(k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.template.spec?.containers.map((c) => c.name)).toEqual(["app"]);
  });

  it("is refused for custom resources with 415, as the real server does", async () => {
    const { code, status } = await failure(
      objects.patch({
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "merge", namespace: "default" },
        spec: { color: "green" },
      } as k8s.KubernetesObject),
    );
    expect(code).toBe(415);
    expect(status.reason).toBe("UnsupportedMediaType");
    const ok = await objects.patch(
      {
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "merge", namespace: "default" },
        spec: { color: "green" },
      } as k8s.KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    expect((ok as Widget).spec.color).toBe("green");
  });
});

describe("server-side apply", () => {
  const apply = (
    name: string,
    spec: Partial<Widget["spec"]>,
    manager: string,
    force?: boolean,
  ): Promise<Widget> =>
    custom.patchNamespacedCustomObject(
      { ...ref, name, body: widget(name, spec), fieldManager: manager, force },
      as(k8s.PatchStrategy.ServerSideApply),
    ) as Promise<Widget>;

  it("needs a fieldManager", async () => {
    const { code, status } = await failure(
      custom.patchNamespacedCustomObject(
        { ...ref, name: "ssa", body: widget("ssa") },
        as(k8s.PatchStrategy.ServerSideApply),
      ),
    );
    expect(code).toBe(422);
    expect(status.details?.causes?.[0]?.field).toBe("fieldManager");
  });

  it("creates the object when it does not exist and records the manager's fields", async () => {
    const created = await apply("ssa", { color: "red", size: 5 }, "alice");
    expect(created.metadata.uid).toBeDefined();
    expect(created.spec).toEqual({ color: "red", size: 5, type: "read-only" });
    expect(created.metadata.managedFields).toEqual([
      expect.objectContaining({
        manager: "alice",
        operation: "Apply",
        apiVersion: "example.com/v1",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:spec": { "f:color": {}, "f:size": {} } },
      }),
    ]);
  });

  it("answers 409 when another manager applies a different value for an owned field", async () => {
    const { code, status } = await failure(apply("ssa", { color: "blue" }, "bob"));
    expect(code).toBe(409);
    expect(status.reason).toBe("Conflict");
    expect(status.message).toBe('Apply failed with 1 conflict: conflict with "alice": .spec.color');
    expect(status.details?.causes).toEqual([
      { reason: "FieldManagerConflict", message: 'conflict with "alice"', field: ".spec.color" },
    ]);
  });

  it("shares ownership when the value is the same, and takes it over with force", async () => {
    const shared = await apply("ssa", { color: "red" }, "bob");
    expect(shared.metadata.managedFields?.map((m) => m.manager)).toEqual(["alice", "bob"]);
    const forced = await apply("ssa", { color: "blue" }, "carol", true);
    expect(forced.spec.color).toBe("blue");
    const owners = Object.fromEntries(
      (forced.metadata.managedFields ?? []).map((m) => [m.manager, JSON.stringify(m.fieldsV1)]),
    );
    expect(owners.carol).toContain("f:color");
    expect(owners.alice ?? "").not.toContain("f:color");
  });

  it("removes fields a manager stops applying, unless someone else owns them", async () => {
    await apply("shrink", { color: "red", size: 4, labels: { a: "1", b: "2" } }, "alice");
    const shrunk = await apply("shrink", { color: "red", labels: { a: "1" } }, "alice");
    expect(shrunk.spec.labels).toEqual({ a: "1" });
    expect(shrunk.spec.size).toBe(3); // removed, then defaulted again
  });

  it("removes a nested field it stops applying from an object it no longer mentions", async () => {
    await apply("nested", { color: "red", extra: { keep: 1, drop: 2 } }, "alice");
    await custom.patchNamespacedCustomObject(
      { ...ref, name: "nested", body: { spec: { extra: { keep: 3 } } }, fieldManager: "bob" },
      as(k8s.PatchStrategy.MergePatch),
    );
    const applied = await apply("nested", { color: "red" }, "alice");
    expect(applied.spec.extra).toEqual({ keep: 3 });
  });

  it("conflicts with fields set by a plain update, naming the updater", async () => {
    await apply("mixed", { color: "red" }, "operator");
    await custom.patchNamespacedCustomObject(
      { ...ref, name: "mixed", body: { spec: { color: "green" } }, fieldManager: "kubectl-edit" },
      as(k8s.PatchStrategy.MergePatch),
    );
    const { status } = await failure(apply("mixed", { color: "red" }, "operator"));
    expect(status.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-edit" using example.com/v1: .spec.color',
    );
  });

  it("applies status through the status subresource as its own manager entry", async () => {
    const applied = (await custom.patchNamespacedCustomObjectStatus(
      {
        ...ref,
        name: "ssa",
        body: {
          ...widget("ssa", { color: "green" }),
          status: { phase: "Ready", conditions: [{ type: "Ready", status: "True" }] },
        },
        fieldManager: "controller",
      },
      as(k8s.PatchStrategy.ServerSideApply),
    )) as Widget;
    expect(applied.status?.phase).toBe("Ready");
    expect(applied.spec.color).toBe("blue");
    expect(applied.metadata.managedFields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          manager: "controller",
          subresource: "status",
          fieldsV1: {
            "f:status": {
              "f:phase": {},
              "f:conditions": { 'k:{"type":"Ready"}': { ".": {}, "f:type": {}, "f:status": {} } },
            },
          },
        }),
      ]),
    );
  });

  it("treats a resourceVersion in the applied object as a precondition", async () => {
    const { code } = await failure(
      custom.patchNamespacedCustomObject(
        {
          ...ref,
          name: "ssa",
          body: { ...widget("ssa"), metadata: { name: "ssa", resourceVersion: "1" } },
          fieldManager: "carol",
        },
        as(k8s.PatchStrategy.ServerSideApply),
      ),
    );
    expect(code).toBe(409);
  });

  it("works through KubernetesObjectApi for built-in kinds", async () => {
    const secret = (await objects.patch(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: "applied",
          namespace: "default",
          labels: { "app.kubernetes.io/managed-by": "tokenplane" },
        },
        data: { token: Buffer.from("x").toString("base64") },
      } as k8s.KubernetesObject,
      undefined,
      undefined,
      "tokenplane",
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as k8s.V1Secret;
    expect(lastContentType()).toBe("application/apply-patch+yaml");
    expect(secret.metadata?.managedFields?.[0]).toMatchObject({ manager: "tokenplane", operation: "Apply" });
    expect(api.get("secrets", "default", "applied")?.metadata.labels).toEqual({
      "app.kubernetes.io/managed-by": "tokenplane",
    });
  });

  it("accepts YAML bodies", async () => {
    const res = await fetch(
      `${api.url}/apis/example.com/v1/namespaces/default/widgets/yaml?fieldManager=yaml`,
      {
        method: "PATCH",
        headers: { "Content-Type": "application/apply-patch+yaml" },
        body: "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: yaml\nspec:\n  color: green\n",
      },
    );
    expect(res.status).toBe(201);
    expect(api.get<Widget>("widgets.example.com", "default", "yaml")?.spec.color).toBe("green");
  });
});
