import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import proxyaddr from "proxy-addr";
import type { Registry } from "prom-client";
import { type ServerOptions, DEFAULT_DATA_DIR, DEFAULT_PORT } from "./config.js";
import { createAccessPolicy } from "./domain/access-policy.js";
import { type CredentialResolver, createCredentialResolver } from "./domain/credential-resolver.js";
import { createCreditSpender } from "./domain/credit-spender.js";
import { DomainError } from "./domain/errors.js";
import type { Peppers } from "./domain/peppers.js";
import { createRateLimits } from "./domain/rate-limits.js";
import { createUsageRecorder } from "./domain/usage-recorder.js";
import { type Verifier, createVerifier } from "./domain/verifier.js";
import { answerClientErrors, refuseWithoutHost } from "./http/client-errors.js";
import type { NodeEndpoint, Route } from "./http/endpoint.js";
import { createFastPath } from "./http/fast-path.js";
import { type Metrics, createMetrics } from "./http/metrics.js";
import { buildOpenApi } from "./http/openapi.js";
import { opsEndpoints } from "./http/routes/ops-routes.js";
import type { Logger } from "./logger.js";
import { loadPeppers } from "./pepper-source.js";
import { startupError } from "./startup-error.js";
import { openStore, type SqlStore, type StoreLocation } from "./store/store.js";

const VERSION = "0.1.0";
const READY_TIMEOUT_MS = 2000;

/** What a process embedding the server (the operator) adds to its operations endpoints. */
export interface ServerHooks {
  /** A reason the process is not ready yet (e.g. caches not synced), or undefined. */
  readiness?: () => Promise<string | undefined> | string | undefined;
  /** Served on /metrics next to the server's own metrics. */
  metrics?: Registry;
}

/** The storage and verification every server role has: what verify and forward auth need. */
export interface DataPlane {
  options: ServerOptions;
  log: Logger;
  now: () => number;
  store: SqlStore;
  peppers: Peppers;
  resolver: CredentialResolver;
  verifier: Verifier;
  metrics: Metrics;
  storageKind: StoreLocation["kind"];
  /** Largest accepted JSON body, in bytes. */
  bodyLimit: number;
  /** `trust proxy` as Express understands it: which hops may set X-Forwarded-For. */
  trustProxy: string | boolean | number;
}

/** The handler for what the data plane does not serve itself, and what it adds to the OpenAPI document. */
export interface Rest {
  handle(req: IncomingMessage, res: ServerResponse): void;
  routes: readonly Route[];
}

export interface Listening {
  url: string;
  port: number;
  /** Stops accepting requests, ends streams and closes storage. */
  close(): Promise<void>;
}

function storageOf(options: ServerOptions): StoreLocation & { pepperFile?: string } {
  if (options.databaseUrl)
    return { kind: "postgres", url: options.databaseUrl, poolSize: options.databasePoolSize };
  if (options.memory) return { kind: "pglite" };
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  return { kind: "pglite", dataDir: join(dataDir, "pglite"), pepperFile: join(dataDir, "pepper") };
}

/** `trust proxy` as Express accepts it, for the fast path's X-Forwarded-For handling. */
function compileTrust(value: string | boolean | number): (address: string, hop: number) => boolean {
  if (value === true) return () => true;
  if (value === false) return () => false;
  if (typeof value === "number") return (_address, hop) => hop < value;
  return proxyaddr.compile(
    value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** Opens storage and builds the verifier. */
export async function openDataPlane(options: ServerOptions, log: Logger): Promise<DataPlane> {
  const now = options.now ?? Date.now;
  const storage = storageOf(options);
  const peppers = loadPeppers(options.pepper, storage, log);
  const store = await openStore(storage, log).catch((err: unknown) => {
    throw startupError(err, storage);
  });
  const resolver = createCredentialResolver(store, peppers, log, { adminToken: options.adminToken, now });
  const metrics = createMetrics({ cacheEntries: () => resolver.cacheSize });
  const verifier = createVerifier({
    resolver,
    store,
    rateLimits: createRateLimits(now),
    credits: createCreditSpender(store),
    usage: createUsageRecorder(store, log),
    now,
    log,
  });
  return {
    options,
    log,
    now,
    store,
    peppers,
    resolver,
    verifier,
    metrics,
    storageKind: storage.kind,
    bodyLimit: options.bodyLimitBytes ?? 64 * 1024,
    trustProxy: options.trustProxy ?? false,
  };
}

/**
 * Serves verify, forward auth and the operations endpoints on bare node:http, and hands
 * every other request to `rest` (the management API and console, or a 404 on a data-plane server).
 */
export async function listen(plane: DataPlane, rest: Rest, hooks: ServerHooks): Promise<Listening> {
  const { options, log, store, metrics } = plane;
  const policy = createAccessPolicy(store, log);
  let openapi: unknown;
  const endpoints: NodeEndpoint[] = [];
  // Probes and scrapes come every few seconds: served on bare node:http with the hot endpoints.
  const ops = opsEndpoints({
    metrics,
    openapi: () => (openapi ??= buildOpenApi([...rest.routes, ...endpoints], { version: VERSION })),
    extraMetrics: hooks.metrics,
    ready: async () => {
      const timeout = new Promise<string>((r) =>
        setTimeout(r, READY_TIMEOUT_MS, "storage did not answer in time").unref(),
      );
      const storage = await Promise.race([
        store.db.ping().then(
          () => undefined,
          // A 503 from storage says what is missing (e.g. the LISTEN connection); anything else is generic.
          (err: unknown) =>
            err instanceof DomainError && err.code === "UNAVAILABLE" ? err.message : "storage is unreachable",
        ),
        timeout,
      ]);
      return storage ?? (await hooks.readiness?.());
    },
  });
  const fastPath = createFastPath({
    verifier: plane.verifier,
    policy,
    metrics,
    log,
    now: plane.now,
    bodyLimit: plane.bodyLimit,
    trust: compileTrust(plane.trustProxy),
    more: ops,
  });
  endpoints.push(...fastPath.endpoints);

  // Node's own Host check answers with a bare 400; refuseWithoutHost answers problem+json.
  const server: Server = createServer({ requireHostHeader: false }, (req, res) => {
    if (refuseWithoutHost(req, res)) return;
    if (!fastPath.serve(req, res)) rest.handle(req, res);
  });
  answerClientErrors(server);
  // Longer than common load-balancer idle timeouts, so they close first.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? "0.0.0.0", () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const host =
    options.host && options.host !== "0.0.0.0" && options.host !== "::" ? options.host : "127.0.0.1";
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        // Streams (subscribe=true) never finish on their own.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
        await closed;
        plane.resolver.close();
        policy.close();
        await store.close();
        log.info("token server stopped");
      })()),
  };
}
