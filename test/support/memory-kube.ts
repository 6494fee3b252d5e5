import {
  accessTokenStatusSchema,
  clusterTokenServerSchema,
  formatPath,
  tokenServerSchema,
} from "../../src/crd/index.js";
import { KubeError, type CallOptions, type KubeClient, type Query } from "../../src/operator/kube/client.js";
import type { Informer } from "../../src/operator/runtime/informer.js";
import type { KubeObject } from "../../src/operator/kube/objects.js";
import { ApiError as FixtureError, invalid } from "./kube-api/api-error.js";
import { prepareSecret, validateSecret } from "./kube-api/builtin-validation.js";
import { validateCoreEvent } from "./kube-api/event-validation.js";
import type { FieldError } from "./kube-api/field-errors.js";
import type { JsonObject } from "./kube-api/json.js";
import { matchesLabels, parseLabelSelector } from "./kube-api/label-selector.js";
import { validateObjectMeta } from "./kube-api/metadata-validation.js";

/*
 * An in-memory stand-in for the Kubernetes API, for driving the operator's reconcilers directly
 * with objects no API server would let through (garbage specs, bogus status) thousands of times
 * a second. It is not the fixture: it serves only the requests the reconcilers make, but it
 * validates every write the way the API server would (the fixture's own validators for Secrets,
 * Events and metadata; the CRD's status schemas for status writes), so a write the real server
 * would refuse is refused here too. Reads for the caches go through `cache()`, which hands out
 * objects exactly as an informer does.
 */

export interface Recorded {
  method: string;
  path: string;
  query?: Query | undefined;
  body?: unknown;
  /** The HTTP status the API server would have answered. */
  status: number;
  error?: string;
}

type Resource = "accesstokens" | "tokenservers" | "clustertokenservers" | "secrets" | "events" | "namespaces";

const GROUP = "tokenplane.dev";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** RFC 7386. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

interface Parsed {
  resource: Resource | "deployments" | "statefulsets" | "daemonsets";
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

function parsePath(path: string): Parsed | undefined {
  const ns = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path);
  if (ns)
    return {
      resource: "namespaces",
      namespace: undefined,
      name: decodeURIComponent(ns[1]!),
      subresource: undefined,
    };
  const m =
    /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(
      path,
    );
  if (!m) return undefined;
  const dec = (s: string | undefined) => (s === undefined ? undefined : decodeURIComponent(s));
  return {
    resource: m[2] as Parsed["resource"],
    namespace: dec(m[1]),
    name: dec(m[3]),
    subresource: m[4],
  };
}

const kindOf: Record<Resource, { group: string; kind: string }> = {
  accesstokens: { group: GROUP, kind: "AccessToken" },
  tokenservers: { group: GROUP, kind: "TokenServer" },
  clustertokenservers: { group: GROUP, kind: "ClusterTokenServer" },
  secrets: { group: "", kind: "Secret" },
  events: { group: "", kind: "Event" },
  namespaces: { group: "", kind: "Namespace" },
};

function toKubeError(err: FixtureError): KubeError {
  return new KubeError(err.status.code, err.status.reason ?? "Unknown", err.message);
}

const statusSchemas = {
  accesstokens: accessTokenStatusSchema,
  tokenservers: tokenServerSchema.shape.status.unwrap(),
  clustertokenservers: clusterTokenServerSchema.shape.status.unwrap(),
};

/** A cache (what an Informer holds) over one resource of a MemoryKube. */
export interface MemoryCache<T extends KubeObject = KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
}

export class MemoryKube implements KubeClient {
  readonly server = "http://memory-kube.invalid";
  readonly calls: Recorded[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private rv = 1;
  /** Called for every stored change, as a watch event would be (key `ns/name`, new resourceVersion). */
  onChange: (resource: Resource, key: string, resourceVersion: string | undefined) => void = () => undefined;

  private id(resource: string, namespace: string | undefined, name: string): string {
    return `${resource}|${namespace ? `${namespace}/` : ""}${name}`;
  }

  /** Puts an object as it is (no validation): what the caches hand out may be anything. */
  put(resource: Resource, obj: KubeObject): void {
    this.objects.set(this.id(resource, obj.metadata.namespace, obj.metadata.name), obj);
  }

  remove(resource: Resource, namespace: string | undefined, name: string): void {
    this.objects.delete(this.id(resource, namespace, name));
  }

  object<T extends KubeObject = KubeObject>(
    resource: Resource,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    return this.objects.get(this.id(resource, namespace, name)) as T | undefined;
  }

  all<T extends KubeObject = KubeObject>(resource: Resource): T[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${resource}|`)).map(([, v]) => v as T);
  }

  /** The informer view: `ns/name` keys; `labelSelector` as the Secret informer selects. */
  cache<T extends KubeObject = KubeObject>(resource: Resource, labelSelector?: string): Informer<T> {
    const requirements = parseLabelSelector(labelSelector ?? "");
    const matches = (o: KubeObject) => matchesLabels(requirements, o.metadata.labels ?? {});
    const view: MemoryCache<T> = {
      get: (key) => {
        const slash = key.indexOf("/");
        const obj =
          slash < 0
            ? this.object<T>(resource, undefined, key)
            : this.object<T>(resource, key.slice(0, slash), key.slice(slash + 1));
        return obj && matches(obj) ? obj : undefined;
      },
      list: () => this.all<T>(resource).filter(matches),
    };
    return view as unknown as Informer<T>;
  }

  private bump(resource: Resource, obj: KubeObject): KubeObject {
    const stored = json({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } });
    this.put(resource, stored);
    const key = stored.metadata.namespace
      ? `${stored.metadata.namespace}/${stored.metadata.name}`
      : stored.metadata.name;
    this.onChange(resource, key, stored.metadata.resourceVersion);
    return stored;
  }

  private fail(rec: Recorded, err: KubeError): never {
    rec.status = err.status;
    rec.error = err.message;
    throw err;
  }

  async request<T>(method: string, path: string, o: CallOptions = {}): Promise<T> {
    // Answer on a later tick, as the network does.
    await Promise.resolve();
    const rec: Recorded = { method, path, query: o.query, body: o.body, status: 200 };
    this.calls.push(rec);
    const p = parsePath(path);
    if (!p) return this.fail(rec, new KubeError(404, "NotFound", `the server could not find ${path}`));
    try {
      return this.handle(method, p, o, rec) as T;
    } catch (err) {
      if (err instanceof FixtureError) return this.fail(rec, toKubeError(err));
      if (err instanceof KubeError) return this.fail(rec, err);
      throw err;
    }
  }

  private notFound(p: Parsed): KubeError {
    const { kind } = kindOf[p.resource as Resource] ?? { kind: p.resource };
    return new KubeError(404, "NotFound", `${kind.toLowerCase()}s "${p.name}" not found`);
  }

  private invalid(resource: Resource, name: string, errors: FieldError[]): KubeError {
    return toKubeError(invalid(kindOf[resource], name, errors));
  }

  private handle(method: string, p: Parsed, o: CallOptions, rec: Recorded): unknown {
    if (p.resource === "deployments" || p.resource === "statefulsets" || p.resource === "daemonsets")
      throw this.notFound(p);
    const resource = p.resource;
    if (method === "GET") {
      if (!p.name) throw new KubeError(405, "MethodNotAllowed", "lists are served by the caches here");
      const obj = this.object(resource, p.namespace, p.name);
      if (!obj) throw this.notFound(p);
      return json(obj);
    }
    if (method === "POST" && !p.name) {
      const body = json(o.body) as KubeObject;
      if (!isObject(body) || !isObject(body.metadata)) throw new KubeError(400, "BadRequest", "no metadata");
      body.metadata.namespace ??= p.namespace;
      const prepared = (
        resource === "secrets" ? prepareSecret(body as unknown as JsonObject) : body
      ) as KubeObject;
      const errors = this.validate(resource, prepared, undefined);
      if (errors.length > 0) throw this.invalid(resource, prepared.metadata.name, errors);
      if (this.object(resource, p.namespace, prepared.metadata.name))
        throw new KubeError(409, "AlreadyExists", `${resource} "${prepared.metadata.name}" already exists`);
      if (o.query?.dryRun === "All") return prepared;
      rec.status = 201;
      return this.bump(resource, { ...prepared, metadata: { ...prepared.metadata, uid: `uid-${this.rv}` } });
    }
    const current = p.name ? this.object(resource, p.namespace, p.name) : undefined;
    if (!current || !p.name) throw this.notFound(p);
    let next: KubeObject;
    if (method === "PUT") {
      const body = json(o.body) as KubeObject;
      next = (resource === "secrets" ? prepareSecret(body as unknown as JsonObject) : body) as KubeObject;
    } else if (method === "PATCH") {
      const patch = json(o.body) as Record<string, unknown>;
      if (p.subresource === "status") {
        next = { ...current, status: applyMergePatch(current.status, patch.status) };
      } else {
        const merged = applyMergePatch(current, patch) as KubeObject;
        next = { ...merged, status: current.status };
        if (resource !== "events" && JSON.stringify(merged.spec) !== JSON.stringify(current.spec))
          next.metadata.generation = (current.metadata.generation ?? 0) + 1;
      }
    } else throw new KubeError(405, "MethodNotAllowed", `${method} is not served here`);
    const wanted = next.metadata?.resourceVersion;
    if (wanted !== undefined && wanted !== current.metadata.resourceVersion)
      throw new KubeError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${resource} "${p.name}": the object has been modified`,
      );
    const errors = this.validate(resource, next, current, p.subresource);
    if (errors.length > 0) throw this.invalid(resource, p.name, errors);
    // Removing the last finalizer of an object being deleted deletes it.
    if (current.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.remove(resource, p.namespace, p.name);
      const key = p.namespace ? `${p.namespace}/${p.name}` : p.name;
      this.onChange(resource, key, undefined);
      return { ...next, metadata: { ...next.metadata, resourceVersion: String(++this.rv) } };
    }
    return this.bump(resource, next);
  }

  private validate(
    resource: Resource,
    obj: KubeObject,
    old: KubeObject | undefined,
    sub?: string,
  ): FieldError[] {
    if (sub === "status") {
      const schema = statusSchemas[resource as keyof typeof statusSchemas];
      if (!schema || obj.status === undefined) return [];
      const parsed = schema.safeParse(obj.status);
      return parsed.success
        ? []
        : parsed.error.issues.map((i) => ({
            type: "FieldValueInvalid" as const,
            field: formatPath(["status", ...i.path]),
            detail: i.message,
          }));
    }
    const meta = validateObjectMeta(obj as unknown as JsonObject, {
      namespaced: resource !== "clustertokenservers" && resource !== "namespaces",
      nameRule: "subdomain",
    });
    if (resource === "secrets")
      return [...meta, ...validateSecret(obj as unknown as JsonObject, old as unknown as JsonObject)];
    if (resource === "events") return [...meta, ...validateCoreEvent(obj as unknown as JsonObject)];
    return meta;
  }

  get: KubeClient["get"] = async <T>(path: string, query?: Query) => {
    try {
      return await this.request<T>("GET", path, { query });
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  };

  create<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, { body });
  }

  replace<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, { body });
  }

  mergePatch<T>(path: string, patch: unknown): Promise<T> {
    return this.request<T>("PATCH", path, { body: patch, contentType: "application/merge-patch+json" });
  }

  watch(): Promise<void> {
    return Promise.reject(new Error("MemoryKube serves no watches: the caches are its views"));
  }

  close(): void {}
}
