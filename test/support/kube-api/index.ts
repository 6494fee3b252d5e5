import type { KubeConfig } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { defaultWriteOptions } from "./api-context.js";
import { createHandler, type Identity } from "./api-server.js";
import { Cluster } from "./cluster.js";
import { customResourceDefs } from "./crd.js";
import { createObject } from "./create.js";
import { deleteObject, type DeleteOptions } from "./delete.js";
import { Faults, type FaultHandle, type FaultRule } from "./faults.js";
import { HttpServer } from "./http-server.js";
import { clone, type JsonObject } from "./json.js";
import { kubeconfigYaml, makeKubeConfig, type Credentials } from "./kubeconfig.js";
import { nameOf, namespaceOf } from "./object-meta.js";
import { toView } from "./object-view.js";
import { UsageRecorder, type PolicyRule, type UsageRecord } from "./rbac.js";
import { RequestLog, type RequestRecord, type WriteFilter } from "./request-log.js";
import { apiVersionOf, type ResourceDef } from "./resource.js";
import { selectionPredicate } from "./selection.js";
import type { KubeObject } from "./types.js";
import type { WatchInfo } from "./watch-hub.js";

export type {
  DeleteOptions,
  FaultHandle,
  FaultRule,
  PolicyRule,
  RequestRecord,
  UsageRecord,
  WatchInfo,
  WriteFilter,
  KubeObject,
};

export interface KubeApiOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** Watch events kept for watches from an old resourceVersion; older ones get 410 Gone. */
  historyLimit?: number;
  /** How often watches with allowWatchBookmarks=true get a BOOKMARK. */
  bookmarkIntervalMs?: number;
  /** Namespaces to create besides default, kube-system, kube-public and kube-node-lease. */
  namespaces?: (string | { name: string; labels?: Record<string, string> })[];
  /** CustomResourceDefinitions to install (and wait for) before the server starts answering. */
  crds?: KubeObject[];
  /**
   * Enforce RBAC for the default credentials: requests not allowed by these rules get 403.
   * Admin credentials (`kubeConfig({ admin: true })`) are never restricted. `namespaced` rules
   * act like Roles bound in that namespace only (a chart's Role for its Leases, say).
   */
  rbac?: { rules: PolicyRule[]; namespaced?: Record<string, PolicyRule[]>; user?: string };
  maxBodyBytes?: number;
}

export interface ListFilter {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface KubeApi {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** The user RBAC applies to (or "system:admin" when RBAC is off). */
  readonly user: string;
  /** client-node configuration for this server; `admin` bypasses RBAC. */
  kubeConfig(opts?: { admin?: boolean; namespace?: string }): KubeConfig;
  /** The same as a kubeconfig file, for processes that read KUBECONFIG. */
  kubeConfigYaml(opts?: { admin?: boolean; namespace?: string }): string;
  close(): Promise<void>;

  /** Direct reads for assertions; `resource` as kubectl spells it: secrets, deployments.apps, widgets.example.com. */
  get<T extends KubeObject = KubeObject>(
    resource: string,
    namespace: string | undefined,
    name: string,
  ): T | undefined;
  list<T extends KubeObject = KubeObject>(resource: string, filter?: ListFilter): T[];
  /** Direct writes for test setup: the real semantics, without HTTP, RBAC, faults or the request log. */
  create<T extends KubeObject = KubeObject>(obj: KubeObject): T;
  delete(resource: string, namespace: string | undefined, name: string, opts?: Partial<DeleteOptions>): void;
  /** Creates a CRD and resolves once it is Established and served. */
  installCrd(crd: KubeObject): Promise<void>;
  /** The current (global) resourceVersion. */
  resourceVersion(): string;
  /** Resolves when the background controllers (GC, namespace, CRD lifecycle) have nothing queued. */
  settle(): Promise<void>;
  /** Exceptions that would have been 500s. Tests of the fixture assert this stays empty. */
  unexpectedErrors(): unknown[];

  readonly requests: {
    entries(): RequestRecord[];
    /** Write requests (create/update/patch/delete/deletecollection) sent, filtered. */
    writes(filter?: WriteFilter): number;
    writesByResource(): Record<string, Record<string, number>>;
    clear(): void;
  };
  readonly faults: {
    /** Answer the next `count` matching requests with the given status. */
    inject(rule: FaultRule): FaultHandle;
    clear(): void;
    /** "unavailable": every request gets 503. "refused": the port stops listening. "up": normal. */
    setAvailability(mode: "up" | "unavailable" | "refused"): Promise<void>;
  };
  readonly watches: {
    open(): WatchInfo[];
    /** Ends all open watches; "reset" destroys their connections instead of ending them cleanly. */
    dropAll(how?: "close" | "reset"): number;
    /** Watches stay connected but deliver nothing (no events, no bookmarks) until resume(). */
    silence(): void;
    resume(): void;
    /** Sends a BOOKMARK now to every watch that asked for bookmarks. */
    sendBookmarks(): void;
  };
  readonly history: {
    /** Forget all watch history: watches and continue tokens from before now get 410. */
    compact(): void;
    oldestResourceVersion(): string;
  };
  readonly rbac: {
    /** Distinct (apiGroup, resource[/subresource], verb, namespace) requests, per user. */
    usage(user?: string): UsageRecord[];
    clearUsage(): void;
  };
}

function resolve(cluster: Cluster, resource: string): ResourceDef {
  const def = cluster.registry.resolve(resource);
  if (!def) throw new Error(`kube-api fixture: no served resource ${JSON.stringify(resource)}`);
  return def;
}

function defForObject(cluster: Cluster, obj: KubeObject): ResourceDef {
  const def = cluster.registry.all().find((d) => apiVersionOf(d) === obj.apiVersion && d.kind === obj.kind);
  if (!def) throw new Error(`kube-api fixture: no served resource for ${obj.apiVersion} ${obj.kind}`);
  return def;
}

const token = (): string => randomBytes(18).toString("base64url");

export async function startKubeApi(options: KubeApiOptions = {}): Promise<KubeApi> {
  const cluster = new Cluster({
    historyLimit: options.historyLimit ?? 10_000,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
  });
  const admin: Credentials = { user: "system:admin", token: token() };
  const restricted: Credentials | undefined = options.rbac
    ? { user: options.rbac.user ?? "system:serviceaccount:tokenplane-system:tokenplane", token: token() }
    : undefined;
  const authenticate = (header: string | undefined): Identity | undefined => {
    const presented = /^Bearer\s+(.+)$/i.exec(header ?? "")?.[1]?.trim();
    if (presented === admin.token) return { user: admin.user, rules: undefined };
    if (restricted && presented === restricted.token)
      return {
        user: restricted.user,
        rules: { rules: options.rbac?.rules ?? [], namespaced: options.rbac?.namespaced ?? {} },
      };
    return restricted ? undefined : { user: admin.user, rules: undefined };
  };
  const faults = new Faults();
  const log = new RequestLog(200_000);
  const usage = new UsageRecorder();
  const unexpected: unknown[] = [];
  let unavailable = false;
  const host = options.host ?? "127.0.0.1";
  const http: HttpServer = new HttpServer(
    createHandler({
      cluster,
      faults,
      log,
      usage,
      authenticate,
      unavailable: () => unavailable,
      maxBodyBytes: options.maxBodyBytes ?? 3 * 1024 * 1024,
      serverAddress: (): string => `${host}:${http.port}`,
      unexpected,
    }),
    host,
  );

  const write = defaultWriteOptions("kube-api-fixture");
  const namespaceDef = resolve(cluster, "namespaces");
  for (const ns of options.namespaces ?? []) {
    const spec = typeof ns === "string" ? { name: ns } : ns;
    createObject(
      cluster,
      namespaceDef,
      "",
      { metadata: { name: spec.name, labels: spec.labels ?? {} } },
      write,
    );
  }

  const api: KubeApi = {
    get url() {
      return `http://${host}:${http.port}`;
    },
    get port() {
      return http.port;
    },
    user: restricted?.user ?? admin.user,
    kubeConfig: (opts = {}) =>
      makeKubeConfig(api.url, opts.admin || !restricted ? admin : restricted, opts.namespace ?? "default"),
    kubeConfigYaml: (opts = {}) =>
      kubeconfigYaml(api.url, opts.admin || !restricted ? admin : restricted, opts.namespace ?? "default"),
    close: async () => {
      cluster.watches.closeAll();
      await http.close();
    },
    get<T extends KubeObject>(resource: string, namespace: string | undefined, name: string) {
      const def = resolve(cluster, resource);
      const stored = cluster.store.get(def.storageKey, def.namespaced ? (namespace ?? "") : "", name);
      return stored ? (clone(toView(def, stored)) as unknown as T) : undefined;
    },
    list<T extends KubeObject>(resource: string, filter: ListFilter = {}) {
      const def = resolve(cluster, resource);
      const matches = selectionPredicate(def, filter.labelSelector, filter.fieldSelector);
      return cluster.store
        .list(def.storageKey, def.namespaced ? filter.namespace : undefined)
        .map((o) => toView(def, o))
        .filter(matches)
        .map((o) => clone(o) as unknown as T);
    },
    create<T extends KubeObject>(obj: KubeObject) {
      const def = defForObject(cluster, obj);
      const body = obj as unknown as JsonObject;
      const result = createObject(cluster, def, namespaceOf(body) || "default", clone(body), write);
      return clone(result.body) as unknown as T;
    },
    delete(resource, namespace, name, opts = {}) {
      const def = resolve(cluster, resource);
      deleteObject(cluster, def, namespace ?? "", name, { dryRun: false, ...opts });
    },
    installCrd: async (crd) => {
      const created = api.create(crd) as unknown as JsonObject;
      await cluster.settle();
      const served = customResourceDefs(created).every((d) =>
        cluster.registry.lookup(d.group, d.version, d.resource),
      );
      const established = api.get(
        "customresourcedefinitions.apiextensions.k8s.io",
        undefined,
        nameOf(created),
      );
      const conditions = (
        established?.status as { conditions?: { type: string; status: string }[] } | undefined
      )?.conditions;
      if (!served || !conditions?.some((c) => c.type === "Established" && c.status === "True")) {
        throw new Error(`kube-api fixture: CRD ${nameOf(created)} was not established`);
      }
    },
    resourceVersion: () => String(cluster.store.currentRv()),
    settle: () => cluster.settle(),
    unexpectedErrors: () => [...unexpected, ...cluster.backgroundErrors.map((e) => e.error)],
    requests: {
      entries: () => log.entries(),
      writes: (filter) => log.writes(filter),
      writesByResource: () => log.writesByResource(),
      clear: () => log.clear(),
    },
    faults: {
      inject: (rule) => faults.inject(rule),
      clear: () => faults.clear(),
      setAvailability: async (mode) => {
        unavailable = mode === "unavailable";
        if (mode === "refused") await http.refuse();
        else await http.restore();
      },
    },
    watches: {
      open: () => cluster.watches.list(),
      dropAll: (how) => cluster.watches.dropAll(how),
      silence: () => cluster.watches.silence(),
      resume: () => cluster.watches.resume(),
      sendBookmarks: () => cluster.watches.sendBookmarks(),
    },
    history: {
      compact: () => cluster.store.compact(),
      oldestResourceVersion: () => String(cluster.store.oldestRv()),
    },
    rbac: {
      usage: (user) => usage.list(user),
      clearUsage: () => usage.clear(),
    },
  };

  for (const crd of options.crds ?? []) await api.installCrd(crd);
  await http.listen(options.port ?? 0);
  return api;
}
