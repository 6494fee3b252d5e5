import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi, type PolicyRule } from "../support/kube-api/index.js";
import { failure, recordWatch, widget, widgetCrd } from "./helpers.js";

const rules: PolicyRule[] = [
  {
    apiGroups: [""],
    resources: ["secrets"],
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
  },
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get"], resourceNames: ["allowed"] },
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
  { apiGroups: ["example.com"], resources: ["widgets"], verbs: ["get", "list", "watch", "update", "patch"] },
  { apiGroups: ["example.com"], resources: ["widgets/status"], verbs: ["update", "patch"] },
];

let api: KubeApi;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;
let admin: k8s.CoreV1Api;
const ref = { group: "example.com", version: "v1", plural: "widgets", namespace: "default" };

beforeAll(async () => {
  api = await startKubeApi({
    crds: [widgetCrd],
    rbac: {
      rules,
      // A Role bound in kube-system only, as a chart grants its Leases.
      namespaced: {
        "kube-system": [
          { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create"] },
        ],
      },
    },
  });
  core = api.kubeConfig().makeApiClient(k8s.CoreV1Api);
  custom = api.kubeConfig().makeApiClient(k8s.CustomObjectsApi);
  admin = api.kubeConfig({ admin: true }).makeApiClient(k8s.CoreV1Api);
  await admin.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "allowed" } } });
  await admin.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "private" } } });
  api.create(widget("w"));
});

afterAll(async () => {
  expect(api.unexpectedErrors()).toEqual([]);
  await api.close();
});

describe("RBAC enforcement", () => {
  it("applies a namespace's Role rules in that namespace only", async () => {
    const leases = api.kubeConfig().makeApiClient(k8s.CoordinationV1Api);
    const body = { metadata: { name: "leader" }, spec: { holderIdentity: "a" } };
    await leases.createNamespacedLease({ namespace: "kube-system", body });
    const elsewhere = await failure(leases.createNamespacedLease({ namespace: "default", body }));
    expect(elsewhere.code).toBe(403);
    expect(elsewhere.status.message).toContain(
      'cannot create resource "leases" in API group "coordination.k8s.io" in the namespace "default"',
    );
    const everywhere = await failure(leases.listLeaseForAllNamespaces());
    expect(everywhere.code).toBe(403);
  });

  it("allows what the rules grant", async () => {
    await core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "mine" } } });
    const all = await core.listSecretForAllNamespaces();
    expect(all.items.map((s) => s.metadata?.name)).toContain("mine");
    const cm = await core.readNamespacedConfigMap({ name: "allowed", namespace: "default" });
    expect(cm.metadata?.name).toBe("allowed");
  });

  it("answers 403 Forbidden in the real server's words", async () => {
    const list = await failure(core.listNamespacedConfigMap({ namespace: "default" }));
    expect(list.code).toBe(403);
    expect(list.status).toMatchObject({
      kind: "Status",
      status: "Failure",
      reason: "Forbidden",
      code: 403,
      message:
        'configmaps is forbidden: User "system:serviceaccount:tokenplane-system:tokenplane" cannot list resource "configmaps" in API group "" in the namespace "default"',
      details: { kind: "configmaps" },
    });
    const named = await failure(core.readNamespacedConfigMap({ name: "private", namespace: "default" }));
    expect(named.status.message).toBe(
      'configmaps "private" is forbidden: User "system:serviceaccount:tokenplane-system:tokenplane" cannot get resource "configmaps" in API group "" in the namespace "default"',
    );
    const cluster = await failure(core.listNamespace());
    expect(cluster.status.message).toMatch(
      /cannot list resource "namespaces" in API group "" at the cluster scope$/,
    );
  });

  it("treats subresources as their own resources", async () => {
    const patched = await custom.patchNamespacedCustomObjectStatus(
      { ...ref, name: "w", body: { status: { phase: "Ready" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    expect(patched).toMatchObject({ status: { phase: "Ready" } });
    const { code, status } = await failure(
      custom.createNamespacedCustomObject({ ...ref, body: widget("new") }),
    );
    expect(code).toBe(403);
    expect(status.details).toMatchObject({ group: "example.com", kind: "widgets" });
  });

  it("requires create as well as patch for server-side apply of a new object", async () => {
    const { code, status } = await failure(
      custom.patchNamespacedCustomObject(
        { ...ref, name: "applied", body: widget("applied"), fieldManager: "op" },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.ServerSideApply),
      ),
    );
    expect(code).toBe(403);
    expect(status.message).toContain('cannot create resource "widgets" in API group "example.com"');
  });

  it("checks watch separately", async () => {
    const watch = new k8s.Watch(api.kubeConfig());
    const denied = await recordWatch(watch, "/api/v1/namespaces/default/configmaps", {});
    expect(await denied.ended).toMatchObject({ statusCode: 403 });
    const allowed = await recordWatch(watch, "/api/v1/namespaces/default/secrets", {});
    allowed.abort();
  });

  it("answers 401 to unknown credentials and lets admin credentials through", async () => {
    const res = await fetch(`${api.url}/api/v1/namespaces/default/secrets`, {
      headers: { Authorization: "Bearer nope" },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    const namespaces = await admin.listNamespace();
    expect(namespaces.items.length).toBeGreaterThan(0);
  });

  it("lets every authenticated user read discovery", async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(api.kubeConfig());
    const secret = await objects.read({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "mine", namespace: "default" },
    });
    expect(secret.metadata?.name).toBe("mine");
  });
});

describe("usage recording", () => {
  it("records each (apiGroup, resource, verb) the user asked for, allowed or not", () => {
    const usage = api.rbac.usage(api.user);
    const tuples = new Set(
      usage.map((u) => `${u.allowed ? "+" : "-"} ${u.apiGroup}/${u.resource} ${u.verb}`),
    );
    expect([...tuples]).toEqual(
      expect.arrayContaining([
        "+ /secrets create",
        "+ /secrets list",
        "+ /configmaps get",
        "- /configmaps list",
        "- /namespaces list",
        "+ example.com/widgets/status patch",
        "- example.com/widgets create",
        "- /configmaps watch",
        "+ /secrets watch",
      ]),
    );
    expect(usage.every((u) => u.user === api.user)).toBe(true);
  });

  it("lets a test compare the rules granted with the rules used", () => {
    const used = api.rbac.usage(api.user).filter((u) => u.allowed);
    const granted = rules.flatMap((r) =>
      (r.apiGroups ?? []).flatMap((g) =>
        (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res} ${v}`)),
      ),
    );
    const usedKeys = new Set(used.map((u) => `${u.apiGroup}/${u.resource} ${u.verb}`));
    const unused = granted.filter((g) => !usedKeys.has(g));
    expect(unused).toContain("events.k8s.io/events create");
    expect(unused).not.toContain("/secrets create");
  });
});
