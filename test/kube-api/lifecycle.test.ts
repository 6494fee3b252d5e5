import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi } from "../support/kube-api/index.js";
import { waitFor } from "../support/wait.js";
import { failure, widget, widgetCrd, type Widget } from "./helpers.js";

let api: KubeApi;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;
const ref = { group: "example.com", version: "v1", plural: "widgets", namespace: "default" };
const merge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

beforeAll(async () => {
  api = await startKubeApi({ crds: [widgetCrd] });
  core = api.kubeConfig().makeApiClient(k8s.CoreV1Api);
  custom = api.kubeConfig().makeApiClient(k8s.CustomObjectsApi);
});

afterAll(async () => {
  expect(api.unexpectedErrors()).toEqual([]);
  await api.close();
});

const ownedSecret = (
  name: string,
  owner: Widget,
  extra: Partial<k8s.V1OwnerReference> = {},
): k8s.V1Secret => ({
  metadata: {
    name,
    ownerReferences: [
      {
        apiVersion: "example.com/v1",
        kind: "Widget",
        name: owner.metadata.name ?? "",
        uid: owner.metadata.uid ?? "",
        controller: true,
        ...extra,
      },
    ],
  },
  stringData: { token: "t" },
});

describe("finalizers and deletionTimestamp", () => {
  it("keeps an object with finalizers, marks it deleting, and deletes it when the last finalizer goes", async () => {
    const created = (await custom.createNamespacedCustomObject({
      ...ref,
      body: { ...widget("held"), metadata: { name: "held", finalizers: ["tokenplane.dev/revoke"] } },
    })) as Widget;
    const deleted = (await custom.deleteNamespacedCustomObject({ ...ref, name: "held" })) as Widget;
    expect(deleted.metadata.deletionTimestamp).toBeDefined();
    expect(deleted.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(deleted.metadata.generation).toBe((created.metadata.generation ?? 0) + 1);
    const again = (await custom.deleteNamespacedCustomObject({ ...ref, name: "held" })) as Widget;
    expect(again.metadata.resourceVersion).toBe(deleted.metadata.resourceVersion);

    const { code, status } = await failure(
      custom.patchNamespacedCustomObject(
        {
          ...ref,
          name: "held",
          body: { metadata: { finalizers: ["tokenplane.dev/revoke", "other.dev/new"] } },
        },
        merge,
      ),
    );
    expect(code).toBe(422);
    expect(status.details?.causes?.[0]).toMatchObject({
      reason: "FieldValueForbidden",
      field: "metadata.finalizers",
    });

    const status200 = (await custom.patchNamespacedCustomObject(
      { ...ref, name: "held", body: { metadata: { finalizers: null } } },
      merge,
    )) as Widget;
    expect(status200.metadata.name).toBe("held");
    expect(api.get("widgets.example.com", "default", "held")).toBeUndefined();
  });

  it("answers DELETE of an object without finalizers with a Success Status", async () => {
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "plain" } } });
    const status = await core.deleteNamespacedConfigMap({ name: "plain", namespace: "default" });
    expect(status).toMatchObject({
      kind: "Status",
      status: "Success",
      details: { name: "plain", kind: "configmaps" },
    });
    const missing = await failure(core.deleteNamespacedConfigMap({ name: "plain", namespace: "default" }));
    expect(missing.code).toBe(404);
  });

  it("checks delete preconditions", async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "pre" } },
    });
    const { code } = await failure(
      core.deleteNamespacedConfigMap({
        name: "pre",
        namespace: "default",
        body: { preconditions: { resourceVersion: "1" } },
      }),
    );
    expect(code).toBe(409);
    await core.deleteNamespacedConfigMap({
      name: "pre",
      namespace: "default",
      body: { preconditions: { uid: cm.metadata?.uid, resourceVersion: cm.metadata?.resourceVersion } },
    });
  });
});

describe("garbage collection through ownerReferences", () => {
  it("deletes dependents in the background once the owner is really gone", async () => {
    const owner = (await custom.createNamespacedCustomObject({
      ...ref,
      body: { ...widget("owner"), metadata: { name: "owner", finalizers: ["tokenplane.dev/revoke"] } },
    })) as Widget;
    await core.createNamespacedSecret({ namespace: "default", body: ownedSecret("owned", owner) });
    await custom.deleteNamespacedCustomObject({ ...ref, name: "owner" });
    await api.settle();
    expect(api.get("secrets", "default", "owned")).toBeDefined();
    await custom.patchNamespacedCustomObject(
      { ...ref, name: "owner", body: { metadata: { finalizers: [] } } },
      merge,
    );
    await waitFor(() => api.get("secrets", "default", "owned") === undefined, {
      what: "dependent secret deleted",
    });
  });

  it("orphans dependents with propagationPolicy=Orphan", async () => {
    const owner = (await custom.createNamespacedCustomObject({ ...ref, body: widget("parent") })) as Widget;
    await core.createNamespacedSecret({ namespace: "default", body: ownedSecret("orphan", owner) });
    await custom.deleteNamespacedCustomObject({ ...ref, name: "parent", propagationPolicy: "Orphan" });
    await waitFor(() => api.get("widgets.example.com", "default", "parent") === undefined);
    await api.settle();
    const secret = api.get("secrets", "default", "orphan");
    expect(secret).toBeDefined();
    expect(secret?.metadata.ownerReferences).toBeUndefined();
  });

  it("deletes dependents first with propagationPolicy=Foreground", async () => {
    const owner = (await custom.createNamespacedCustomObject({ ...ref, body: widget("fg") })) as Widget;
    await core.createNamespacedSecret({
      namespace: "default",
      body: ownedSecret("fg-dep", owner, { blockOwnerDeletion: true }),
    });
    const deleting = (await custom.deleteNamespacedCustomObject({
      ...ref,
      name: "fg",
      propagationPolicy: "Foreground",
    })) as Widget;
    expect(deleting.metadata.finalizers).toEqual(["foregroundDeletion"]);
    await waitFor(() => api.get("widgets.example.com", "default", "fg") === undefined, {
      what: "owner gone",
    });
    expect(api.get("secrets", "default", "fg-dep")).toBeUndefined();
  });

  it("collects an object whose owner never existed", async () => {
    await core.createNamespacedSecret({
      namespace: "default",
      body: ownedSecret("dangling", widget("ghost"), {
        uid: "00000000-0000-0000-0000-000000000000",
      }),
    });
    await waitFor(() => api.get("secrets", "default", "dangling") === undefined, {
      what: "dangling secret collected",
    });
  });

  it("keeps a dependent with another live owner, dropping only the dead reference", async () => {
    const a = (await custom.createNamespacedCustomObject({ ...ref, body: widget("owner-a") })) as Widget;
    const b = (await custom.createNamespacedCustomObject({ ...ref, body: widget("owner-b") })) as Widget;
    const body = ownedSecret("shared", a);
    body.metadata!.ownerReferences!.push({
      apiVersion: "example.com/v1",
      kind: "Widget",
      name: "owner-b",
      uid: b.metadata.uid ?? "",
    });
    await core.createNamespacedSecret({ namespace: "default", body });
    await custom.deleteNamespacedCustomObject({ ...ref, name: "owner-a" });
    const secret = await waitFor(() => {
      const s = api.get("secrets", "default", "shared");
      return s?.metadata.ownerReferences?.length === 1 && s;
    });
    expect(secret.metadata.ownerReferences?.[0]?.name).toBe("owner-b");
  });
});

describe("namespace deletion", () => {
  it("terminates the namespace, deletes its content, then removes it", async () => {
    await core.createNamespace({ body: { metadata: { name: "doomed" } } });
    await core.createNamespacedConfigMap({ namespace: "doomed", body: { metadata: { name: "c1" } } });
    await core.createNamespacedSecret({
      namespace: "doomed",
      body: { metadata: { name: "held", finalizers: ["example.com/hold"] } },
    });
    const terminating = await core.deleteNamespace({ name: "doomed" });
    expect(terminating).toMatchObject({ status: { phase: "Terminating" } });
    const refused = await failure(
      core.createNamespacedConfigMap({ namespace: "doomed", body: { metadata: { name: "late" } } }),
    );
    expect(refused.code).toBe(403);
    await waitFor(() => api.get("configmaps", "doomed", "c1") === undefined);
    expect(api.get("namespaces", undefined, "doomed")).toBeDefined();
    await core.patchNamespacedSecret(
      { name: "held", namespace: "doomed", body: { metadata: { finalizers: null } } },
      merge,
    );
    await waitFor(() => api.get("namespaces", undefined, "doomed") === undefined, {
      what: "namespace removed",
    });
  });
});
