import { KubeConfig } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { beforeEach } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { VerifyResult } from "../../src/api/index.js";
import {
  type ControllerTiming,
  createKubeClient,
  type KubeClient,
  type LeaderElectionTiming,
  OPERATOR_CLUSTER_RULES,
  OPERATOR_NAMESPACE_RULES,
  type OperatorOptions,
  runOperator,
  type RunningOperator,
} from "../../src/operator/index.js";
import { type AccessTokenInput, customResourceDefinitions } from "../../src/crd/index.js";
import { createLogger, type ServerOptions } from "../../src/server/index.js";
import { registerResource } from "./fixtures.js";
import { startKubeApi, type KubeApi, type KubeObject } from "./kube-api/index.js";
import { LogCapture, startTestServer, type TestServer } from "./token-server.js";
import { waitFor } from "./wait.js";

/**
 * The operator's end-to-end environment: a Kubernetes API (the fixture, or the cluster named
 * by TOKENPLANE_TEST_KUBECONFIG), a token server, and the operator running in this process
 * against both. Tests talk to Kubernetes over HTTP like any client; only tests that need the
 * fixture's controls (faults, write counts) reach into it, and those always run on the fixture.
 */

export const REAL_CLUSTER_KUBECONFIG = process.env.TOKENPLANE_TEST_KUBECONFIG || undefined;
export const GROUP_PATH = "/apis/tokenplane.dev/v1alpha1";

export interface KubeTarget {
  kind: "fixture" | "cluster";
  /** An unrestricted client for the test's own reads and writes. */
  admin: KubeClient;
  /** The configuration the operator runs with (the operator's RBAC on the fixture). */
  operatorConfig(): KubeConfig;
  /** Only on the fixture. */
  fixture?: KubeApi;
  close(): Promise<void>;
}

export async function startKubeTarget(opts: { fixture?: boolean } = {}): Promise<KubeTarget> {
  if (REAL_CLUSTER_KUBECONFIG && !opts.fixture) {
    const load = () => {
      const kc = new KubeConfig();
      kc.loadFromFile(REAL_CLUSTER_KUBECONFIG);
      return kc;
    };
    const admin = createKubeClient(load(), { userAgent: "tokenplane-e2e" });
    const crd = await admin.get(
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/accesstokens.tokenplane.dev",
    );
    if (!crd)
      throw new Error(
        `TOKENPLANE_TEST_KUBECONFIG: the cluster has no tokenplane CRDs; install them with ` +
          `npx tokenplane crds | kubectl apply --server-side -f -`,
      );
    return { kind: "cluster", admin, operatorConfig: load, close: async () => admin.close() };
  }
  const fixture = await startKubeApi({
    crds: customResourceDefinitions() as unknown as KubeObject[],
    rbac: { rules: [...OPERATOR_CLUSTER_RULES, ...OPERATOR_NAMESPACE_RULES] },
    bookmarkIntervalMs: 250,
  });
  const admin = createKubeClient(fixture.kubeConfig({ admin: true }), { userAgent: "tokenplane-e2e" });
  return {
    kind: "fixture",
    admin,
    operatorConfig: () => fixture.kubeConfig(),
    fixture,
    close: async () => {
      admin.close();
      await fixture.close();
    },
  };
}

/** Short intervals, so rotation, retries and leader changes happen in seconds. */
export function fastTiming(kind: KubeTarget["kind"]): Partial<ControllerTiming> {
  return {
    resyncMs: 5_000,
    backoffBaseMs: 100,
    backoffMaxMs: 1_500,
    expectationsTtlMs: 5_000,
    credentialsTtlMs: 2_000,
    streamBackoffBaseMs: 100,
    streamBackoffMaxMs: 1_000,
    informer:
      kind === "fixture"
        ? { silenceMs: 1_500, watchTimeoutSeconds: 30, backoffBaseMs: 100, backoffMaxMs: 1_000 }
        : { silenceMs: 90_000, watchTimeoutSeconds: 60, backoffBaseMs: 200, backoffMaxMs: 2_000 },
  };
}

export const FAST_LEASE: Partial<LeaderElectionTiming> = {
  leaseDurationMs: 2_000,
  renewDeadlineMs: 1_500,
  retryPeriodMs: 250,
};

export interface SecretView {
  raw: KubeObject & { data?: Record<string, string>; type?: string };
  data: Record<string, string>;
  token: string;
  tokenId: string;
  expiresAt: string | undefined;
}

export interface AccessTokenView extends KubeObject {
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: {
      type: string;
      status: string;
      reason: string;
      message: string;
      observedGeneration?: number;
    }[];
    tokenId?: string;
    secretName?: string;
    issuedAt?: string;
    expiresAt?: string;
    renewalTime?: string;
    revision?: number;
    lastRotationReason?: string;
    lastRotateAnnotation?: string;
  };
}

export interface OperatorEnv {
  target: KubeTarget;
  kube: KubeClient;
  namespace: string;
  server: TestServer;
  operator: RunningOperator;
  logs: LogCapture;
  /** Shifts the token server's clock (e.g. past a grace period). */
  advanceServerClock(ms: number): void;
  startOperator(extra?: Partial<OperatorOptions>): Promise<RunningOperator>;
  apply(
    name: string,
    spec: Record<string, unknown>,
    meta?: { annotations?: Record<string, string> },
  ): Promise<AccessTokenView>;
  patch(name: string, patch: Record<string, unknown>): Promise<AccessTokenView>;
  get(name: string): Promise<AccessTokenView | undefined>;
  remove(name: string): Promise<void>;
  /** Waits until Ready=True for the current generation (and `check`, if given, holds). */
  ready(name: string, check?: (at: AccessTokenView) => boolean, timeoutMs?: number): Promise<AccessTokenView>;
  condition(name: string, type: string, status: string, reason?: string): Promise<AccessTokenView>;
  secret(name: string): Promise<SecretView | undefined>;
  verify(token: string, permission?: string): Promise<VerifyResult>;
  events(name: string): Promise<{ reason: string; type: string; message: string }[]>;
  path(resource: string, name?: string, subresource?: string): string;
  close(): Promise<void>;
}

const decode = (v: string | undefined) =>
  v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8");

export function readyCondition(at: AccessTokenView | undefined) {
  return at?.status?.conditions?.find((c) => c.type === "Ready");
}

/** Starts everything; `namespace` gets a unique suffix so runs on a shared cluster never collide. */
export async function startOperatorEnv(
  opts: {
    name: string;
    fixture?: boolean;
    target?: KubeTarget;
    server?: Partial<ServerOptions>;
    operator?: Partial<OperatorOptions>;
    namespaceLabels?: Record<string, string>;
  } = { name: "e2e" },
): Promise<OperatorEnv> {
  const target = opts.target ?? (await startKubeTarget({ fixture: opts.fixture }));
  const kube = target.admin;
  const namespace = `tp-${opts.name}-${randomBytes(3).toString("hex")}`;
  await kube.create("/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: namespace, labels: opts.namespaceLabels ?? {} },
  });
  let clockOffset = 0;
  const server = await startTestServer("pglite", { now: () => Date.now() + clockOffset, ...opts.server });
  await registerResource(server, "orders");
  await registerResource(server, "articles");
  const logs = new LogCapture();
  const log = createLogger({ level: "debug", destination: logs });
  const operators: RunningOperator[] = [];

  const path = (resource: string, name?: string, subresource?: string) => {
    const base =
      resource === "secrets" || resource === "events"
        ? `/api/v1`
        : resource.endsWith(".apps")
          ? "/apis/apps/v1"
          : GROUP_PATH;
    const plural = resource.replace(/\.apps$/, "");
    return `${base}/namespaces/${namespace}/${plural}${name ? `/${name}` : ""}${subresource ? `/${subresource}` : ""}`;
  };

  const startOperator = async (extra: Partial<OperatorOptions> = {}) => {
    const op = await runOperator({
      kubeConfig: target.operatorConfig(),
      namespace,
      tokenServer: { attached: server.server },
      leaderElection: { namespace, timing: FAST_LEASE },
      timing: fastTiming(target.kind),
      log,
      workers: 4,
      ...opts.operator,
      ...extra,
    });
    operators.push(op);
    return op;
  };
  const operator = await startOperator();

  const get = (name: string) => kube.get<AccessTokenView>(path("accesstokens", name));
  const env: OperatorEnv = {
    target,
    kube,
    namespace,
    server,
    operator,
    logs,
    advanceServerClock: (ms) => {
      clockOffset += ms;
    },
    startOperator,
    apply: (name, spec, meta = {}) =>
      kube.create<AccessTokenView>(path("accesstokens"), {
        apiVersion: "tokenplane.dev/v1alpha1",
        kind: "AccessToken",
        metadata: { name, namespace, ...meta },
        spec,
      } satisfies AccessTokenInput),
    patch: (name, patch) => kube.mergePatch<AccessTokenView>(path("accesstokens", name), patch),
    get,
    remove: async (name) => {
      await kube.request("DELETE", path("accesstokens", name)).catch(() => undefined);
      await waitFor(async () => (await get(name)) === undefined, { what: `AccessToken ${name} to be gone` });
    },
    ready: (name, check, timeoutMs = 15_000) =>
      waitFor(
        async () => {
          const at = await get(name);
          const ready = readyCondition(at);
          return (
            ready?.status === "True" &&
            at?.status?.observedGeneration === at?.metadata.generation &&
            (!check || check(at as AccessTokenView)) &&
            at
          );
        },
        { timeoutMs, what: `AccessToken ${name} to be Ready` },
      ),
    condition: (name, type, status, reason) =>
      waitFor(
        async () => {
          const at = await get(name);
          const c = at?.status?.conditions?.find((x) => x.type === type);
          return c?.status === status && (!reason || c.reason === reason) && at;
        },
        { timeoutMs: 15_000, what: `AccessToken ${name} ${type}=${status} ${reason ?? ""}` },
      ),
    async secret(name) {
      const raw = await kube.get<SecretView["raw"]>(path("secrets", name));
      if (!raw) return undefined;
      const data = Object.fromEntries(
        Object.entries(raw.data ?? {}).map(([k, v]) => [k, decode(v) as string]),
      );
      return {
        raw,
        data,
        token: data.token ?? "",
        tokenId: data["token-id"] ?? "",
        expiresAt: data["expires-at"],
      };
    },
    verify: (token, permission) =>
      server.server.api("e2e").verify({ token, ...(permission ? { permission } : {}) }),
    async events(name) {
      const list = await kube.request<{
        items: { involvedObject: { name: string }; reason: string; type: string; message: string }[];
      }>("GET", path("events"));
      return list.items.filter((e) => e.involvedObject.name === name);
    },
    path,
    async close() {
      // Delete what the tests left while an operator still runs, so finalizers are honoured.
      const list = async () =>
        (
          await kube
            .request<{ items: KubeObject[] }>("GET", path("accesstokens"))
            .catch(() => ({ items: [] }))
        ).items;
      for (const at of await list())
        await kube.request("DELETE", path("accesstokens", at.metadata.name)).catch(() => {});
      const gone = await waitFor(async () => (await list()).length === 0, { timeoutMs: 5_000 }).catch(
        () => false,
      );
      if (!gone) {
        // Some could not be revoked (a test broke their server on purpose): let them go.
        for (const at of await list())
          await kube
            .mergePatch(path("accesstokens", at.metadata.name), { metadata: { finalizers: null } })
            .catch(() => undefined);
      }
      for (const op of operators) await op.stop();
      if (target.kind === "cluster") {
        await kube.request("DELETE", `/api/v1/namespaces/${namespace}`).catch(() => undefined);
        // The registration of this environment's embedded server, unless another run replaced it.
        const embedded = await kube.get<{ spec?: { url?: string } }>(
          `${GROUP_PATH}/clustertokenservers/embedded`,
        );
        if (embedded?.spec?.url === server.url)
          await kube.request("DELETE", `${GROUP_PATH}/clustertokenservers/embedded`).catch(() => undefined);
      }
      await server.close();
      if (!opts.target) await target.close();
      // For debugging: TOKENPLANE_TEST_OPERATOR_LOGS=dir keeps each environment's operator log.
      const dir = process.env.TOKENPLANE_TEST_OPERATOR_LOGS;
      if (dir) writeFileSync(join(dir, `${namespace}.log`), logs.text);
    },
  };
  return env;
}

/** A unique name for cluster-scoped objects (ClusterTokenServers) on a shared cluster. */
export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(3).toString("hex")}`;

/**
 * Prints the operator's log (the logger scrubs tokens; e2e-tokens checks) when a test of the
 * calling file fails, so a failure that shows only under a loaded CI run says which reconcile
 * did what.
 */
export function printLogOnFailure(env: () => OperatorEnv | undefined): void {
  beforeEach(({ onTestFailed }) => {
    onTestFailed(({ task }) => {
      const text = env()?.logs.text ?? "";
      process.stderr.write(`operator log for "${task.name}":\n${text.split("\n").slice(-200).join("\n")}\n`);
    });
  });
}
