import type { Logger } from "pino";
import {
  EMBEDDED_SERVER_NAME,
  formatFieldError,
  parseClusterTokenServer,
  parseTokenServer,
  type TokenServerStatus,
} from "../crd/index.js";
import { canonical } from "./canonical.js";
import { setCondition } from "./conditions.js";
import type { EventRecorder } from "./runtime/events.js";
import { classifyFailure } from "./failures.js";
import { isNotFound, type KubeClient } from "./kube/client.js";
import type { Informer } from "./runtime/informer.js";
import type { KubeObject } from "./kube/objects.js";
import { CLUSTER_TOKEN_SERVERS, resourcePath, TOKEN_SERVERS } from "./kube/resources.js";
import { ServerProblem, type ServerRegistry } from "./server-registry.js";

export interface ServerStatusDeps {
  client: KubeClient;
  tokenServers: Informer<KubeObject>;
  clusterTokenServers: Informer<KubeObject>;
  servers: ServerRegistry;
  events: EventRecorder;
  log: Logger;
  now: () => number;
  version: string;
}

/**
 * Keeps each TokenServer's and ClusterTokenServer's Ready condition current: the server
 * answers and accepts the credentials (checked on every change and every resync).
 */
export class ServerStatusReconciler {
  constructor(private readonly d: ServerStatusDeps) {}

  /** `kind` is TokenServer or ClusterTokenServer; `key` the object's cache key. */
  async reconcile(kind: "TokenServer" | "ClusterTokenServer", key: string): Promise<void> {
    const d = this.d;
    const informer = kind === "TokenServer" ? d.tokenServers : d.clusterTokenServers;
    const obj = informer.get(key);
    if (!obj || obj.metadata.deletionTimestamp) return;
    const ns = obj.metadata.namespace;
    const parsed = kind === "TokenServer" ? parseTokenServer(obj) : parseClusterTokenServer(obj);
    let ready: { status: "True" | "False"; reason: string; message: string };
    let version: string | undefined;
    if (!parsed.ok) {
      ready = {
        status: "False",
        reason: "InvalidSpec",
        message: parsed.errors.map(formatFieldError).join("; "),
      };
    } else if (
      kind === "ClusterTokenServer" &&
      obj.metadata.name === EMBEDDED_SERVER_NAME &&
      d.servers.hasEmbedded
    ) {
      ready = {
        status: "True",
        reason: "Embedded",
        message: "the operator's embedded token server, used in-process",
      };
      version = d.version;
    } else {
      try {
        // Any namespace will do for a ClusterTokenServer's health: skip the namespace policy.
        const server = await d.servers.resolve({ kind, name: obj.metadata.name }, ns ?? "default", {
          forRevoke: true,
        });
        await server.api.ready();
        ready = {
          status: "True",
          reason: "Connected",
          message: "the server answers and accepts the credentials",
        };
      } catch (err) {
        const failure =
          err instanceof ServerProblem ? { reason: err.reason, message: err.message } : classifyFailure(err);
        ready = { status: "False", reason: failure.reason, message: failure.message };
      }
    }
    const previous = (obj.status ?? {}) as TokenServerStatus;
    const next: TokenServerStatus = {
      observedGeneration: obj.metadata.generation,
      conditions: setCondition(
        previous.conditions ?? [],
        { type: "Ready", ...ready },
        obj.metadata.generation,
        d.now(),
      ),
      ...(version ? { version } : {}),
    };
    if (canonical(previous) === canonical(next)) return;
    const wasReady = previous.conditions?.find((c) => c.type === "Ready")?.status;
    if (ready.status === "False" && wasReady !== "False")
      d.events.record(obj, "Warning", ready.reason, ready.message);
    const patch: Record<string, unknown> = { ...next };
    for (const field of Object.keys(previous)) if (!(field in next)) patch[field] = null;
    const resource = kind === "TokenServer" ? TOKEN_SERVERS : CLUSTER_TOKEN_SERVERS;
    try {
      await d.client.mergePatch(
        resourcePath(resource, { namespace: ns, name: obj.metadata.name, subresource: "status" }),
        { status: patch },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
