import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customResourceDefinitions } from "../../src/crd/index.js";
import { renderChart, type KubeObject } from "../support/helm.js";
import { startKubeApi, type KubeApi } from "../support/kube-api/index.js";
import { manifestProblems } from "./manifest-checks.js";

/*
 * `helm template | kubectl apply --dry-run=server`, without a cluster: every object the chart
 * renders, for the value combinations the chart supports, checked against what kube-apiserver
 * validates (manifest-checks.ts), and the kinds the Kubernetes API fixture serves (CRDs from
 * crds/, the Secret, the Deployment) created through it for real.
 */

const NAMESPACE = "tokenplane-system";
const VALUE_SETS: Record<string, Record<string, string | number | boolean>> = {
  defaults: {},
  "external PostgreSQL, PDB and ServiceMonitor": {
    replicaCount: 3,
    "postgresql.url": "postgres://tokenplane:pw@db.example.com:5432/tokenplane",
    "podDisruptionBudget.enabled": true,
    "metrics.serviceMonitor.enabled": true,
  },
  "data-plane servers": {
    "postgresql.url": "postgres://tokenplane:pw@db.example.com:5432/tokenplane",
    "dataPlane.enabled": true,
    "metrics.serviceMonitor.enabled": true,
  },
  "no embedded server": { "embeddedServer.enabled": false, replicaCount: 2 },
  "an existing claim": { "persistence.existingClaim": "my-data" },
  "no persistence": { "persistence.enabled": false },
};

const crds = customResourceDefinitions();
const problems = (objects: KubeObject[]) => manifestProblems(objects, { namespace: NAMESPACE, crds });

let api: KubeApi;
let token: string;

beforeAll(async () => {
  api = await startKubeApi();
  token = api.kubeConfig({ admin: true }).getCurrentUser()?.token ?? "";
  api.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
});

afterAll(async () => {
  expect(api.unexpectedErrors()).toEqual([]);
  await api.close();
});

/** POST to the fixture as `kubectl apply --dry-run=server` would (dryRun=All): nothing is stored. */
async function dryRunCreate(obj: KubeObject): Promise<{ code: number; body: string }> {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  const plural = `${obj.kind.toLowerCase()}s`;
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const ns = obj.kind === "CustomResourceDefinition" ? "" : `/namespaces/${obj.metadata.namespace ?? ""}`;
  const res = await fetch(`${api.url}${base}${ns}/${plural}?dryRun=All`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(obj),
  });
  return { code: res.status, body: await res.text() };
}

describe.each(Object.entries(VALUE_SETS))("helm template with %s", (_name, values) => {
  it("renders only objects the API server would accept, referring to each other correctly", async () => {
    const rendered = await renderChart(values, { includeCrds: true });
    expect(problems(rendered.objects)).toEqual([]);
    const served = rendered.objects.filter((o) =>
      ["CustomResourceDefinition", "Secret", "Deployment"].includes(o.kind),
    );
    for (const obj of served) {
      const { code, body } = await dryRunCreate(obj);
      expect(code, `${obj.kind}/${obj.metadata.name}: ${body}`).toBe(201);
    }
    expect(rendered.all("CustomResourceDefinition")).toHaveLength(crds.length);
  });
});

describe("the checks", () => {
  const mutated = async (change: (objects: KubeObject[]) => void): Promise<string[]> => {
    const rendered = await renderChart(VALUE_SETS["external PostgreSQL, PDB and ServiceMonitor"]);
    const objects = structuredClone(rendered.objects);
    change(objects);
    return problems(objects);
  };
  /** The object (a record) at `keys` inside the first rendered `kind`, for editing. */
  const dig = (objects: KubeObject[], kind: string, ...keys: (string | number)[]): Record<string, unknown> =>
    keys.reduce<unknown>(
      (acc, k) => (acc as Record<string | number, unknown>)[k],
      objects.find((o) => o.kind === kind),
    ) as Record<string, unknown>;

  it("find a selector that does not match the pod template, and a probe on a port that does not exist", async () => {
    const found = await mutated((objects) => {
      dig(objects, "Deployment", "spec", "selector", "matchLabels")["app.kubernetes.io/name"] = "other";
      const container = ["spec", "template", "spec", "containers", 0] as const;
      dig(objects, "Deployment", ...container, "livenessProbe", "httpGet").port = "metrics";
    });
    expect(found).toContain(
      "Deployment/tokenplane spec.template.metadata.labels: `selector` does not match template `labels`",
    );
    expect(found).toContain(
      'Deployment/tokenplane spec.template.spec.containers[0].livenessProbe.port: no container port is named "metrics"',
    );
  });

  it("find RBAC rules naming resources that do not exist, and bindings to nothing", async () => {
    const found = await mutated((objects) => {
      dig(objects, "ClusterRole", "rules", 0).resources = ["accesstoken"];
      dig(objects, "Role", "rules", 0).verbs = [];
      dig(objects, "ClusterRoleBinding", "subjects", 0).namespace = "default";
    });
    expect(found).toContain(
      'ClusterRole/tokenplane rules[0].resources: no resource accesstoken in group "tokenplane.dev"',
    );
    expect(found).toContain("Role/tokenplane rules[0].verbs: verbs must contain at least one value");
    expect(found).toContain(
      "ClusterRoleBinding/tokenplane subjects[0]: no ServiceAccount default/tokenplane is rendered",
    );
  });

  it("find a Service that selects nothing and a ServiceMonitor scraping a port no Service has", async () => {
    const found = await mutated((objects) => {
      dig(objects, "Service", "spec").selector = { app: "nothing" };
      dig(objects, "Service", "spec", "ports", 0).targetPort = "web";
      dig(objects, "ServiceMonitor", "spec", "endpoints", 0).port = "metrics";
    });
    expect(found).toContain("Service/tokenplane spec.selector: selects none of the chart's pods");
    expect(found).toContain("Service/tokenplane spec.ports[0].targetPort: no container port is named web");
    expect(found).toContain(
      "ServiceMonitor/tokenplane spec.endpoints.port: no Service port is named metrics",
    );
  });

  it("find invalid names, labels and quantities", async () => {
    const found = await mutated((objects) => {
      dig(objects, "Service", "metadata").name = "1-tokenplane";
      dig(objects, "ServiceAccount", "metadata").labels = { "bad key!": "x" };
      const container = ["spec", "template", "spec", "containers", 0] as const;
      dig(objects, "Deployment", ...container, "resources", "requests").memory = "2Gi";
    });
    expect(found).toContain(
      'Service/1-tokenplane metadata.name: "1-tokenplane" is not a valid DNS-1035 label',
    );
    expect(found).toContain(
      "ServiceAccount/tokenplane metadata.labels[bad key!]: key is not a qualified name",
    );
    expect(found).toContain(
      "Deployment/tokenplane spec.template.spec.containers[0].resources.requests.memory: must be less than or equal to the limit",
    );
  });
});
