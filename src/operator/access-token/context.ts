import type { Logger } from "pino";
import type { AccessToken, ResolvedAccessTokenSpec } from "../../crd/index.js";
import type { Failure } from "../failures.js";
import type { KubeClient } from "../kube/client.js";
import type { KubeObject, Secret } from "../kube/objects.js";
import type { OperatorMetrics } from "../metrics.js";
import type { EventRecorder } from "../runtime/events.js";
import type { Expectations } from "../runtime/expectations.js";
import type { Informer } from "../runtime/informer.js";
import type { AccessTokenRef, Issuance, SecretState } from "../secret-contract.js";
import type { ResolvedServer, ServerRegistry } from "../server-registry.js";
import type { TokenStreams } from "../token-streams.js";
import type { UserDirectory } from "../users.js";

/** Test seams: pause at a step, e.g. to crash between creating a token and writing its Secret. */
export interface ReconcileHooks {
  /** Called with the AccessToken key after a token value was issued, before the Secret is written. */
  beforeSecretWrite?: (key: string) => Promise<void>;
}

/** What the AccessToken reconcile and each of its steps are given. */
export interface ReconcilerDeps {
  client: KubeClient;
  accessTokens: Informer<KubeObject>;
  secrets: Informer<Secret>;
  servers: ServerRegistry;
  users: UserDirectory;
  events: EventRecorder;
  expectations: Expectations;
  metrics: OperatorMetrics;
  streams: TokenStreams;
  /** Latest token revision the operator has seen per token id (to skip its own stream events). */
  revisions: Map<string, number>;
  /** Queue the AccessToken with this key again (something changed while writing it). */
  requeue: (key: string) => void;
  log: Logger;
  now: () => number;
  hooks: ReconcileHooks;
}

export type Outcome =
  | { kind: "done"; requeueAfterMs?: number; ready: boolean; renewalAt?: number }
  /** Waiting for the caches to show the operator's own last write; the watch event re-queues. */
  | { kind: "waiting" }
  | { kind: "failed"; failure: Failure; requeueAfterMs?: number };

/** One AccessToken whose spec parsed, as one reconcile sees it. */
export interface AccessTokenCase {
  /** The cache key, `namespace/name`. */
  key: string;
  /** The object as last read or written (after adding the finalizer). */
  raw: KubeObject;
  at: AccessToken;
  spec: ResolvedAccessTokenSpec;
  ref: AccessTokenRef;
  secretState: SecretState;
  /** The Secret as classified, when it may be written (this AccessToken's own, or adoptable). */
  secret: Secret | undefined;
  /** What the Secret records, when it is this AccessToken's own. */
  issuance: Issuance | undefined;
  /** The reconcile's clock reading: every decision in it uses the same one. */
  now: number;
}

/** The server user owning the namespace's tokens on `server`. */
export function serverUserId(d: ReconcilerDeps, server: ResolvedServer, namespace: string): Promise<string> {
  return d.users.userId(`${server.key}|${server.identity}`, server.api, namespace);
}
