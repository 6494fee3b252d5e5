import type { CustomResourceDefinition } from "../../src/crd/index.js";

/*
 * What kube-apiserver (and, for references between objects, the cluster) would refuse in the
 * objects `helm template` renders, for the kinds this chart renders: the checks of
 * pkg/apis/{core,apps,rbac,policy}/validation that these objects can trip, and the references
 * that must hold for `helm install` to give a working operator (selectors that select, roles and
 * ports that exist). Each problem is "<Kind>/<name> <field>: <why>".
 */

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

type Obj = Record<string, unknown>;

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const QUANTITY = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+)?$/;
const VERBS = new Set([
  "get",
  "list",
  "watch",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
  "*",
]);
const CLUSTER_SCOPED = new Set([
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "Namespace",
]);
const FIELD_PATHS =
  /^(?:metadata\.(?:name|namespace|uid)|spec\.(?:nodeName|serviceAccountName)|status\.(?:hostIP|hostIPs|podIP|podIPs)|metadata\.(?:labels|annotations)\['[^']+'\])$/;

/** API groups and the resources in them that the chart's roles may name. */
const BUILT_IN_RESOURCES: Record<string, string[]> = {
  "": [
    "secrets",
    "configmaps",
    "events",
    "namespaces",
    "pods",
    "services",
    "serviceaccounts",
    "persistentvolumeclaims",
  ],
  apps: ["deployments", "statefulsets", "daemonsets", "replicasets"],
  "coordination.k8s.io": ["leases"],
  "events.k8s.io": ["events"],
};

const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** An IANA service name: a named port. */
function isPortName(name: string): boolean {
  return name.length <= 15 && /^[a-z0-9-]+$/.test(name) && /[a-z]/.test(name) && !/^-|-$|--/.test(name);
}

function isQualifiedName(key: string): boolean {
  const parts = key.split("/");
  if (parts.length > 2) return false;
  const name = parts.at(-1) ?? "";
  const prefix = parts.length === 2 ? (parts[0] ?? "") : undefined;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

function quantityValue(q: unknown): number | undefined {
  const s = typeof q === "number" ? String(q) : str(q);
  if (!QUANTITY.test(s)) return undefined;
  const units: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  const m = /^([+-]?[\d.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(s);
  return m ? Number(m[1]) * (units[m[2] ?? ""] ?? 1) : undefined;
}

const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

interface Context {
  objects: Manifest[];
  namespace: string;
  crds: CustomResourceDefinition[];
  out: string[];
}

function metadataProblems(m: Manifest, ctx: Context, at: (f: string, why: string) => void): void {
  const { name, namespace, labels } = m.metadata;
  const isRbac = m.apiVersion.startsWith("rbac.authorization.k8s.io/");
  if (!name) at("metadata.name", "required");
  else if (
    m.kind === "Service"
      ? !DNS_1035_LABEL.test(name) || name.length > 63
      : isRbac
        ? /[/%]/.test(name) || name === "." || name === ".."
        : !DNS_SUBDOMAIN.test(name) || name.length > 253
  ) {
    at(
      "metadata.name",
      `${JSON.stringify(name)} is not a valid ${m.kind === "Service" ? "DNS-1035 label" : "name"}`,
    );
  }
  if (CLUSTER_SCOPED.has(m.kind)) {
    if (namespace) at("metadata.namespace", "must be unset on a cluster-scoped object");
  } else if (namespace !== ctx.namespace) {
    at("metadata.namespace", `is ${JSON.stringify(namespace)}, not the release namespace ${ctx.namespace}`);
  }
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (!isQualifiedName(k)) at(`metadata.labels[${k}]`, "key is not a qualified name");
    if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v))
      at(`metadata.labels[${k}]`, `${JSON.stringify(v)} is not a label value`);
  }
}

function probeProblems(
  probe: Obj,
  path: string,
  ports: Obj[],
  kind: string,
  at: (f: string, why: string) => void,
): void {
  const handlers = ["exec", "httpGet", "tcpSocket", "grpc"].filter((h) => probe[h] !== undefined);
  if (handlers.length !== 1) at(path, `must specify exactly one handler, found ${handlers.length}`);
  for (const f of ["periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold"]) {
    if (probe[f] !== undefined && !(Number.isInteger(probe[f]) && (probe[f] as number) >= 1))
      at(`${path}.${f}`, "must be a positive integer");
  }
  if (kind !== "readinessProbe" && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    at(`${path}.successThreshold`, "must be 1");
  }
  const target = obj(probe.httpGet ?? probe.tcpSocket);
  if (probe.httpGet !== undefined && !str(target.path).startsWith("/"))
    at(`${path}.httpGet.path`, "must be an absolute path");
  if (probe.httpGet !== undefined || probe.tcpSocket !== undefined) {
    const port = target.port;
    if (typeof port === "number") {
      if (!(port >= 1 && port <= 65535)) at(`${path}.port`, "must be between 1 and 65535");
    } else if (!isPortName(str(port))) at(`${path}.port`, `${JSON.stringify(port)} is not a port name`);
    else if (!ports.some((p) => p.name === port))
      at(`${path}.port`, `no container port is named ${JSON.stringify(port)}`);
  }
}

function containerProblems(
  c: Obj,
  path: string,
  volumes: Set<string>,
  at: (f: string, why: string) => void,
): void {
  const name = str(c.name);
  if (!DNS_LABEL.test(name) || name.length > 63)
    at(`${path}.name`, `${JSON.stringify(name)} is not a DNS-1123 label`);
  if (!str(c.image)) at(`${path}.image`, "required");
  const ports = list(c.ports);
  const portNames = new Set<string>();
  ports.forEach((p, i) => {
    const cp = p.containerPort;
    if (!(Number.isInteger(cp) && (cp as number) >= 1 && (cp as number) <= 65535))
      at(`${path}.ports[${i}].containerPort`, "must be between 1 and 65535");
    if (p.name !== undefined) {
      if (!isPortName(str(p.name)))
        at(`${path}.ports[${i}].name`, `${JSON.stringify(p.name)} is not a port name`);
      if (portNames.has(str(p.name))) at(`${path}.ports[${i}].name`, "duplicate");
      portNames.add(str(p.name));
    }
    if (p.protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(str(p.protocol)))
      at(`${path}.ports[${i}].protocol`, "unsupported");
  });
  for (const kind of ["livenessProbe", "readinessProbe", "startupProbe"]) {
    if (c[kind] !== undefined) probeProblems(obj(c[kind]), `${path}.${kind}`, ports, kind, at);
  }
  list(c.env).forEach((e, i) => {
    if (!ENV_NAME.test(str(e.name)))
      at(`${path}.env[${i}].name`, `${JSON.stringify(e.name)} is not a valid environment variable name`);
    if (e.valueFrom !== undefined) {
      const from = obj(e.valueFrom);
      const sources = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"].filter(
        (k) => from[k] !== undefined,
      );
      if (sources.length !== 1) at(`${path}.env[${i}].valueFrom`, "must have exactly one source");
      if (e.value !== undefined)
        at(`${path}.env[${i}].valueFrom`, "may not be specified when `value` is not empty");
      const field = obj(from.fieldRef);
      if (from.fieldRef !== undefined && !FIELD_PATHS.test(str(field.fieldPath)))
        at(`${path}.env[${i}].valueFrom.fieldRef.fieldPath`, "unsupported");
      const ref = obj(from.secretKeyRef ?? from.configMapKeyRef);
      if (
        sources[0]?.endsWith("KeyRef") &&
        (!DNS_SUBDOMAIN.test(str(ref.name)) || !/^[-._a-zA-Z0-9]+$/.test(str(ref.key)))
      ) {
        at(`${path}.env[${i}].valueFrom`, "needs a valid name and key");
      }
    }
  });
  const mounts = new Set<string>();
  list(c.volumeMounts).forEach((m, i) => {
    if (!volumes.has(str(m.name)))
      at(`${path}.volumeMounts[${i}].name`, `no volume named ${JSON.stringify(m.name)}`);
    if (!str(m.mountPath).startsWith("/")) at(`${path}.volumeMounts[${i}].mountPath`, "must be absolute");
    if (mounts.has(str(m.mountPath))) at(`${path}.volumeMounts[${i}].mountPath`, "must be unique");
    mounts.add(str(m.mountPath));
  });
  const resources = obj(c.resources);
  for (const [res, limit] of Object.entries(obj(resources.limits))) {
    const request = obj(resources.requests)[res];
    const lv = quantityValue(limit);
    if (lv === undefined) at(`${path}.resources.limits.${res}`, "is not a quantity");
    const rv = request === undefined ? undefined : quantityValue(request);
    if (request !== undefined && rv === undefined)
      at(`${path}.resources.requests.${res}`, "is not a quantity");
    if (lv !== undefined && rv !== undefined && rv > lv)
      at(`${path}.resources.requests.${res}`, "must be less than or equal to the limit");
  }
}

function deploymentProblems(d: Manifest, ctx: Context, at: (f: string, why: string) => void): void {
  const spec = obj(d.spec);
  const selector = obj(obj(spec.selector).matchLabels) as Record<string, string>;
  const template = obj(spec.template);
  const labels = obj(obj(template.metadata).labels) as Record<string, string>;
  if (!selects(selector, labels))
    at("spec.template.metadata.labels", "`selector` does not match template `labels`");
  const strategy = obj(spec.strategy);
  if (strategy.type === "Recreate" && strategy.rollingUpdate !== undefined)
    at("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
  const rolling = obj(strategy.rollingUpdate);
  if (strategy.type !== "Recreate" && rolling.maxSurge === 0 && rolling.maxUnavailable === 0)
    at("spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0");
  const pod = obj(template.spec);
  const volumes = list(pod.volumes);
  const volumeNames = new Set<string>();
  volumes.forEach((v, i) => {
    const name = str(v.name);
    if (!DNS_LABEL.test(name) || volumeNames.has(name))
      at(`spec.template.spec.volumes[${i}].name`, "must be a unique DNS-1123 label");
    volumeNames.add(name);
    if (Object.keys(v).filter((k) => k !== "name").length !== 1)
      at(`spec.template.spec.volumes[${i}]`, "must specify exactly one volume source");
    const claim = str(obj(v.persistentVolumeClaim).claimName);
    if (v.persistentVolumeClaim !== undefined && !claim)
      at(`spec.template.spec.volumes[${i}].persistentVolumeClaim.claimName`, "required");
  });
  const containers = list(pod.containers);
  if (containers.length === 0) at("spec.template.spec.containers", "required");
  containers.forEach((c, i) => containerProblems(c, `spec.template.spec.containers[${i}]`, volumeNames, at));
  const sa = str(pod.serviceAccountName);
  if (sa && !ctx.objects.some((o) => o.kind === "ServiceAccount" && o.metadata.name === sa)) {
    at("spec.template.spec.serviceAccountName", `no ServiceAccount ${sa} is rendered`);
  }
  const secrets = containers
    .flatMap((c) => list(c.env))
    .map((e) => obj(obj(e.valueFrom).secretKeyRef))
    .filter((r) => r.name !== undefined);
  for (const ref of secrets) {
    const secret = ctx.objects.find((o) => o.kind === "Secret" && o.metadata.name === ref.name);
    if (
      secret &&
      !Object.hasOwn(obj(secret.data), str(ref.key)) &&
      !Object.hasOwn(obj(secret.stringData), str(ref.key))
    ) {
      at("spec.template.spec.containers.env", `Secret ${str(ref.name)} has no key ${str(ref.key)}`);
    }
  }
}

function podLabels(ctx: Context): Record<string, string>[] {
  return ctx.objects
    .filter((o) => o.kind === "Deployment")
    .map((d) => obj(obj(obj(obj(d.spec).template).metadata).labels) as Record<string, string>);
}

function podPorts(ctx: Context): Obj[] {
  return ctx.objects
    .filter((o) => o.kind === "Deployment")
    .flatMap((d) => list(obj(obj(obj(d.spec).template).spec).containers))
    .flatMap((c) => list(c.ports));
}

function serviceProblems(s: Manifest, ctx: Context, at: (f: string, why: string) => void): void {
  const spec = obj(s.spec);
  const ports = list(spec.ports);
  if (ports.length === 0) at("spec.ports", "required");
  ports.forEach((p, i) => {
    if (!(Number.isInteger(p.port) && (p.port as number) >= 1 && (p.port as number) <= 65535))
      at(`spec.ports[${i}].port`, "must be between 1 and 65535");
    if (ports.length > 1 && !p.name) at(`spec.ports[${i}].name`, "required when there are several ports");
    if (p.name !== undefined && !DNS_LABEL.test(str(p.name)))
      at(`spec.ports[${i}].name`, "must be a DNS-1123 label");
    const target = p.targetPort;
    if (typeof target === "string" && !podPorts(ctx).some((cp) => cp.name === target))
      at(`spec.ports[${i}].targetPort`, `no container port is named ${target}`);
    if (typeof target === "string" && !isPortName(target))
      at(`spec.ports[${i}].targetPort`, "is not a port name");
  });
  const selector = obj(spec.selector) as Record<string, string>;
  if (!podLabels(ctx).some((labels) => selects(selector, labels)))
    at("spec.selector", "selects none of the chart's pods");
}

function roleProblems(r: Manifest, ctx: Context, at: (f: string, why: string) => void): void {
  const custom: Record<string, string[]> = {};
  for (const crd of ctx.crds) {
    const plural = crd.spec.names.plural;
    custom[crd.spec.group] = [
      ...(custom[crd.spec.group] ?? []),
      plural,
      `${plural}/status`,
      `${plural}/finalizers`,
    ];
  }
  list(r.rules).forEach((rule, i) => {
    const path = `rules[${i}]`;
    const verbs = strings(rule.verbs);
    if (verbs.length === 0) at(`${path}.verbs`, "verbs must contain at least one value");
    for (const v of verbs) if (!VERBS.has(v)) at(`${path}.verbs`, `unknown verb ${v}`);
    if (rule.nonResourceURLs !== undefined) return;
    const groups = strings(rule.apiGroups);
    const resources = strings(rule.resources);
    if (groups.length === 0) at(`${path}.apiGroups`, "resource rules must supply at least one api group");
    if (resources.length === 0) at(`${path}.resources`, "resource rules must supply at least one resource");
    for (const g of groups) {
      const known = [...(BUILT_IN_RESOURCES[g] ?? []), ...(custom[g] ?? [])];
      const knownWithStatus = new Set([...known, ...known.map((k) => `${k}/status`)]);
      if (g === "*") continue;
      for (const res of resources)
        if (res !== "*" && !knownWithStatus.has(res))
          at(`${path}.resources`, `no resource ${res} in group ${JSON.stringify(g)}`);
    }
  });
}

function bindingProblems(b: Manifest, ctx: Context, at: (f: string, why: string) => void): void {
  const ref = obj(b.roleRef);
  if (ref.apiGroup !== "rbac.authorization.k8s.io")
    at("roleRef.apiGroup", "must be rbac.authorization.k8s.io");
  const allowed = b.kind === "ClusterRoleBinding" ? ["ClusterRole"] : ["Role", "ClusterRole"];
  if (!allowed.includes(str(ref.kind))) at("roleRef.kind", `must be one of ${allowed.join(", ")}`);
  const role = ctx.objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
  if (!role) at("roleRef.name", `no ${str(ref.kind)} ${str(ref.name)} is rendered`);
  const subjects = list(b.subjects);
  subjects.forEach((s, i) => {
    if (s.kind !== "ServiceAccount") return;
    if (s.apiGroup !== undefined && s.apiGroup !== "")
      at(`subjects[${i}].apiGroup`, "must be empty for a ServiceAccount");
    if (!s.namespace) at(`subjects[${i}].namespace`, "required");
    const sa = ctx.objects.find((o) => o.kind === "ServiceAccount" && o.metadata.name === s.name);
    if (!sa || sa.metadata.namespace !== s.namespace)
      at(`subjects[${i}]`, `no ServiceAccount ${str(s.namespace)}/${str(s.name)} is rendered`);
  });
}

function otherProblems(m: Manifest, ctx: Context, at: (f: string, why: string) => void): void {
  const spec = obj(m.spec);
  if (m.kind === "PersistentVolumeClaim") {
    const modes = strings(spec.accessModes);
    if (modes.length === 0) at("spec.accessModes", "at least 1 access mode is required");
    for (const mode of modes)
      if (!["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"].includes(mode))
        at("spec.accessModes", `unsupported ${mode}`);
    if (quantityValue(obj(obj(spec.resources).requests).storage) === undefined)
      at("spec.resources.requests.storage", "required quantity");
  }
  if (m.kind === "PodDisruptionBudget") {
    if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
      at("spec", "minAvailable and maxUnavailable cannot be both set");
    const selector = obj(obj(spec.selector).matchLabels) as Record<string, string>;
    if (!podLabels(ctx).some((labels) => selects(selector, labels)))
      at("spec.selector", "selects none of the chart's pods");
  }
  if (m.kind === "Secret") {
    for (const [k, v] of Object.entries(obj(m.data))) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k)) at(`data[${k}]`, "invalid key");
      if (typeof v !== "string" || Buffer.from(v, "base64").toString("base64") !== v)
        at(`data[${k}]`, "is not base64");
    }
  }
  if (m.kind === "ServiceMonitor") {
    const selector = obj(obj(spec.selector).matchLabels) as Record<string, string>;
    const services = ctx.objects.filter(
      (o) => o.kind === "Service" && selects(selector, o.metadata.labels ?? {}),
    );
    if (services.length === 0) at("spec.selector", "selects none of the chart's Services");
    for (const e of list(spec.endpoints)) {
      const names = services.flatMap((s) => list(obj(s.spec).ports)).map((p) => p.name);
      if (!names.includes(e.port)) at("spec.endpoints.port", `no Service port is named ${str(e.port)}`);
    }
  }
}

/** Every problem the API server (or a broken reference) would cause in these rendered objects. */
export function manifestProblems(
  objects: Manifest[],
  opts: { namespace: string; crds: CustomResourceDefinition[] },
): string[] {
  const ctx: Context = { objects, namespace: opts.namespace, crds: opts.crds, out: [] };
  const seen = new Set<string>();
  for (const m of objects) {
    const at = (f: string, why: string) => ctx.out.push(`${m.kind}/${m.metadata?.name ?? "?"} ${f}: ${why}`);
    const identity = `${m.apiVersion}/${m.kind}/${m.metadata?.namespace ?? ""}/${m.metadata?.name ?? ""}`;
    if (seen.has(identity)) at("metadata.name", "rendered twice");
    seen.add(identity);
    metadataProblems(m, ctx, at);
    if (m.kind === "Deployment") deploymentProblems(m, ctx, at);
    else if (m.kind === "Service") serviceProblems(m, ctx, at);
    else if (m.kind === "ClusterRole" || m.kind === "Role") roleProblems(m, ctx, at);
    else if (m.kind === "ClusterRoleBinding" || m.kind === "RoleBinding") bindingProblems(m, ctx, at);
    else otherProblems(m, ctx, at);
  }
  return ctx.out;
}
