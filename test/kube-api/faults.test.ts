import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi } from "../support/kube-api/index.js";
import { waitFor } from "../support/wait.js";
import { failure, recordWatch, widget, widgetCrd, type RecordedWatch } from "./helpers.js";

let api: KubeApi;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;
const opened: RecordedWatch[] = [];
const merge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

beforeAll(async () => {
  api = await startKubeApi({ crds: [widgetCrd], namespaces: ["faults"], bookmarkIntervalMs: 60_000 });
  core = api.kubeConfig().makeApiClient(k8s.CoreV1Api);
  custom = api.kubeConfig().makeApiClient(k8s.CustomObjectsApi);
});

afterAll(async () => {
  for (const w of opened) w.abort();
  expect(api.unexpectedErrors()).toEqual([]);
  await api.close();
});

async function watchConfigMaps(): Promise<RecordedWatch> {
  const w = await recordWatch(new k8s.Watch(api.kubeConfig()), "/api/v1/namespaces/faults/configmaps", {
    resourceVersion: api.resourceVersion(),
    allowWatchBookmarks: true,
  });
  opened.push(w);
  await waitFor(() => api.watches.open().length > 0);
  return w;
}

const cm = (name: string): k8s.V1ConfigMap => ({ metadata: { name } });

describe("dropping watches", () => {
  it("ends watches cleanly: Watch calls done(null) and an informer re-watches by itself", async () => {
    const informer = k8s.makeInformer(api.kubeConfig(), "/api/v1/namespaces/faults/configmaps", () =>
      core.listNamespacedConfigMap({ namespace: "faults" }),
    );
    const added: string[] = [];
    let connects = 0;
    informer.on("add", (o) => added.push(o.metadata?.name ?? ""));
    informer.on("connect", () => connects++);
    await informer.start();
    try {
      const w = await watchConfigMaps();
      await waitFor(() => api.watches.open().length === 2);
      expect(api.watches.dropAll("close")).toBe(2);
      expect(await w.ended).toBeNull();
      await waitFor(() => connects >= 2 && api.watches.open().length === 1, { what: "informer to re-watch" });
      await core.createNamespacedConfigMap({ namespace: "faults", body: cm("after-drop") });
      await waitFor(() => added.includes("after-drop"));
    } finally {
      await informer.stop();
    }
  });

  it("resets connections: Watch reports an error, and a client-node informer stops", async () => {
    const informer = k8s.makeInformer(api.kubeConfig(), "/api/v1/namespaces/faults/configmaps", () =>
      core.listNamespacedConfigMap({ namespace: "faults" }),
    );
    const errors: unknown[] = [];
    informer.on("error", (e) => errors.push(e));
    await informer.start();
    try {
      const w = await watchConfigMaps();
      await waitFor(() => api.watches.open().length === 2);
      api.watches.dropAll("reset");
      expect(await w.ended).toBeInstanceOf(Error);
      await waitFor(() => errors.length === 1, { what: "informer error callback" });
      // client-node 1.4's ListWatch does not restart after a non-410 error: the caller must.
      expect(api.watches.open()).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});

describe("silent watches", () => {
  it("keeps the connection but delivers nothing until resumed, then everything in order", async () => {
    const w = await watchConfigMaps();
    api.watches.silence();
    try {
      expect(api.watches.open().every((i) => i.silenced)).toBe(true);
      await core.createNamespacedConfigMap({ namespace: "faults", body: cm("s1") });
      await core.createNamespacedConfigMap({ namespace: "faults", body: cm("s2") });
      api.watches.sendBookmarks(); // not delivered, not even later
      const late = await watchConfigMaps();
      await core.createNamespacedConfigMap({ namespace: "faults", body: cm("s3") });
      await api.settle();
      expect(w.events).toEqual([]);
      expect(late.events).toEqual([]);
      api.watches.resume();
      await waitFor(() => w.events.length >= 3 && late.events.length >= 1);
      expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
        "ADDED s1",
        "ADDED s2",
        "ADDED s3",
      ]);
      expect(late.events.map((e) => e.object.metadata.name)).toEqual(["s3"]);
      w.abort();
      late.abort();
    } finally {
      api.watches.resume();
    }
  });
});

describe("injected errors", () => {
  it("answers the next N matching requests with 409 Conflict", async () => {
    const created = await core.createNamespacedConfigMap({ namespace: "faults", body: cm("cas") });
    const fault = api.faults.inject({ method: "PUT", resource: "configmaps", status: 409, count: 2 });
    for (let i = 0; i < 2; i++) {
      const { code, status } = await failure(
        core.replaceNamespacedConfigMap({
          name: "cas",
          namespace: "faults",
          body: { ...created, data: { n: "1" } },
        }),
      );
      expect(code).toBe(409);
      expect(status.reason).toBe("Conflict");
    }
    expect(fault.hits()).toBe(2);
    expect(fault.remaining()).toBe(0);
    await core.replaceNamespacedConfigMap({
      name: "cas",
      namespace: "faults",
      body: { ...created, data: { n: "1" } },
    });
  });

  it("answers 429 with Retry-After", async () => {
    api.faults.inject({
      verb: "list",
      path: "/api/v1/namespaces/faults/",
      status: 429,
      retryAfterSeconds: 7,
    });
    const res = await fetch(`${api.url}/api/v1/namespaces/faults/secrets`);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(await res.json()).toMatchObject({ reason: "TooManyRequests", details: { retryAfterSeconds: 7 } });
    expect((await fetch(`${api.url}/api/v1/namespaces/faults/secrets`)).status).toBe(200);
  });

  it("can target only the status subresource with 500s", async () => {
    await custom.createNamespacedCustomObject({
      group: "example.com",
      version: "v1",
      plural: "widgets",
      namespace: "default",
      body: widget("w"),
    });
    const fault = api.faults.inject({ resource: "widgets", subresource: "status", status: 500 });
    const ref = { group: "example.com", version: "v1", plural: "widgets", namespace: "default", name: "w" };
    await custom.patchNamespacedCustomObject({ ...ref, body: { metadata: { labels: { a: "b" } } } }, merge);
    const { code, status } = await failure(
      custom.patchNamespacedCustomObjectStatus({ ...ref, body: { status: { phase: "Ready" } } }, merge),
    );
    expect(code).toBe(500);
    expect(status.reason).toBe("InternalError");
    expect(fault.remaining()).toBe(0);
    await custom.patchNamespacedCustomObjectStatus({ ...ref, body: { status: { phase: "Ready" } } }, merge);
  });

  it("answers a watch request with HTTP 410, which makes an informer relist", async () => {
    const informer = k8s.makeInformer(api.kubeConfig(), "/api/v1/namespaces/faults/configmaps", () =>
      core.listNamespacedConfigMap({ namespace: "faults" }),
    );
    const errors: unknown[] = [];
    informer.on("error", (e) => errors.push(e));
    await informer.start();
    try {
      await waitFor(() => api.watches.open().length === 1);
      const lists = (): number =>
        api.requests.entries().filter((r) => r.verb === "list" && r.namespace === "faults").length;
      const before = lists();
      const fault = api.faults.inject({ verb: "watch", status: 410 });
      api.watches.dropAll();
      await waitFor(() => fault.hits() === 1 && lists() > before && api.watches.open().length === 1, {
        what: "relist after 410",
      });
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it("matches paths by pattern", async () => {
    api.faults.inject({ path: /\/configmaps\/nope$/, status: 503 });
    const res = await fetch(`${api.url}/api/v1/namespaces/faults/configmaps/nope`);
    expect(res.status).toBe(503);
    expect((await fetch(`${api.url}/api/v1/namespaces/faults/configmaps/nope`)).status).toBe(404);
  });
});

describe("server availability", () => {
  it("answers 503 to everything while unavailable", async () => {
    await api.faults.setAvailability("unavailable");
    try {
      for (const path of ["/api", "/api/v1/namespaces/faults/configmaps", "/version"]) {
        const res = await fetch(api.url + path);
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ kind: "Status", reason: "ServiceUnavailable", code: 503 });
      }
    } finally {
      await api.faults.setAvailability("up");
    }
    expect((await fetch(`${api.url}/api`)).status).toBe(200);
  });

  it("refuses connections, then listens again on the same port with the same data", async () => {
    const url = api.url;
    const w = await watchConfigMaps();
    await api.faults.setAvailability("refused");
    await expect(fetch(`${url}/api`)).rejects.toThrow();
    expect(await w.ended).toBeInstanceOf(Error);
    const refused = await core.listNamespacedConfigMap({ namespace: "faults" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    await api.faults.setAvailability("up");
    expect(api.url).toBe(url);
    const list = await core.listNamespacedConfigMap({ namespace: "faults" });
    expect(list.items.map((i) => i.metadata?.name)).toContain("cas");
  });
});
