import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi } from "../support/kube-api/index.js";
import { failure, type StatusBody } from "./helpers.js";

let api: KubeApi;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let coordination: k8s.CoordinationV1Api;

beforeAll(async () => {
  api = await startKubeApi({ namespaces: [{ name: "shop", labels: { tokens: "enabled" } }] });
  const kc = api.kubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  coordination = kc.makeApiClient(k8s.CoordinationV1Api);
});

afterAll(async () => {
  expect(api.unexpectedErrors()).toEqual([]);
  await api.close();
});

const deployment = (name: string, image = "nginx:1"): k8s.V1Deployment => ({
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image }] } },
  },
});

describe("namespaces", () => {
  it("has default, kube-system, kube-public and kube-node-lease, labelled with their names", async () => {
    const list = await core.listNamespace();
    const names = list.items.map((n) => n.metadata?.name);
    expect(names).toEqual(
      expect.arrayContaining(["default", "kube-system", "kube-public", "kube-node-lease", "shop"]),
    );
    const shop = await core.readNamespace({ name: "shop" });
    expect(shop.metadata?.labels).toEqual({ tokens: "enabled", "kubernetes.io/metadata.name": "shop" });
    expect(shop.status?.phase).toBe("Active");
  });

  it("creates namespaces and selects them by label", async () => {
    await core.createNamespace({ body: { metadata: { name: "team-a", labels: { tokens: "enabled" } } } });
    const selected = await core.listNamespace({ labelSelector: "tokens=enabled" });
    expect(selected.items.map((n) => n.metadata?.name).sort()).toEqual(["shop", "team-a"]);
  });

  it("rejects a namespace name that is not a DNS label, naming the field", async () => {
    const { code, status } = await failure(
      core.createNamespace({ body: { metadata: { name: "Not_A_Label" } } }),
    );
    expect(code).toBe(422);
    expect(status.reason).toBe("Invalid");
    expect(status.details?.causes?.[0]?.field).toBe("metadata.name");
    expect(status.message).toContain(
      'Namespace "Not_A_Label" is invalid: metadata.name: Invalid value: "Not_A_Label"',
    );
  });

  it("refuses objects in a namespace that does not exist", async () => {
    const { code, status } = await failure(
      core.createNamespacedConfigMap({ namespace: "nope", body: { metadata: { name: "c" } } }),
    );
    expect(code).toBe(404);
    expect(status.message).toBe('namespaces "nope" not found');
  });
});

describe("create, read, resourceVersion and conflicts", () => {
  it("fills uid, creationTimestamp and resourceVersion, and turns stringData into data", async () => {
    const before = Number(api.resourceVersion());
    const secret = await core.createNamespacedSecret({
      namespace: "default",
      body: { metadata: { name: "creds" }, stringData: { token: "hunter2" } },
    });
    expect(secret.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(secret.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(Number(secret.metadata?.resourceVersion)).toBeGreaterThan(before);
    expect(secret.data).toEqual({ token: Buffer.from("hunter2").toString("base64") });
    expect(secret.type).toBe("Opaque");
    expect(api.get("secrets", "default", "creds")).not.toHaveProperty("stringData");
  });

  it("answers 409 AlreadyExists for a second create of the same name", async () => {
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "dup" } } });
    const { code, status } = await failure(
      core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "dup" } } }),
    );
    expect(code).toBe(409);
    expect(status).toMatchObject({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "AlreadyExists",
      message: 'configmaps "dup" already exists',
      code: 409,
      details: { name: "dup", kind: "configmaps" },
    });
  });

  it("generates names from generateName", async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { generateName: "cache-" } },
    });
    expect(cm.metadata?.name).toMatch(/^cache-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it("uses one global, increasing resourceVersion across resources", async () => {
    const a = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "rv-a" } },
    });
    const b = await core.createNamespacedSecret({ namespace: "shop", body: { metadata: { name: "rv-b" } } });
    expect(typeof a.metadata?.resourceVersion).toBe("string");
    expect(Number(b.metadata?.resourceVersion)).toBeGreaterThan(Number(a.metadata?.resourceVersion));
  });

  it("answers 409 Conflict to an update with a stale resourceVersion", async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "cas" }, data: { v: "1" } },
    });
    const updated = await core.replaceNamespacedConfigMap({
      name: "cas",
      namespace: "default",
      body: { ...cm, data: { v: "2" } },
    });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(cm.metadata?.resourceVersion));
    const { code, status } = await failure(
      core.replaceNamespacedConfigMap({
        name: "cas",
        namespace: "default",
        body: { ...cm, data: { v: "3" } },
      }),
    );
    expect(code).toBe(409);
    expect(status.reason).toBe("Conflict");
    expect(status.message).toBe(
      'Operation cannot be fulfilled on configmaps "cas": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(api.get("configmaps", "default", "cas")?.data).toEqual({ v: "2" });
  });

  it("does not store an update that changes nothing", async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "noop" }, data: { v: "1" } },
    });
    const again = await core.replaceNamespacedConfigMap({ name: "noop", namespace: "default", body: cm });
    expect(again.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  });

  it("validates metadata: label syntax is checked and the field named", async () => {
    const { code, status } = await failure(
      core.createNamespacedSecret({
        namespace: "default",
        body: { metadata: { name: "bad-labels", labels: { "app.kubernetes.io/name": "not valid!" } } },
      }),
    );
    expect(code).toBe(422);
    expect(status.details?.causes).toEqual([
      expect.objectContaining({ reason: "FieldValueInvalid", field: "metadata.labels" }),
    ]);
  });

  it("lists across all namespaces", async () => {
    const all = await core.listSecretForAllNamespaces();
    const names = all.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`);
    expect(names).toEqual(expect.arrayContaining(["default/creds", "shop/rv-b"]));
    expect(all.metadata?.resourceVersion).toBe(api.resourceVersion());
  });

  it("does not persist dry-run creates", async () => {
    const dry = await core.createNamespacedConfigMap({
      namespace: "default",
      dryRun: "All",
      body: { metadata: { name: "dry" } },
    });
    expect(dry.metadata?.uid).toBeDefined();
    expect(api.get("configmaps", "default", "dry")).toBeUndefined();
  });
});

describe("Deployments: generation and the status subresource", () => {
  it("bumps generation on spec changes only", async () => {
    const created = await apps.createNamespacedDeployment({ namespace: "default", body: deployment("web") });
    expect(created.metadata?.generation).toBe(1);
    const relabelled = await apps.replaceNamespacedDeployment({
      name: "web",
      namespace: "default",
      body: { ...created, metadata: { ...created.metadata, labels: { team: "a" } } },
    });
    expect(relabelled.metadata?.generation).toBe(1);
    const respec = await apps.replaceNamespacedDeployment({
      name: "web",
      namespace: "default",
      body: { ...relabelled, spec: { ...relabelled.spec!, replicas: 3 } },
    });
    expect(respec.metadata?.generation).toBe(2);
  });

  it("changes status only through /status, and ignores status on the main resource", async () => {
    const d = await apps.readNamespacedDeployment({ name: "web", namespace: "default" });
    const viaMain = await apps.replaceNamespacedDeployment({
      name: "web",
      namespace: "default",
      body: { ...d, status: { replicas: 7 } },
    });
    expect(viaMain.status?.replicas).toBeUndefined();
    const viaStatus = await apps.replaceNamespacedDeploymentStatus({
      name: "web",
      namespace: "default",
      body: {
        ...viaMain,
        spec: { ...viaMain.spec!, replicas: 9 },
        status: { replicas: 3, observedGeneration: 2 },
      },
    });
    expect(viaStatus.status).toMatchObject({ replicas: 3, observedGeneration: 2 });
    expect(viaStatus.spec?.replicas).toBe(3);
    expect(viaStatus.metadata?.generation).toBe(2);
  });

  it("validates the pod template against the selector", async () => {
    const bad = deployment("mismatch");
    bad.spec!.template.metadata!.labels = { app: "other" };
    const { code, status } = await failure(
      apps.createNamespacedDeployment({ namespace: "default", body: bad }),
    );
    expect(code).toBe(422);
    expect(status.details?.causes?.map((c) => c.field)).toEqual(["spec.template.metadata.labels"]);
  });
});

describe("Leases", () => {
  const lease = (holder: string): k8s.V1Lease => ({
    metadata: { name: "leader", namespace: "default" },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: new k8s.V1MicroTime() },
  });

  it("lets exactly one of two racing candidates take over a lease", async () => {
    const created = await coordination.createNamespacedLease({ namespace: "default", body: lease("a") });
    const seenByB = await coordination.readNamespacedLease({ name: "leader", namespace: "default" });
    const seenByC = await coordination.readNamespacedLease({ name: "leader", namespace: "default" });
    expect(seenByB.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    const won = await coordination.replaceNamespacedLease({
      name: "leader",
      namespace: "default",
      body: { ...seenByB, spec: { ...seenByB.spec, holderIdentity: "b", leaseTransitions: 1 } },
    });
    expect(won.spec?.holderIdentity).toBe("b");
    const lost = await failure(
      coordination.replaceNamespacedLease({
        name: "leader",
        namespace: "default",
        body: { ...seenByC, spec: { ...seenByC.spec, holderIdentity: "c" } },
      }),
    );
    expect(lost.code).toBe(409);
  });

  it("requires a resourceVersion on update (no unconditional updates for leases)", async () => {
    const { code, status } = await failure(
      coordination.replaceNamespacedLease({ name: "leader", namespace: "default", body: lease("x") }),
    );
    expect(code).toBe(422);
    expect(status.details?.causes?.[0]).toMatchObject({
      field: "metadata.resourceVersion",
      message: "Invalid value: 0: must be specified for an update",
    });
  });

  it("reads acquireTime and renewTime as MicroTime: six fractional digits, or 400", async () => {
    const res = await fetch(`${api.url}/apis/coordination.k8s.io/v1/namespaces/default/leases`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${api.kubeConfig().getCurrentUser()?.token ?? ""}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "millis" },
        spec: { holderIdentity: "a", renewTime: "2026-01-01T00:00:00.123Z" },
      }),
    });
    expect(res.status).toBe(400);
  });

  it("creates a lease on PUT when it does not exist", async () => {
    const body = { ...lease("d"), metadata: { name: "fresh", namespace: "default" } };
    const created = await coordination.replaceNamespacedLease({ name: "fresh", namespace: "default", body });
    expect(created.metadata?.uid).toBeDefined();
  });
});

describe("Events", () => {
  it("stores core/v1 and events.k8s.io/v1 Events as one resource", async () => {
    const eventsV1 = api.kubeConfig().makeApiClient(k8s.EventsV1Api);
    await core.createNamespacedEvent({
      namespace: "default",
      body: {
        metadata: { name: "legacy" },
        involvedObject: { kind: "Secret", name: "creds", namespace: "default" },
        reason: "Issued",
        message: "token issued",
        type: "Normal",
      },
    });
    await eventsV1.createNamespacedEvent({
      namespace: "default",
      body: {
        metadata: { name: "modern" },
        eventTime: new k8s.V1MicroTime(),
        reportingController: "tokenplane.dev/operator",
        reportingInstance: "operator-0",
        action: "Rotate",
        reason: "Rotated",
        note: "token rotated",
        type: "Normal",
        regarding: { kind: "Secret", name: "creds", namespace: "default" },
      },
    });
    const coreList = await core.listNamespacedEvent({ namespace: "default" });
    const modernAsCore = coreList.items.find((e) => e.metadata?.name === "modern");
    expect(modernAsCore).toMatchObject({ message: "token rotated", involvedObject: { name: "creds" } });
    const v1List = await eventsV1.listNamespacedEvent({ namespace: "default" });
    expect(v1List.items.find((e) => e.metadata?.name === "legacy")).toMatchObject({ note: "token issued" });
    const byReason = await core.listNamespacedEvent({
      namespace: "default",
      fieldSelector: "reason=Rotated",
    });
    expect(byReason.items.map((e) => e.metadata?.name)).toEqual(["modern"]);
  });

  it("requires events.k8s.io/v1 Events to say who reported them", async () => {
    const eventsV1 = api.kubeConfig().makeApiClient(k8s.EventsV1Api);
    const { code, status } = await failure(
      eventsV1.createNamespacedEvent({
        namespace: "default",
        body: {
          metadata: { name: "anon" },
          eventTime: new k8s.V1MicroTime(),
          reason: "X",
          action: "Y",
          type: "Normal",
        },
      }),
    );
    expect(code).toBe(422);
    // Required, and "" is not a qualified name either: the real server reports both.
    expect(status.details?.causes?.map((c) => c.field).sort()).toEqual([
      "reportingController",
      "reportingController",
      "reportingInstance",
    ]);
  });

  it("puts a cluster-scoped object's core/v1 Events in default, and nowhere else", async () => {
    const event = (namespace: string, name: string): k8s.CoreV1Event => ({
      metadata: { name, namespace },
      involvedObject: { apiVersion: "tokenplane.dev/v1alpha1", kind: "ClusterTokenServer", name: "embedded" },
      reason: "Ready",
      message: "server ready",
      type: "Normal",
    });
    await core.createNamespacedEvent({ namespace: "default", body: event("default", "cluster-scoped") });
    const { code, status } = await failure(
      core.createNamespacedEvent({ namespace: "kube-public", body: event("kube-public", "elsewhere") }),
    );
    expect(code).toBe(422);
    expect(status.details?.causes).toEqual([
      {
        reason: "FieldValueInvalid",
        field: "involvedObject.namespace",
        message: 'Invalid value: "": does not match event.namespace',
      },
    ]);
  });

  it("checks a core/v1 Event with an eventTime like a modern one", async () => {
    const { code, status } = await failure(
      core.createNamespacedEvent({
        namespace: "default",
        body: {
          metadata: { name: "half-modern" },
          involvedObject: { kind: "Secret", name: "creds", namespace: "default" },
          eventTime: new k8s.V1MicroTime(),
          reason: "Issued",
          type: "Normal",
        },
      }),
    );
    expect(code).toBe(422);
    expect(status.details?.causes?.map((c) => c.field).sort()).toEqual([
      "action",
      "reportingComponent",
      "reportingComponent",
      "reportingInstance",
    ]);
  });

  it("refuses events.k8s.io/v1 fields of the old API, and times without microseconds", async () => {
    const body = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: "mixed", namespace: "default" },
      eventTime: "2026-01-01T00:00:00.000000Z",
      reportingController: "tokenplane.dev/operator",
      reportingInstance: "operator-0",
      action: "Issue",
      reason: "Issued",
      type: "Normal",
      regarding: { kind: "Secret", name: "creds", namespace: "default" },
    };
    const post = (b: object) =>
      fetch(`${api.url}/apis/events.k8s.io/v1/namespaces/default/events`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${api.kubeConfig().getCurrentUser()?.token ?? ""}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify(b),
      });
    const counted = await post({ ...body, deprecatedCount: 2 });
    expect(counted.status).toBe(422);
    expect(((await counted.json()) as StatusBody).details?.causes).toEqual([
      { reason: "FieldValueInvalid", field: "count", message: 'Invalid value: "": needs to be unset' },
    ]);
    const seconds = await post({ ...body, eventTime: "2026-01-01T00:00:00Z" });
    expect(seconds.status).toBe(400);
    expect(((await seconds.json()) as StatusBody).message).toContain('as "2006-01-02T15:04:05.000000Z07:00"');
    expect((await post(body)).status).toBe(201);
  });
});

describe("discovery and generic clients", () => {
  it("serves what KubernetesObjectApi needs to resolve kinds", async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(api.kubeConfig());
    const spec = { apiVersion: "apps/v1", kind: "Deployment", ...deployment("generic") };
    const created = await objects.create(spec);
    expect(created.metadata?.uid).toBeDefined();
    const list = await objects.list("apps/v1", "Deployment", "default");
    expect(list.items.map((d) => d.metadata?.name)).toContain("generic");
    await objects.delete({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "generic", namespace: "default" },
    });
    expect(api.get("deployments.apps", "default", "generic")).toBeUndefined();
  });

  it("answers the discovery endpoints", async () => {
    const get = async (path: string): Promise<Record<string, unknown>> =>
      (await (await fetch(api.url + path)).json()) as Record<string, unknown>;
    expect(await get("/api")).toMatchObject({ kind: "APIVersions", versions: ["v1"] });
    expect(await get("/version")).toMatchObject({ major: "1" });
    const groups = (await get("/apis")) as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(["apps", "coordination.k8s.io", "events.k8s.io", "apiextensions.k8s.io"]),
    );
    const appsV1 = (await get("/apis/apps/v1")) as { resources: { name: string; namespaced: boolean }[] };
    expect(appsV1.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "deployments", namespaced: true }),
        expect.objectContaining({ name: "deployments/status" }),
      ]),
    );
    const coreV1 = (await get("/api/v1")) as { resources: { name: string }[] };
    expect(coreV1.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(["namespaces", "secrets", "configmaps", "events"]),
    );
  });
});

describe("malformed requests", () => {
  it("answers malformed JSON with 400 and a Status", async () => {
    const res = await fetch(`${api.url}/api/v1/namespaces/default/secrets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      kind: "Status",
      status: "Failure",
      reason: "BadRequest",
      code: 400,
    });
  });

  it("answers unknown paths and resources with 404 and a Status", async () => {
    for (const path of [
      "/nothing/here",
      "/api/v1/widgets",
      "/apis/nope.example.com/v1/things",
      "/api/v1/secrets/x",
    ]) {
      const res = await fetch(api.url + path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ kind: "Status", reason: "NotFound", code: 404 });
    }
  });

  it("rejects a body whose kind does not match the endpoint", async () => {
    const res = await fetch(`${api.url}/api/v1/namespaces/default/secrets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }),
    });
    expect(res.status).toBe(400);
  });
});

describe("test accessors", () => {
  it("counts write requests per resource for benchmarks", async () => {
    api.requests.clear();
    await core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "counted" } } });
    await core.patchNamespacedSecret({
      name: "counted",
      namespace: "default",
      body: [{ op: "add", path: "/metadata/labels", value: { a: "b" } }],
    });
    await core.readNamespacedSecret({ name: "counted", namespace: "default" });
    await failure(
      core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "counted" } } }),
    );
    await apps.createNamespacedDeployment({ namespace: "default", body: deployment("counted") });
    expect(api.requests.writes()).toBe(4);
    expect(api.requests.writes({ successfulOnly: true })).toBe(3);
    expect(api.requests.writes({ resource: "secrets", verb: "patch" })).toBe(1);
    expect(api.requests.writesByResource()).toEqual({
      secrets: { create: 2, patch: 1 },
      "deployments.apps": { create: 1 },
    });
    expect(api.requests.entries().map((r) => `${r.method} ${r.verb} ${r.status}`)).toEqual([
      "POST create 201",
      "PATCH patch 200",
      "GET get 200",
      "POST create 409",
      "POST create 201",
    ]);
  });

  it("reads objects directly, with selectors", () => {
    const secrets = api.list("secrets", { namespace: "default", labelSelector: "a=b" });
    expect(secrets.map((s) => s.metadata.name)).toEqual(["counted"]);
    expect(api.get("deployments.apps", "default", "counted")?.kind).toBe("Deployment");
  });

  it("writes a kubeconfig file that client-node loads", () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(api.kubeConfigYaml({ namespace: "shop" }));
    expect(kc.getCurrentCluster()?.server).toBe(api.url);
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe("shop");
  });

  it("deletes collections by selector", async () => {
    for (const n of ["dc1", "dc2", "dc3"]) {
      await core.createNamespacedConfigMap({
        namespace: "shop",
        body: { metadata: { name: n, labels: { batch: n === "dc3" ? "keep" : "drop" } } },
      });
    }
    await core.deleteCollectionNamespacedConfigMap({ namespace: "shop", labelSelector: "batch=drop" });
    expect(api.list("configmaps", { namespace: "shop" }).map((c) => c.metadata.name)).toEqual(["dc3"]);
  });
});
