import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import proxyaddr from "proxy-addr";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import type { TokenServerApi } from "../api/index.js";
import { type ServerOptions, DEFAULT_DATA_DIR, DEFAULT_PORT } from "./config.js";
import { auditService } from "./domain/audit-service.js";
import { ADMIN_USER, assertAdminToken, bootstrapAdmin } from "./domain/bootstrap.js";
import { systemCaller } from "./domain/caller.js";
import { createAccessPolicy } from "./domain/access-policy.js";
import { createCredentialResolver } from "./domain/credential-resolver.js";
import { createCreditSpender } from "./domain/credit-spender.js";
import { createRateLimits } from "./domain/rate-limits.js";
import { createUsageRecorder } from "./domain/usage-recorder.js";
import { createVerifier } from "./domain/verifier.js";
import { DomainError } from "./domain/errors.js";
import { registryService } from "./domain/registry-service.js";
import { tokenService } from "./domain/token-service.js";
import { userService } from "./domain/user-service.js";
import { createApp } from "./http/app.js";
import { DEFAULT_CONSOLE_DIR } from "./http/console-routes.js";
import { answerClientErrors, refuseWithoutHost } from "./http/client-errors.js";
import { createFastPath } from "./http/fast-path.js";
import { authenticator, revalidator } from "./http/authenticate.js";
import { createMetrics } from "./http/metrics.js";
import { buildOpenApi } from "./http/openapi.js";
import { opsEndpoints } from "./http/routes/ops-routes.js";
import { registryRoutes } from "./http/routes/registry-routes.js";
import { tokenRoutes } from "./http/routes/token-routes.js";
import { userRoutes } from "./http/routes/user-routes.js";
import { inProcessApi } from "./in-process-api.js";
import { createLogger, type Logger } from "./logger.js";
import { loadPeppers } from "./pepper-source.js";
import { startupError } from "./startup-error.js";
import { openStore, type StoreLocation } from "./store/store.js";

export type { ServerOptions } from "./config.js";
export { DEFAULT_DATA_DIR, DEFAULT_PORT, serverOptionsFromEnv } from "./config.js";
export { createLogger, type Logger } from "./logger.js";

export interface RunningServer {
  url: string;
  /** The API in-process, acting as the admin user (audit records name `label`). */
  api(label: string): TokenServerApi;
  port: number;
  /** Only when this start generated the admin token (first start, no TOKENPLANE_ADMIN_TOKEN). */
  generatedAdminToken?: string;
  log: Logger;
  /** Stops accepting requests, ends streams and closes storage. */
  close(): Promise<void>;
}

const VERSION = "0.1.0";
const READY_TIMEOUT_MS = 2000;

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

function storageOf(options: ServerOptions): StoreLocation & { pepperFile?: string } {
  if (options.databaseUrl)
    return { kind: "postgres", url: options.databaseUrl, poolSize: options.databasePoolSize };
  if (options.memory) return { kind: "pglite" };
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  return { kind: "pglite", dataDir: join(dataDir, "pglite"), pepperFile: join(dataDir, "pepper") };
}

/** What a process embedding the server (the operator) adds to its operations endpoints. */
export interface ServerHooks {
  /** A reason the process is not ready yet (e.g. caches not synced), or undefined. */
  readiness?: () => Promise<string | undefined> | string | undefined;
  /** Served on /metrics next to the server's own metrics. */
  metrics?: Registry;
}

export async function startServer(
  options: ServerOptions = {},
  logger?: Logger,
  hooks: ServerHooks = {},
): Promise<RunningServer> {
  // Before anything is opened: a predictable admin token is a configuration error.
  assertAdminToken(options.adminToken);
  const log = logger ?? createLogger({ level: options.logLevel });
  const now = options.now ?? Date.now;
  const storage = storageOf(options);
  const peppers = loadPeppers(options.pepper, storage, log);
  const store = await openStore(storage, log).catch((err: unknown) => {
    throw startupError(err, storage);
  });

  const bootstrap = await bootstrapAdmin(store, peppers, options.adminToken);
  let generatedAdminToken = bootstrap.generated;
  if (!options.adminToken && !generatedAdminToken) {
    // Restarts never show the generated token again: say once how to get admin access back.
    log.info(
      "admin token: the one generated at first start (not shown again); lost it? restart with TOKENPLANE_ADMIN_TOKEN set to a new secret (tokenplane generate-token): it replaces the stored one",
    );
  }
  if (generatedAdminToken && options.adminTokenFile) {
    mkdirSync(dirname(options.adminTokenFile), { recursive: true });
    writeFileSync(options.adminTokenFile, `${generatedAdminToken}\n`, { mode: 0o600 });
    log.info({ file: options.adminTokenFile }, "generated the admin token and wrote it to the file");
    generatedAdminToken = undefined;
  }

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
  const policy = createAccessPolicy(store, log);
  const trustProxy = options.trustProxy ?? false;
  const bodyLimit = options.bodyLimitBytes ?? 64 * 1024;
  const tokens = tokenService(store, peppers, now);
  const users = userService(store);
  const adminUser = await store.users.findByName(ADMIN_USER);
  if (!adminUser) throw new Error("the admin user is missing after bootstrap");
  const routes = [
    ...tokenRoutes(tokens, store, options.heartbeatMs ?? 30_000, revalidator(resolver, store, now)),
    ...userRoutes(users),
    ...registryRoutes(registryService(store), auditService(store)),
  ];
  let openapi: unknown;
  // Probes and scrapes come every few seconds: served on bare node:http with the hot endpoints.
  const ops = opsEndpoints({
    metrics,
    openapi: () => (openapi ??= buildOpenApi([...routes, ...fastPath.endpoints], { version: VERSION })),
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
  const app = createApp({
    routes,
    authenticate: authenticator(resolver, verifier, store),
    log,
    metrics,
    bodyLimit,
    trustProxy,
    secrets: options.adminToken ? [options.adminToken] : [],
    consoleDir: options.console === false ? undefined : (options.consoleDir ?? DEFAULT_CONSOLE_DIR),
  });
  const fastPath = createFastPath({
    verifier,
    policy,
    metrics,
    log,
    now,
    bodyLimit,
    trust: compileTrust(trustProxy),
    more: ops,
  });

  // Node's own Host check answers with a bare 400; refuseWithoutHost answers problem+json.
  const server: Server = createServer({ requireHostHeader: false }, (req, res) => {
    if (refuseWithoutHost(req, res)) return;
    if (!fastPath.serve(req, res)) app(req, res);
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
  log.info({ port, storage: storage.kind }, "token server listening");

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    api: (label) =>
      inProcessApi({ store, tokens, users, verifier, now, caller: systemCaller(adminUser, label) }),
    ...(generatedAdminToken ? { generatedAdminToken } : {}),
    log,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        // Streams (subscribe=true) never finish on their own.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
        await closed;
        resolver.close();
        policy.close();
        await store.close();
        log.info("token server stopped");
      })()),
  };
}
