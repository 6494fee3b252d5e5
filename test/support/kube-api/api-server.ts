import type { IncomingMessage, ServerResponse } from "node:http";
import type { WriteResult } from "./api-context.js";
import {
  ApiError,
  badRequest,
  entityTooLarge,
  internalError,
  methodNotAllowed,
  notFound,
  pathNotFound,
  serviceUnavailable,
  unauthorized,
} from "./api-error.js";
import type { Cluster } from "./cluster.js";
import { createObject } from "./create.js";
import { deleteObject } from "./delete.js";
import { apiVersions, groupInfo, groupList, resourceList, SERVER_VERSION } from "./discovery.js";
import type { Faults } from "./faults.js";
import { isObject, type Json, type JsonObject } from "./json.js";
import { listObjects } from "./list.js";
import { nameOf } from "./object-meta.js";
import { toView } from "./object-view.js";
import { PATCH_TYPES, patchObject } from "./patch.js";
import { forbiddenError, grantsAllow, type Grants, type UsageRecorder } from "./rbac.js";
import { requestInfo, type RequestInfo } from "./request-info.js";
import type { RequestLog } from "./request-log.js";
import {
  decodeObjectBody,
  deleteOptions,
  forceOption,
  listOptions,
  watchFlags,
  writeOptions,
} from "./request-options.js";
import { apiVersionOf, type ResourceDef } from "./resource.js";
import { selectionPredicate } from "./selection.js";
import { updateObject } from "./update.js";

export interface Identity {
  user: string;
  /** undefined: everything is allowed. */
  rules: Grants | undefined;
}

export interface ApiServerDeps {
  cluster: Cluster;
  faults: Faults;
  log: RequestLog;
  usage: UsageRecorder;
  /** undefined when the credentials are not recognized (401). */
  authenticate(authorization: string | undefined): Identity | undefined;
  unavailable(): boolean;
  maxBodyBytes: number;
  serverAddress(): string;
  /** Unexpected exceptions (would be 500s); tests assert there are none. */
  unexpected: unknown[];
}

type Reply = { code: number; body: Json; headers?: Record<string, string> } | "streamed";

function sendJson(res: ServerResponse, code: number, body: Json, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw entityTooLarge(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function nonResource(deps: ApiServerDeps, method: string, path: string): Reply {
  if (method !== "GET" && method !== "HEAD") throw methodNotAllowed();
  const registry = deps.cluster.registry;
  const parts = path.split("/").filter((p) => p !== "");
  const found = (value: JsonObject | undefined): Reply => {
    if (!value) throw pathNotFound();
    return { code: 200, body: value };
  };
  if (parts.length === 0) {
    const paths = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"];
    for (const g of registry.groupVersions()) {
      if (!g.group) continue;
      paths.push(`/apis/${g.group}`, ...g.versions.map((v) => `/apis/${g.group}/${v}`));
    }
    return { code: 200, body: { paths: paths.sort() } };
  }
  const [first, second, third] = parts;
  if (first === "api" && parts.length === 1) return found(apiVersions(deps.serverAddress()));
  if (first === "api" && parts.length === 2) return found(resourceList(registry, "", second ?? ""));
  if (first === "apis" && parts.length === 1) return found(groupList(registry));
  if (first === "apis" && parts.length === 2) return found(groupInfo(registry, second ?? ""));
  if (first === "apis" && parts.length === 3) return found(resourceList(registry, second ?? "", third ?? ""));
  if (first === "version" && parts.length === 1) return found(SERVER_VERSION);
  throw pathNotFound();
}

/** Header values must be printable ASCII; field names in warnings may not be. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function writeReply(result: WriteResult): Reply {
  const headers: Record<string, string> = {};
  if (result.warnings.length > 0) {
    headers.Warning = result.warnings.map((w) => `299 - ${headerSafe(JSON.stringify(w))}`).join(", ");
  }
  return { code: result.code, body: result.body, headers };
}

/** Routes one resource request to its verb. */
function resource(
  deps: ApiServerDeps,
  info: RequestInfo,
  identity: Identity,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  raw: string,
): Reply {
  const cluster = deps.cluster;
  const def = cluster.registry.lookup(info.apiGroup, info.apiVersion, info.resource);
  if (!def || info.extra.length > 0) throw pathNotFound();
  if (info.subresource && !(info.subresource === "status" && def.statusSubresource)) throw pathNotFound();
  if (!def.namespaced && info.namespace) throw pathNotFound();
  const namespaceRequired = ["get", "create", "update", "patch", "delete"].includes(info.verb);
  if (def.namespaced && namespaceRequired && !info.namespace) throw pathNotFound();
  const q = url.searchParams;
  const ns = info.namespace;
  const name = info.name;
  const itemVerb = ["get", "update", "patch", "delete"].includes(info.verb);
  if (info.verb === "create" && name) throw methodNotAllowed();
  if (itemVerb && !name) throw methodNotAllowed();
  const userAgent = req.headers["user-agent"];
  switch (info.verb) {
    case "get": {
      const stored = cluster.store.get(def.storageKey, def.namespaced ? ns : "", name);
      if (!stored) throw notFound(def, name);
      return { code: 200, body: toView(def, stored) };
    }
    case "list":
      if (info.subresource) throw methodNotAllowed();
      return { code: 200, body: listObjects(cluster, def, ns, listOptions(q)) };
    case "watch": {
      if (info.subresource) throw methodNotAllowed();
      const opts = listOptions(q);
      const pathName = url.pathname.includes("/watch/") ? name : "";
      const fieldSelector = [opts.fieldSelector, pathName ? `metadata.name=${pathName}` : ""]
        .filter(Boolean)
        .join(",");
      cluster.watches.open(
        {
          def,
          namespace: ns,
          matches: selectionPredicate(def, opts.labelSelector, fieldSelector),
          resourceVersion: opts.resourceVersion ?? "",
          timeoutSeconds: opts.timeoutSeconds,
          ...watchFlags(q),
        },
        res,
      );
      return "streamed";
    }
    case "create": {
      if (info.subresource) throw methodNotAllowed();
      const body = decodeObjectBody(raw, req.headers["content-type"], def.kind);
      return writeReply(createObject(cluster, def, ns, body, writeOptions(q, userAgent)));
    }
    case "update": {
      const body = decodeObjectBody(raw, req.headers["content-type"], def.kind);
      return writeReply(
        updateObject(cluster, def, ns, name, body, info.subresource, writeOptions(q, userAgent)),
      );
    }
    case "patch": {
      const contentType = req.headers["content-type"] ?? "";
      const isApply = contentType.split(";")[0]?.trim().toLowerCase() === PATCH_TYPES.apply;
      if (isApply && identity.rules && !cluster.store.get(def.storageKey, def.namespaced ? ns : "", name)) {
        // Applying to an object that does not exist creates it, which needs "create" too.
        const createInfo = { ...info, verb: "create" };
        const allowed = grantsAllow(identity.rules, createInfo);
        deps.usage.record(identity.user, createInfo, allowed);
        if (!allowed) throw forbiddenError(identity.user, createInfo);
      }
      const opts = { ...writeOptions(q, userAgent), force: forceOption(q) };
      return writeReply(patchObject(cluster, def, ns, name, contentType, raw, info.subresource, opts));
    }
    case "delete": {
      if (info.subresource) throw methodNotAllowed();
      const body = raw.trim()
        ? decodeObjectBody(raw, req.headers["content-type"], "DeleteOptions")
        : undefined;
      return writeReply(deleteObject(cluster, def, ns, name, deleteOptions(q, body)));
    }
    case "deletecollection": {
      const body = raw.trim()
        ? decodeObjectBody(raw, req.headers["content-type"], "DeleteOptions")
        : undefined;
      return { code: 200, body: deleteCollection(deps, def, ns, q, body) };
    }
    default:
      throw methodNotAllowed();
  }
}

function deleteCollection(
  deps: ApiServerDeps,
  def: ResourceDef,
  ns: string,
  q: URLSearchParams,
  body: Json | undefined,
): JsonObject {
  const list = listObjects(deps.cluster, def, ns, {
    ...listOptions(q),
    limit: undefined,
    continue: undefined,
  });
  const opts = deleteOptions(q, body);
  const items = Array.isArray(list.items) ? list.items.filter(isObject) : [];
  for (const item of items) {
    const itemNs = def.namespaced ? String((item.metadata as JsonObject | undefined)?.namespace ?? ns) : "";
    try {
      deleteObject(deps.cluster, def, itemNs, nameOf(item), opts);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
  return { apiVersion: apiVersionOf(def), kind: def.listKind, metadata: list.metadata ?? {}, items };
}

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The fixture's request handler: availability, authentication, RBAC, injected faults, routing. */
export function createHandler(deps: ApiServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(deps, req, res);
  };
}

async function handle(deps: ApiServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://kube-api.invalid");
  } catch {
    url = new URL("http://kube-api.invalid/");
  }
  const info = requestInfo(method, url);
  let user = "";
  let code = 500;
  try {
    if (deps.unavailable()) throw serviceUnavailable("the server is currently unable to handle the request");
    const identity = deps.authenticate(req.headers.authorization);
    if (!identity) throw unauthorized();
    user = identity.user;
    if (identity.rules && (info.isResourceRequest || !isDiscovery(url.pathname))) {
      const allowed = grantsAllow(identity.rules, info);
      deps.usage.record(user, info, allowed);
      if (!allowed) throw forbiddenError(user, info);
    } else {
      deps.usage.record(user, info, true);
    }
    const fault = deps.faults.take(method, info);
    if (fault) throw fault;
    const raw = METHODS_WITH_BODY.has(method) ? await readBody(req, deps.maxBodyBytes) : "";
    if (req.url === undefined || !url.pathname.startsWith("/")) throw badRequest("malformed request URL");
    if (!info.isResourceRequest && ["/healthz", "/livez", "/readyz"].includes(url.pathname)) {
      code = 200;
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" }).end("ok");
      return;
    }
    const reply = info.isResourceRequest
      ? resource(deps, info, identity, req, res, url, raw)
      : nonResource(deps, method, url.pathname);
    if (reply === "streamed") {
      code = 200;
      return;
    }
    code = reply.code;
    sendJson(res, reply.code, reply.body, reply.headers);
  } catch (err) {
    let apiErr: ApiError;
    if (err instanceof ApiError) {
      apiErr = err;
    } else {
      deps.unexpected.push(err);
      apiErr = internalError(err instanceof Error ? err.message : String(err));
    }
    code = apiErr.code;
    sendJson(res, apiErr.code, apiErr.status as unknown as Json, apiErr.headers);
  } finally {
    deps.log.add(info, method, url, code, user, String(req.headers["content-type"] ?? ""));
  }
}

/** Discovery and health endpoints every authenticated user may read (system:discovery). */
function isDiscovery(path: string): boolean {
  return (
    path === "/" ||
    path === "/version" ||
    path === "/healthz" ||
    path === "/livez" ||
    path === "/readyz" ||
    path.startsWith("/api") ||
    path.startsWith("/openapi")
  );
}
