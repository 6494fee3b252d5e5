import type { KubeConfig } from "@kubernetes/client-node";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from "node:https";

/**
 * A small Kubernetes API client over node:http(s) with keep-alive connections.
 *
 * Why not client-node's typed APIs: they open a new TCP (and TLS) connection per request,
 * drop fields their models do not know, default patches to JSON patch, and their watches
 * have no timeout. The operator needs none of the models: it reads and writes plain JSON,
 * validated at the edge with zod. client-node's KubeConfig still does what it is good at:
 * loading kubeconfig files or the in-cluster service account, and authentication (tokens,
 * client certificates, exec plugins).
 */

/** metav1.Status as the API server sends it with a failure. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; retryAfterSeconds?: number; causes?: { message?: string }[] };
}

export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "KubeError";
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeError && err.status === 409;
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof KubeError && err.status === 409 && err.reason === "AlreadyExists";
export const isGone = (err: unknown): boolean => err instanceof KubeError && err.status === 410;
/**
 * The API server refused the request itself (400 BadRequest, 403 Forbidden, 413 too large,
 * 422 Invalid): the same request is refused again until something changes.
 */
export const isRefused = (err: unknown): err is KubeError =>
  err instanceof KubeError && [400, 403, 413, 422].includes(err.status);
/** How long the API server asked to wait before trying again (429, or 5xx with Retry-After), in ms. */
export const retryAfterMs = (err: unknown): number | undefined =>
  err instanceof KubeError && err.retryAfterSeconds !== undefined && err.retryAfterSeconds > 0
    ? err.retryAfterSeconds * 1000
    : undefined;

export type Query = Record<string, string | number | boolean | undefined>;

export interface CallOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** No response within this long fails the request (default: the client's). */
  timeoutMs?: number;
}

export interface WatchEvent<T = Record<string, unknown>> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

export interface KubeClient {
  /** The API server's base URL. */
  readonly server: string;
  request<T>(method: string, path: string, options?: CallOptions): Promise<T>;
  /** GET; undefined on 404. */
  get<T>(path: string, query?: Query): Promise<T | undefined>;
  create<T>(path: string, body: unknown): Promise<T>;
  replace<T>(path: string, body: unknown): Promise<T>;
  /** RFC 7386 merge patch (a `metadata.resourceVersion` in it is a precondition). */
  mergePatch<T>(path: string, patch: unknown): Promise<T>;
  /**
   * Streams a watch: calls `onEvent` per line and resolves when the server ends the stream,
   * rejects on a failed request or a broken connection. Abort with `signal`.
   */
  watch(path: string, query: Query, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
  /** Closes idle connections. */
  close(): void;
}

export interface KubeClientOptions {
  userAgent?: string;
  /** Field manager recorded in managedFields for every write. */
  fieldManager?: string;
  timeoutMs?: number;
}

function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function errorFrom(
  status: number,
  text: string,
  method: string,
  path: string,
  retryAfterHeader?: string | string[],
): KubeError {
  let body: KubeStatus | undefined;
  try {
    body = JSON.parse(text) as KubeStatus;
  } catch {
    body = undefined;
  }
  const message = body?.message ?? `${method} ${path}: HTTP ${status}`;
  const header = Number(Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader);
  const retryAfter = body?.details?.retryAfterSeconds ?? (Number.isFinite(header) ? header : undefined);
  return new KubeError(status, body?.reason ?? "Unknown", message, retryAfter);
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const CREDENTIALS_REUSE_MS = 5_000;

export function createKubeClient(kc: KubeConfig, options: KubeClientOptions = {}): KubeClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig: no current cluster");
  const server = cluster.server.replace(/\/+$/, "");
  const secure = server.startsWith("https:");
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 32 })
    : new HttpAgent({ keepAlive: true, maxSockets: 32 });
  const userAgent = options.userAgent ?? "tokenplane-operator";
  const defaultTimeout = options.timeoutMs ?? 30_000;

  /**
   * TLS material and credentials, as client-node computes them (it re-reads token files and
   * runs exec plugins as needed); reused for a few seconds rather than rebuilt per request.
   */
  let cached: { at: number; opts: Promise<RequestOptions> } | undefined;
  function connectionOptions(): Promise<RequestOptions> {
    const now = Date.now();
    if (!cached || now - cached.at > CREDENTIALS_REUSE_MS) {
      const opts: RequestOptions = {};
      const ready = kc.applyToHTTPSOptions(opts).then(() => opts);
      cached = { at: now, opts: ready };
      ready.catch(() => (cached = undefined));
    }
    return cached.opts;
  }

  async function open(
    method: string,
    path: string,
    o: CallOptions,
    stream: boolean,
  ): Promise<IncomingMessage> {
    const auth = await connectionOptions();
    const url = new URL(server + path + queryString(o.query));
    const payload =
      o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    const headers: Record<string, string | number> = {
      ...(auth.headers as Record<string, string>),
      accept: "application/json",
      "user-agent": userAgent,
    };
    if (auth.auth) headers.authorization = `Basic ${Buffer.from(auth.auth).toString("base64")}`;
    if (payload !== undefined) {
      headers["content-type"] = o.contentType ?? "application/json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      let response: IncomingMessage | undefined;
      const req = send(
        url,
        {
          method,
          headers,
          agent,
          ...(secure
            ? {
                ca: auth.ca,
                cert: auth.cert,
                key: auth.key,
                servername: auth.servername,
                ...(auth.rejectUnauthorized === undefined
                  ? {}
                  : { rejectUnauthorized: auth.rejectUnauthorized }),
              }
            : {}),
        },
        (res) => {
          response = res;
          resolve(res);
        },
      );
      // Not http.request's `signal` option: with a keep-alive agent, a response received in
      // full has given its socket back to the pool, and destroying the request then would
      // break whichever request uses the socket next.
      const signal = o.signal;
      if (signal) {
        const onAbort = () => {
          if (!response?.complete) req.destroy(new Error("aborted"));
        };
        if (signal.aborted) onAbort();
        else {
          signal.addEventListener("abort", onAbort, { once: true });
          req.once("close", () => signal.removeEventListener("abort", onAbort));
        }
      }
      const timeoutMs = o.timeoutMs ?? defaultTimeout;
      // Watches are long: their silence is the caller's watchdog's business.
      if (!stream) {
        req.setTimeout(timeoutMs, () =>
          req.destroy(new Error(`${method} ${url.pathname}: no answer within ${timeoutMs} ms`)),
        );
      }
      req.on("error", reject);
      req.end(payload);
    });
  }

  async function request<T>(method: string, path: string, o: CallOptions = {}): Promise<T> {
    const query =
      options.fieldManager && WRITE_METHODS.has(method) && method !== "DELETE"
        ? { fieldManager: options.fieldManager, ...o.query }
        : o.query;
    let res: IncomingMessage;
    let text: string;
    try {
      res = await open(method, path, { ...o, query }, false);
      text = await readBody(res);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      // Connection refused or reset, timeouts: the API server could not be reached.
      throw new KubeError(0, "Unreachable", `${method} ${path}: ${(err as Error).message}`);
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300)
      throw errorFrom(status, text, method, path, res.headers["retry-after"]);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  return {
    server,
    request,
    async get<T>(path: string, query?: Query) {
      try {
        return await request<T>("GET", path, { query });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (path, body) => request("POST", path, { body }),
    replace: (path, body) => request("PUT", path, { body }),
    mergePatch: (path, patch) =>
      request("PATCH", path, { body: patch, contentType: "application/merge-patch+json" }),
    async watch(path, query, onEvent, signal) {
      const res = await open("GET", path, { query: { ...query, watch: true }, signal }, true);
      // Aborting (the watchdog, a stop) destroys the response with an error; the loop below
      // sees it, and nothing else should.
      res.on("error", () => undefined);
      const status = res.statusCode ?? 0;
      if (status !== 200)
        throw errorFrom(status, await readBody(res), "GET", path, res.headers["retry-after"]);
      let buffer = "";
      for await (const chunk of res) {
        buffer += (chunk as Buffer).toString("utf8");
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line !== "") onEvent(JSON.parse(line) as WatchEvent);
        }
      }
      // A connection reset ends the iteration with an error (thrown above); a clean end
      // after a partial line means the stream was cut.
      if (buffer.trim() !== "") throw new Error(`watch ${path}: stream ended mid-event`);
    },
    close: () => agent.destroy(),
  };
}
