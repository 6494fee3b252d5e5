import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi } from "../support/kube-api/index.js";
import { waitFor } from "../support/wait.js";
import { failure, recordWatch, type RecordedWatch } from "./helpers.js";

let api: KubeApi;
let core: k8s.CoreV1Api;
let watch: k8s.Watch;
const open: RecordedWatch[] = [];

beforeAll(async () => {
  api = await startKubeApi({ namespaces: ["watched", "paged", "other"], bookmarkIntervalMs: 60_000 });
  core = api.kubeConfig().makeApiClient(k8s.CoreV1Api);
  watch = new k8s.Watch(api.kubeConfig());
});

afterAll(async () => {
  for (const w of open) w.abort();
  expect(api.unexpectedErrors()).toEqual([]);
  await api.close();
});

async function record(
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): Promise<RecordedWatch> {
  const w = await recordWatch(watch, path, query);
  open.push(w);
  return w;
}

const cm = (name: string, labels: Record<string, string> = {}): k8s.V1ConfigMap => ({
  metadata: { name, labels },
});

describe("list then watch from the list's resourceVersion", () => {
  it("streams ADDED, MODIFIED and DELETED after that resourceVersion, in order", async () => {
    await core.createNamespacedConfigMap({ namespace: "watched", body: cm("before") });
    const list = await core.listNamespacedConfigMap({ namespace: "watched" });
    const w = await record("/api/v1/namespaces/watched/configmaps", {
      resourceVersion: list.metadata?.resourceVersion,
    });
    const a = await core.createNamespacedConfigMap({ namespace: "watched", body: cm("a") });
    await core.replaceNamespacedConfigMap({
      name: "a",
      namespace: "watched",
      body: { ...a, data: { x: "1" } },
    });
    await core.deleteNamespacedConfigMap({ name: "a", namespace: "watched" });
    await core.createNamespacedConfigMap({ namespace: "other", body: cm("elsewhere") });
    await waitFor(() => w.events.length >= 3);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      "ADDED a",
      "MODIFIED a",
      "DELETED a",
    ]);
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
    expect(new Set(rvs).size).toBe(3);
  });

  it("replays history for an older resourceVersion", async () => {
    const start = api.resourceVersion();
    await core.createNamespacedConfigMap({ namespace: "watched", body: cm("replayed") });
    await core.deleteNamespacedConfigMap({ name: "replayed", namespace: "watched" });
    const w = await record("/api/v1/namespaces/watched/configmaps", { resourceVersion: start });
    await waitFor(() => w.events.length >= 2);
    expect(w.events.map((e) => e.type)).toEqual(["ADDED", "DELETED"]);
  });

  it("starts with synthetic ADDED events for the current state when no resourceVersion is given", async () => {
    const w = await record("/api/v1/namespaces/watched/configmaps", {});
    await waitFor(() => w.events.length >= 1);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED before"]);
  });

  it("sends the initial-events-end bookmark with sendInitialEvents", async () => {
    const w = await record("/api/v1/namespaces/watched/configmaps", {
      sendInitialEvents: true,
      resourceVersionMatch: "NotOlderThan",
      allowWatchBookmarks: true,
    });
    await waitFor(() => w.events.length >= 2);
    expect(w.events[1]).toMatchObject({
      type: "BOOKMARK",
      object: { metadata: { annotations: { "k8s.io/initial-events-end": "true" } } },
    });
  });
});

describe("410 Gone", () => {
  it("sends an ERROR event with a 410 Expired Status for a compacted resourceVersion, then ends", async () => {
    const old = api.resourceVersion();
    await core.createNamespacedConfigMap({ namespace: "watched", body: cm("after-old") });
    api.history.compact();
    expect(api.history.oldestResourceVersion()).toBe(api.resourceVersion());
    const w = await record("/api/v1/namespaces/watched/configmaps", { resourceVersion: old });
    expect(await w.ended).toBeNull();
    expect(w.events).toEqual([
      {
        type: "ERROR",
        object: expect.objectContaining({ kind: "Status", code: 410, reason: "Expired" }),
      },
    ]);
    expect((w.events[0]?.object as unknown as { message: string }).message).toMatch(
      /^too old resource version: \d+ \(\d+\)$/,
    );
  });

  it("sends a 504 ERROR event for a resourceVersion from the future", async () => {
    const w = await record("/api/v1/namespaces/watched/configmaps", {
      resourceVersion: String(Number(api.resourceVersion()) + 1000),
    });
    expect(await w.ended).toBeNull();
    expect(w.events).toEqual([
      { type: "ERROR", object: expect.objectContaining({ code: 504, reason: "Timeout" }) },
    ]);
  });

  it("expires continue tokens older than the history", async () => {
    for (const n of ["p1", "p2", "p3"])
      await core.createNamespacedConfigMap({ namespace: "paged", body: cm(n) });
    const page = await core.listNamespacedConfigMap({ namespace: "paged", limit: 1 });
    await core.createNamespacedConfigMap({ namespace: "paged", body: cm("p4") });
    api.history.compact();
    const { code, status } = await failure(
      core.listNamespacedConfigMap({ namespace: "paged", limit: 1, _continue: page.metadata?._continue }),
    );
    expect(code).toBe(410);
    expect(status.reason).toBe("Expired");
  });
});

describe("bookmarks and timeouts", () => {
  it("sends BOOKMARK events carrying the current resourceVersion when asked for", async () => {
    const w = await record("/api/v1/namespaces/watched/configmaps", {
      resourceVersion: api.resourceVersion(),
      allowWatchBookmarks: true,
    });
    const without = await record("/api/v1/namespaces/watched/configmaps", {
      resourceVersion: api.resourceVersion(),
    });
    await core.createNamespacedConfigMap({ namespace: "other", body: cm("moves-rv") });
    api.watches.sendBookmarks();
    await waitFor(() => w.events.length >= 1);
    expect(w.events[0]).toMatchObject({
      type: "BOOKMARK",
      object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: api.resourceVersion() } },
    });
    expect(without.events).toEqual([]);
  });

  it("sends bookmarks periodically", async () => {
    const fast = await startKubeApi({ bookmarkIntervalMs: 20 });
    try {
      const w = await recordWatch(new k8s.Watch(fast.kubeConfig()), "/api/v1/namespaces/default/secrets", {
        resourceVersion: fast.resourceVersion(),
        allowWatchBookmarks: true,
      });
      await waitFor(() => w.events.filter((e) => e.type === "BOOKMARK").length >= 2);
      w.abort();
    } finally {
      await fast.close();
    }
  });

  it("ends the stream cleanly after timeoutSeconds", async () => {
    const w = await record("/api/v1/namespaces/watched/configmaps", {
      resourceVersion: api.resourceVersion(),
      timeoutSeconds: 1,
    });
    expect(await w.ended).toBeNull();
  });
});

describe("selectors", () => {
  it("filters lists by label selector operators", async () => {
    await core.createNamespacedConfigMap({
      namespace: "other",
      body: cm("l1", { tier: "web", env: "prod" }),
    });
    await core.createNamespacedConfigMap({ namespace: "other", body: cm("l2", { tier: "db", env: "prod" }) });
    await core.createNamespacedConfigMap({ namespace: "other", body: cm("l3", { tier: "web" }) });
    const names = async (labelSelector: string): Promise<string[]> =>
      (await core.listNamespacedConfigMap({ namespace: "other", labelSelector })).items.map(
        (i) => i.metadata?.name ?? "",
      );
    expect(await names("tier=web")).toEqual(["l1", "l3"]);
    expect(await names("tier==web,env=prod")).toEqual(["l1"]);
    expect(await names("tier!=web")).toEqual(["elsewhere", "l2", "moves-rv"]);
    expect(await names("tier in (db, web),env")).toEqual(["l1", "l2"]);
    expect(await names("tier notin (web)")).toEqual(["elsewhere", "l2", "moves-rv"]);
    expect(await names("!env,tier")).toEqual(["l3"]);
    const bad = await failure(
      core.listNamespacedConfigMap({ namespace: "other", labelSelector: "tier in web" }),
    );
    expect(bad.code).toBe(400);
  });

  it("filters by field selector and rejects unsupported fields", async () => {
    const byName = await core.listConfigMapForAllNamespaces({ fieldSelector: "metadata.name=l2" });
    expect(byName.items.map((i) => i.metadata?.namespace)).toEqual(["other"]);
    const notOther = await core.listConfigMapForAllNamespaces({ fieldSelector: "metadata.namespace!=other" });
    expect(notOther.items.every((i) => i.metadata?.namespace !== "other")).toBe(true);
    const bad = await failure(core.listConfigMapForAllNamespaces({ fieldSelector: "data.x=1" }));
    expect(bad.code).toBe(400);
    expect(bad.status.message).toBe("field label not supported: data.x");
  });

  it("sends DELETED and ADDED when an object leaves or enters a watch's selector", async () => {
    const w = await record("/api/v1/namespaces/other/configmaps", {
      resourceVersion: api.resourceVersion(),
      labelSelector: "tier=web",
    });
    const l1 = await core.readNamespacedConfigMap({ name: "l1", namespace: "other" });
    const moved = await core.replaceNamespacedConfigMap({
      name: "l1",
      namespace: "other",
      body: { ...l1, metadata: { ...l1.metadata, labels: { tier: "db" } } },
    });
    await core.replaceNamespacedConfigMap({
      name: "l1",
      namespace: "other",
      body: { ...moved, metadata: { ...moved.metadata, labels: { tier: "web" } } },
    });
    await core.replaceNamespacedConfigMap({
      name: "l2",
      namespace: "other",
      body: {
        ...(await core.readNamespacedConfigMap({ name: "l2", namespace: "other" })),
        data: { ignored: "yes" },
      },
    });
    await waitFor(() => w.events.length >= 2);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["DELETED l1", "ADDED l1"]);
  });

  it("watches a single object by field selector", async () => {
    const w = await record("/api/v1/namespaces/other/configmaps", {
      resourceVersion: api.resourceVersion(),
      fieldSelector: "metadata.name=l3",
    });
    const l2 = await core.readNamespacedConfigMap({ name: "l2", namespace: "other" });
    await core.replaceNamespacedConfigMap({
      name: "l2",
      namespace: "other",
      body: { ...l2, data: { a: "b" } },
    });
    const l3 = await core.readNamespacedConfigMap({ name: "l3", namespace: "other" });
    await core.replaceNamespacedConfigMap({
      name: "l3",
      namespace: "other",
      body: { ...l3, data: { a: "b" } },
    });
    await waitFor(() => w.events.length >= 1);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["MODIFIED l3"]);
  });
});

describe("pagination", () => {
  it("pages with limit and continue over a consistent snapshot", async () => {
    const first = await core.listNamespacedConfigMap({ namespace: "paged", limit: 2 });
    expect(first.items.map((i) => i.metadata?.name)).toEqual(["p1", "p2"]);
    expect(first.metadata?.remainingItemCount).toBe(2);
    expect(first.metadata?._continue).toBeTruthy();
    await core.createNamespacedConfigMap({ namespace: "paged", body: cm("p0-created-later") });
    await core.deleteNamespacedConfigMap({ name: "p4", namespace: "paged" });
    const second = await core.listNamespacedConfigMap({
      namespace: "paged",
      limit: 2,
      _continue: first.metadata?._continue,
    });
    expect(second.items.map((i) => i.metadata?.name)).toEqual(["p3", "p4"]);
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(second.metadata?._continue).toBeUndefined();
    const fresh = await core.listNamespacedConfigMap({ namespace: "paged" });
    expect(fresh.items.map((i) => i.metadata?.name)).toEqual(["p0-created-later", "p1", "p2", "p3"]);
  });

  it("rejects a continue token it did not issue", async () => {
    const { code } = await failure(
      core.listNamespacedConfigMap({ namespace: "paged", _continue: "garbage" }),
    );
    expect(code).toBe(400);
  });
});

describe("informers (makeInformer / ListWatch)", () => {
  it("lists, watches, and relists after a 410", async () => {
    const informer = k8s.makeInformer(api.kubeConfig(), "/api/v1/namespaces/watched/configmaps", () =>
      core.listNamespacedConfigMap({ namespace: "watched" }),
    );
    const seen: string[] = [];
    const errors: unknown[] = [];
    informer.on("add", (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on("update", (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on("delete", (o) => seen.push(`delete ${o.metadata?.name}`));
    informer.on("error", (e) => errors.push(e));
    await informer.start();
    try {
      await waitFor(() => informer.list("watched").length >= 2);
      await core.createNamespacedConfigMap({ namespace: "watched", body: cm("inf") });
      await waitFor(() => seen.includes("add inf"));

      // History is compacted while the watch is down: re-watching gets 410, the informer relists.
      const listsBefore = api.requests
        .entries()
        .filter((r) => r.verb === "list" && r.namespace === "watched").length;
      api.history.compact();
      api.watches.silence();
      await core.createNamespacedConfigMap({ namespace: "watched", body: cm("during-outage") });
      api.history.compact();
      api.watches.dropAll();
      api.watches.resume();
      await waitFor(() => seen.includes("add during-outage"), { what: "informer to relist" });
      const listsAfter = api.requests
        .entries()
        .filter((r) => r.verb === "list" && r.namespace === "watched").length;
      expect(listsAfter).toBeGreaterThan(listsBefore);
      await core.deleteNamespacedConfigMap({ name: "inf", namespace: "watched" });
      await waitFor(() => seen.includes("delete inf"));
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});
