import type { KubeConfig } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Registry } from "prom-client";
import {
  createLogger,
  DEFAULT_PORT,
  type Logger,
  type RunningServer,
  type ServerOptions,
  startServer,
} from "../server/index.js";
import type { ReconcileHooks } from "./access-token/context.js";
import { Controller, type ControllerTiming, DEFAULT_CONTROLLER_TIMING } from "./controller.js";
import type { EmbeddedRegistration } from "./embedded-registration.js";
import { createKubeClient } from "./kube/client.js";
import { LeaderElector, type LeaderElectionTiming } from "./runtime/leader-election.js";
import { createOperatorMetrics } from "./metrics.js";
import { type OpsServer, startOpsServer } from "./ops-server.js";

import { DEFAULT_ADMIN_SECRET, DEFAULT_LEADER_ELECTION_ID } from "../core/index.js";

export const OPERATOR_VERSION = "0.1.0";
export { DEFAULT_ADMIN_SECRET, DEFAULT_LEADER_ELECTION_ID } from "../core/index.js";

export type TokenServerMode =
  /** Start the embedded token server with these options (the default). */
  | { embedded: ServerOptions }
  /** Use an embedded server the caller started (tests; several operators sharing one database). */
  | { attached: RunningServer }
  /** No embedded server: only remote TokenServers; /healthz, /readyz, /metrics on this port. */
  | { none: { port?: number; host?: string } };

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** Watch only this namespace; all when undefined. */
  namespace?: string;
  tokenServer?: TokenServerMode;
  leaderElection?: {
    namespace?: string;
    id?: string;
    /** Default: hostname plus a random suffix. */
    identity?: string;
    timing?: Partial<LeaderElectionTiming>;
  };
  /** Names this cluster on shared token servers; default: the kube-system namespace's UID. */
  clusterName?: string;
  /** How the embedded server is registered as ClusterTokenServer `embedded` (url: given the port it listens on). */
  embeddedRegistration?: {
    url?: string | ((port: number) => string);
    credentialsSecretRef?: EmbeddedRegistration["credentialsSecretRef"];
  };
  log?: Logger;
  timing?: Partial<ControllerTiming>;
  /** Concurrent reconciles (default 8). */
  workers?: number;
  now?: () => number;
  hooks?: ReconcileHooks;
}

export interface RunningOperator {
  /** Base URL of the port serving /healthz, /readyz, /metrics (and the token API when embedded). */
  url: string | undefined;
  server: RunningServer | undefined;
  metrics: Registry;
  identity: string;
  isLeader(): boolean;
  /** Why the operator is not ready, or undefined when it is. */
  readiness(): string | undefined;
  /** Graceful: drains in-flight reconciles, releases the Lease, stops the server. */
  stop(): Promise<void>;
  /** As a crash would: stops at once, in-flight work abandoned, Lease not released (tests). */
  kill(): Promise<void>;
}

function embeddedUrl(url: string | ((port: number) => string) | undefined, server: RunningServer): string {
  if (typeof url === "function") return url(server.port);
  return url ?? server.url;
}

export function defaultIdentity(): string {
  return process.env.POD_NAME || `${hostname()}_${randomBytes(4).toString("hex")}`;
}

/**
 * Runs the operator: the caches (every replica), leader election, and while leading the
 * reconcilers; with the embedded token server on the same port as the operations endpoints.
 */
export async function runOperator(options: OperatorOptions): Promise<RunningOperator> {
  const mode: TokenServerMode = options.tokenServer ?? { embedded: {} };
  const log = (options.log ?? createLogger({})).child({ component: "operator" });
  const identity = options.leaderElection?.identity ?? defaultIdentity();
  const client = createKubeClient(options.kubeConfig, {
    userAgent: `tokenplane-operator/${OPERATOR_VERSION}`,
    fieldManager: "tokenplane-operator",
  });
  const metrics = createOperatorMetrics();
  // The server starts first (its readiness asks the controller, which needs the server's API).
  const late: { controller?: Controller } = {};
  const readiness = () => (late.controller ? late.controller.readiness() : "starting");

  let server: RunningServer | undefined;
  let ownsServer = false;
  let ops: OpsServer | undefined;
  if ("embedded" in mode) {
    server = await startServer(mode.embedded, options.log, { readiness, metrics: metrics.registry });
    ownsServer = true;
  } else if ("attached" in mode) {
    server = mode.attached;
  } else {
    ops = await startOpsServer({
      port: mode.none.port ?? DEFAULT_PORT,
      host: mode.none.host ?? "0.0.0.0",
      readiness,
      metrics: metrics.registry,
    });
    log.info({ port: ops.port }, "no embedded token server; /healthz, /readyz and /metrics listening");
  }

  const leaseNamespace = options.leaderElection?.namespace ?? "default";
  const ctl = new Controller({
    client,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(server ? { embedded: server.api("tokenplane-operator") } : {}),
    ...(server
      ? {
          embeddedRegistration: {
            url: embeddedUrl(options.embeddedRegistration?.url, server),
            credentialsSecretRef: options.embeddedRegistration?.credentialsSecretRef ?? {
              namespace: leaseNamespace,
              ...DEFAULT_ADMIN_SECRET,
            },
          },
        }
      : {}),
    ...(options.clusterName ? { clusterName: options.clusterName } : {}),
    identity,
    log,
    metrics,
    now: options.now ?? Date.now,
    timing: { ...DEFAULT_CONTROLLER_TIMING, ...options.timing },
    workers: options.workers ?? 8,
    hooks: options.hooks ?? {},
    version: OPERATOR_VERSION,
  });
  late.controller = ctl;
  ctl.start();

  const elector = new LeaderElector({
    client,
    namespace: leaseNamespace,
    name: options.leaderElection?.id ?? DEFAULT_LEADER_ELECTION_ID,
    identity,
    log,
    failures: ctl.apiFailures,
    ...(options.leaderElection?.timing ? { timing: options.leaderElection.timing } : {}),
    onStartedLeading: () => ctl.startLeading(),
    onStoppedLeading: () => ctl.stopLeading(),
  });
  elector.start();
  log.info(
    { identity, namespace: options.namespace ?? "(all)", lease: `${leaseNamespace}` },
    "operator started",
  );

  let stopping: Promise<void> | undefined;
  const shutdown = async () => {
    await ctl.stop();
    if (ownsServer) await server?.close();
    await ops?.close();
    client.close();
  };
  return {
    url: server?.url ?? ops?.url,
    server,
    metrics: metrics.registry,
    identity,
    isLeader: () => elector.isLeader && ctl.leading,
    readiness: () => ctl.readiness(),
    stop: () =>
      (stopping ??= (async () => {
        log.info("stopping: draining in-flight reconciles");
        await elector.stop();
        await shutdown();
        log.info("operator stopped");
      })()),
    kill: () =>
      (stopping ??= (async () => {
        await elector.abandon();
        await ctl.abandon();
        if (ownsServer) await server?.close();
        await ops?.close();
        client.close();
      })()),
  };
}
