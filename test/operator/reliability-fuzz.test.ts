import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessToken as ServerToken, Page } from "../../src/api/index.js";
import { serverUserName } from "../../src/operator/index.js";
import {
  accessTokenStatusSchema,
  formatPath,
  parseAccessToken,
  parseClusterTokenServer,
  parseTokenServer,
} from "../../src/crd/index.js";
import type { Outcome } from "../../src/operator/access-token/context.js";
import { Informer, type Change } from "../../src/operator/runtime/informer.js";
import type { KubeClient, WatchEvent } from "../../src/operator/kube/client.js";
import type { KubeObject, Secret } from "../../src/operator/kube/objects.js";
import { ACCESS_TOKENS } from "../../src/operator/kube/resources.js";
import { classifySecret, fingerprint, SECRET_ANNOTATIONS } from "../../src/operator/secret-contract.js";
import { createLogger } from "../../src/server/index.js";
import { registerResource } from "../support/fixtures.js";
import {
  accessTokenArb,
  credentialsValue,
  dnsName,
  junk,
  junkUnlike,
  pathsIn,
  getAt,
  secretEdit,
  setAt,
  specArb,
  type AccessTokenCase,
} from "../support/operator-arbitraries.js";
import { createHarness, type Harness } from "../support/reconcile-harness.js";
import { fuzzSeed } from "../support/fuzz-seed.js";
import { LogCapture, startTestServer, type TestServer } from "../support/token-server.js";
import { TokenServerTap } from "../support/token-server-faults.js";
import { waitFor } from "../support/wait.js";

/*
 * Garbage in, conditions out: thousands of random and malformed AccessTokens, TokenServers,
 * ClusterTokenServers and Secrets handed to the operator exactly where objects read from the
 * Kubernetes API enter it — the caches the reconcilers read, and the informer that fills them —
 * with a real token server behind. No throw escapes, nothing is left unhandled, every write is
 * one the API server accepts, every refusal becomes a condition or event naming what was wrong,
 * and no token value appears anywhere but in a Secret.
 *
 * Seeded (test/support/fuzz-seed.ts): TOKENPLANE_FUZZ_SEED=<seed> (and TOKENPLANE_FUZZ_PATH=<path>
 * from a failure report) replays a run.
 */

const SEED = fuzzSeed();
const PATH = process.env.TOKENPLANE_FUZZ_PATH;
const params = (numRuns: number) => ({
  numRuns,
  seed: SEED,
  ...(PATH ? { path: PATH } : {}),
  endOnFailure: true,
});

const NS = "fuzz";
const CLUSTER = "fuzz-cluster";

let server: TestServer;
let tap: TokenServerTap;
let h: Harness;
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);
/** Every AccessToken a property made, by uid: whether it still exists, and its deletion policy. */
const made = new Map<string, { key: string; policy: string }>();
const failureMessages: string[] = [];
let uidCounter = 0;
const nextUid = () => `00000000-0000-4000-8000-${String(++uidCounter).padStart(12, "0")}`;
let nameCounter = 0;

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  process.on("uncaughtException", onUnhandled);
  server = await startTestServer("pglite");
  await registerResource(server, "orders");
  await registerResource(server, "articles");
  tap = new TokenServerTap();
  h = createHarness({ embedded: tap.wrap(server.server.api("fuzz")), cluster: CLUSTER });
  const { kube } = h;
  kube.put("namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NS, labels: { team: "a" } },
  });
  kube.put("secrets", {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "creds", namespace: NS },
    data: { token: Buffer.from(server.adminToken).toString("base64") },
  });
  const ts = (name: string, spec: unknown) =>
    kube.put("tokenservers", {
      apiVersion: "tokenplane.dev/v1alpha1",
      kind: "TokenServer",
      metadata: { name, namespace: NS, uid: `ts-${name}`, generation: 1, resourceVersion: "1" },
      spec,
    });
  ts("remote", { url: server.url, credentialsSecretRef: { name: "creds" } });
  ts("broken", { url: "ftp://nowhere", credentialsSecretRef: { name: 7 } });
  ts("unreachable", { url: "http://127.0.0.1:1", credentialsSecretRef: { name: "creds" } });
  kube.put("clustertokenservers", {
    apiVersion: "tokenplane.dev/v1alpha1",
    kind: "ClusterTokenServer",
    metadata: { name: "elsewhere", uid: "cts-elsewhere", generation: 1, resourceVersion: "1" },
    spec: {
      url: server.url,
      credentialsSecretRef: { namespace: NS, name: "creds" },
      allowedNamespaces: { matchLabels: { tokens: "yes" } },
    },
  });
});

afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  process.off("uncaughtException", onUnhandled);
  await server?.close();
});

const isSecretWrite = (c: { method: string; path: string }) =>
  c.method !== "GET" && /\/secrets(\/|$)/.test(c.path);
const isRollout = (c: { path: string }) => /\/apis\/apps\//.test(c.path);

const readyOf = (obj: KubeObject | undefined) =>
  (
    (
      obj?.status as {
        conditions?: {
          type: string;
          status: string;
          reason: string;
          message: string;
          observedGeneration?: number;
        }[];
      }
    )?.conditions ?? []
  ).find((c) => c.type === "Ready");

/** Reconciles until nothing changes (at most four rounds); every round must resolve. */
async function settle(key: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let round = 0; round < 4; round++) {
    const before = h.kube.calls.length;
    const outcome = await h.accessTokens.reconcile(key);
    await h.events.flush();
    outcomes.push(outcome);
    if (outcome.kind === "failed") failureMessages.push(outcome.failure.message);
    const wrote = h.kube.calls
      .slice(before)
      .some(
        (c) =>
          c.method !== "GET" && c.status < 400 && !c.path.includes("/events") && c.query?.dryRun !== "All",
      );
    if (outcome.kind !== "done" || !wrote) break;
  }
  return outcomes;
}

/** The writes since `start` the API server refused, other than Secret writes and rollout restarts. */
function refusedWrites(start: number) {
  return h.kube.calls
    .slice(start)
    .filter((c) => c.method !== "GET" && c.status >= 400 && !isSecretWrite(c) && !isRollout(c));
}

function statusMessagesWritten(start: number, name: string): { reason: string; message: string }[] {
  return h.kube.calls
    .slice(start)
    .filter((c) => c.method === "PATCH" && c.path.endsWith(`/accesstokens/${name}/status`) && c.status < 400)
    .flatMap((c) => {
      const conditions = ((c.body as { status?: { conditions?: unknown } }).status?.conditions ?? []) as {
        type: string;
        reason: string;
        message: string;
      }[];
      return conditions.filter((x) => x.type === "Ready");
    });
}

/** Checks what the operator left for one AccessToken after reconciling it to rest. */
async function checkAccessToken(name: string, start: number, c: AccessTokenCase, outcomes: Outcome[]) {
  const { kube } = h;
  expect(refusedWrites(start)).toEqual([]);
  const original = c.object as unknown as KubeObject;
  const at = kube.object("accesstokens", NS, name);
  const deleting = Boolean(original.metadata.deletionTimestamp);
  if (deleting) {
    const last = outcomes.at(-1)!;
    // Deleted (finalizer removed), or still waiting for its token to be revoked, saying why.
    if (at) {
      const finalizers = at.metadata.finalizers ?? [];
      if (finalizers.includes("tokenplane.dev/revoke")) {
        expect(last.kind).toBe("failed");
        expect(
          h.kube.all<KubeObject & { reason: string }>("events").some((e) => e.reason === "RevokeFailed"),
        ).toBe(true);
      }
    }
    return;
  }
  expect(at).toBeDefined();
  const ready = readyOf(at);
  const why = () =>
    JSON.stringify({
      object: c.object,
      outcomes,
      calls: h.kube.calls.slice(start).map((x) => ({ ...x, body: undefined })),
    }).slice(0, 4000);
  expect(ready, `a Ready condition: ${why()}`).toBeDefined();
  expect(ready!.reason).toMatch(/^[A-Z][A-Za-z]+$/);
  expect(ready!.message.length).toBeGreaterThan(0);
  expect(ready!.observedGeneration).toBe(at!.metadata.generation);
  expect(accessTokenStatusSchema.safeParse(at!.status).success).toBe(true);

  // Garbage of the wrong type in a field: the condition names that field. (Garbage in the
  // status is not a refusal: the operator rewrites its own record.)
  if (c.garbageAt && c.garbageAt[0] !== "status" && !parseAccessToken(c.object).ok) {
    const written = statusMessagesWritten(start, name).filter((x) => x.reason === "InvalidSpec");
    const path = formatPath(c.garbageAt);
    expect(
      written.some((x) => x.message.includes(path)),
      `an InvalidSpec condition naming ${path}, got ${JSON.stringify(written).slice(0, 1000)}`,
    ).toBe(true);
  }

  const last = outcomes.at(-1)!;
  if (last.kind === "failed" && !last.failure.kubernetes) {
    const events = kube.all<KubeObject & { reason: string; type: string; involvedObject: { name: string } }>(
      "events",
    );
    expect(
      events.some(
        (e) => e.involvedObject.name === name && e.type === "Warning" && e.reason === last.failure.reason,
      ),
    ).toBe(true);
  }
  if (ready!.status === "True") {
    const status = at!.status as { tokenId: string; secretName: string };
    const secret = kube.object<Secret>("secrets", NS, status.secretName);
    expect(secret?.metadata.annotations?.[SECRET_ANNOTATIONS.tokenId]).toBe(status.tokenId);
    const values = Object.values(secret!.data ?? {}).map((v) => Buffer.from(v, "base64").toString("utf8"));
    const token = values.find(
      (v) => fingerprint(v) === secret?.metadata.annotations?.[SECRET_ANNOTATIONS.fingerprint],
    );
    expect(token).toBeDefined();
    // Remote servers issue over HTTP, past the tap: their tokens join the ones never to be seen elsewhere.
    tap.issued.add(token!);
    const verdict = await server.server.api("check").verify({ token: token! });
    // A live token of this AccessToken (whatever its limits say about this particular request).
    expect(["NOT_FOUND", "EXPIRED"]).not.toContain(verdict.code);
    expect(verdict.tokenId).toBe(status.tokenId);
  }
}

function place(c: AccessTokenCase): { name: string; key: string } {
  const meta = (c.object.metadata ?? {}) as { name: string; uid: string };
  // Unique names, so cases never meet (the generator's names repeat).
  const name = `${meta.name.slice(0, 240)}-${(++nameCounter).toString(36)}`;
  c.object = setAt(c.object, ["metadata", "name"], name) as Record<string, unknown>;
  const spec = c.object.spec as { deletionPolicy?: unknown } | undefined;
  made.set(meta.uid, {
    key: `${NS}/${name}`,
    policy: spec?.deletionPolicy === "Retain" ? "Retain" : "Revoke",
  });
  h.kube.put("accesstokens", c.object as unknown as KubeObject);
  return { name, key: `${NS}/${name}` };
}

describe("AccessTokens as the cache hands them over", () => {
  it("random and malformed objects: no throw, valid writes only, every refusal a condition naming the field", async () => {
    const counts: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(accessTokenArb(NS, nextUid), async (c) => {
        const start = h.kube.calls.length;
        const { name, key } = place(c);
        const outcomes = await settle(key);
        const last = outcomes.at(-1)!;
        const reason = last.kind === "failed" ? last.failure.reason : last.kind;
        counts[reason] = (counts[reason] ?? 0) + 1;
        await checkAccessToken(name, start, c, outcomes);
      }),
      params(1200),
    );
    // The generator reaches issuing, refusing, and the token server saying no; nothing waits
    // for a write the caches have already shown.
    expect(counts.done).toBeGreaterThan(100);
    expect(counts.KubernetesRejected).toBeGreaterThan(0);
    expect((counts.ServerRejected ?? 0) + (counts.ResourceNotRegistered ?? 0)).toBeGreaterThan(0);
    expect(counts.waiting).toBeUndefined();
    console.log(`AccessToken outcomes (seed ${SEED}):`, counts);
  }, 120_000);

  it("Secrets edited behind the operator's back: repaired, or a SecretConflict naming the Secret; then deleted cleanly", async () => {
    const counts: Record<string, number> = {};
    const arb = fc.tuple(
      specArb.filter((s) => s.serverRef === undefined),
      fc.array(secretEdit, { minLength: 1, maxLength: 3 }),
      fc.boolean(),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ([spec, edits, retain]) => {
        const uid = nextUid();
        const c: AccessTokenCase = {
          object: {
            apiVersion: "tokenplane.dev/v1alpha1",
            kind: "AccessToken",
            metadata: { name: "edited", namespace: NS, uid, generation: 1, resourceVersion: "1" },
            spec: { ...spec, deletionPolicy: retain ? "Retain" : "Revoke" },
          },
          garbageAt: undefined,
        };
        if (!parseAccessToken(c.object).ok) return;
        const start = h.kube.calls.length;
        const { name, key } = place(c);
        const first = await settle(key);
        if (
          first.at(-1)!.kind !== "done" ||
          readyOf(h.kube.object("accesstokens", NS, name))?.status !== "True"
        )
          return;
        const status = h.kube.object("accesstokens", NS, name)!.status as {
          secretName: string;
          tokenId: string;
        };
        let secret = h.kube.object<Secret>("secrets", NS, status.secretName)!;
        for (const edit of edits) secret = applyEdit(secret, edit, uid);
        h.kube.put("secrets", secret);
        const outcomes = await settle(key);
        const last = outcomes.at(-1)!;
        const reason = last.kind === "failed" ? last.failure.reason : last.kind;
        counts[reason] = (counts[reason] ?? 0) + 1;
        await checkAccessToken(name, start, c, outcomes);
        const ready = readyOf(h.kube.object("accesstokens", NS, name));
        if (ready?.status === "False") expect(ready.message).toContain(status.secretName);

        // Deleting it revokes the one token (policy Revoke) and lets the AccessToken go. (Without
        // a finalizer, policy Retain, the API server deletes it at once.)
        const at = h.kube.object("accesstokens", NS, name)!;
        if ((at.metadata.finalizers ?? []).length > 0) {
          h.kube.put("accesstokens", {
            ...at,
            metadata: { ...at.metadata, deletionTimestamp: "2025-01-02T00:00:00Z" },
          });
          await settle(key);
        } else h.kube.remove("accesstokens", NS, name);
        expect(h.kube.object("accesstokens", NS, name)).toBeUndefined();
        expect(refusedWrites(start)).toEqual([]);
        const user = await server.server.api("check").ensureUser(serverUserName(CLUSTER, NS));
        const left = await server.server.api("check").findTokenByExternalId(user.id, uid);
        expect(left === undefined).toBe(!retain);

        // One of the same name made right after is reconciled at once, not held for the old one's
        // writes. (The garbage collector has deleted the Secrets the old one owned.)
        for (const s of h.kube.all<Secret>("secrets"))
          if (s.metadata.ownerReferences?.some((r) => r.uid === uid))
            h.kube.remove("secrets", NS, s.metadata.name);
        const again = nextUid();
        made.set(again, { key, policy: "Revoke" });
        h.kube.put("accesstokens", {
          apiVersion: "tokenplane.dev/v1alpha1",
          kind: "AccessToken",
          metadata: { name, namespace: NS, uid: again, generation: 1, resourceVersion: "1" },
          spec: { type: "read-only" },
        });
        const recreated = await settle(key);
        expect(recreated[0]?.kind).not.toBe("waiting");
      }),
      params(300),
    );
    expect(counts.done).toBeGreaterThan(10);
  }, 120_000);
});

function applyEdit(secret: Secret, edit: unknown, uid: string): Secret {
  const e = edit as {
    data?: Record<string, string>;
    annotation?: string;
    value?: string;
    owner?: string;
    label?: string;
    binary?: string;
  };
  const s = JSON.parse(JSON.stringify(secret)) as Secret;
  if (e.data) s.data = { ...s.data, ...e.data };
  if (e.binary !== undefined) s.data = { ...s.data, token: e.binary };
  if (e.annotation) s.metadata.annotations = { ...s.metadata.annotations, [e.annotation]: e.value ?? "" };
  if (e.owner === "none") delete s.metadata.ownerReferences;
  if (e.owner === "other")
    s.metadata.ownerReferences = [
      {
        apiVersion: "tokenplane.dev/v1alpha1",
        kind: "AccessToken",
        name: "other",
        uid: "someone-else",
        controller: true,
      },
    ];
  if (e.owner === "two")
    s.metadata.ownerReferences = [
      ...(s.metadata.ownerReferences ?? []),
      { apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: `web-${uid}` },
    ];
  if (e.label !== undefined)
    s.metadata.labels = { ...s.metadata.labels, "tokenplane.dev/access-token": e.label };
  return s;
}

describe("TokenServers and ClusterTokenServers as the cache hands them over", () => {
  it("random and malformed servers and credentials: a Ready condition saying why, on the server and on its AccessTokens", async () => {
    const validTs = {
      apiVersion: "tokenplane.dev/v1alpha1",
      kind: "TokenServer",
      spec: { url: "URL", credentialsSecretRef: { name: "c", key: "token" } },
    };
    const validCts = {
      apiVersion: "tokenplane.dev/v1alpha1",
      kind: "ClusterTokenServer",
      spec: {
        url: "URL",
        credentialsSecretRef: { namespace: NS, name: "c", key: "token" },
        allowedNamespaces: { matchExpressions: [{ key: "team", operator: "In", values: ["a"] }] },
      },
    };
    const arb = fc
      .tuple(fc.boolean(), fc.constantFrom("good", "refused"), credentialsValue, fc.boolean())
      .chain(([cluster, url, creds, mutate]) => {
        const base = cluster ? validCts : validTs;
        const targets = pathsIn(base).filter((p) => p[0] !== "metadata");
        const mutated = mutate
          ? fc
              .constantFrom(...targets)
              .chain((path) =>
                junkUnlike(getAt(base, path)).map((g) => ({ obj: setAt(base, path, g), garbageAt: path })),
              )
          : fc.constant({ obj: base, garbageAt: undefined as (string | number)[] | undefined });
        return mutated.map((m) => ({ cluster, url, creds, ...m }));
      });
    const reasons: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(arb, async ({ cluster, url, creds, obj, garbageAt }) => {
        const start = h.kube.calls.length;
        const n = (++nameCounter).toString(36);
        const name = `srv-${n}`;
        const secretName = `c-${n}`;
        const raw = JSON.parse(
          JSON.stringify(obj, (_k, v: unknown) =>
            v === "URL" ? (url === "good" ? server.url : "http://127.0.0.1:1") : v === "c" ? secretName : v,
          ),
        ) as Record<string, unknown>;
        const object = {
          ...raw,
          metadata: {
            name,
            ...(cluster ? {} : { namespace: NS }),
            uid: `srv-${n}`,
            generation: 1,
            resourceVersion: "1",
          },
        } as KubeObject;
        h.kube.put(cluster ? "clustertokenservers" : "tokenservers", object);
        h.kube.put("secrets", {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: secretName, namespace: NS },
          data: { token: Buffer.from(creds.replace("ADMIN", server.adminToken), "utf8").toString("base64") },
        });
        const kind = cluster ? "ClusterTokenServer" : "TokenServer";
        const credentials = creds.replace("ADMIN", server.adminToken).trim();
        await h.servers.reconcile(kind, cluster ? name : `${NS}/${name}`);
        await h.events.flush();
        expect(refusedWrites(start)).toEqual([]);
        const stored = h.kube.object(
          cluster ? "clustertokenservers" : "tokenservers",
          cluster ? undefined : NS,
          name,
        );
        const ready = readyOf(stored);
        expect(ready).toBeDefined();
        reasons[ready!.reason] = (reasons[ready!.reason] ?? 0) + 1;
        const parsed = cluster ? parseClusterTokenServer(object) : parseTokenServer(object);
        if (!parsed.ok) {
          expect(ready!.reason).toBe("InvalidSpec");
          if (garbageAt) expect(ready!.message).toContain(formatPath(garbageAt));
        } else if (ready!.status === "False") {
          expect(["CredentialsUnavailable", "ServerUnauthorized", "ServerUnavailable"]).toContain(
            ready!.reason,
          );
          if (ready!.reason === "CredentialsUnavailable") expect(ready!.message).toContain(secretName);
          // Credentials that cannot be a token are said to be so, not taken for an outage.
          if (!/^[\x21-\x7e]+$/.test(credentials)) expect(ready!.reason).toBe("CredentialsUnavailable");
        }

        // An AccessToken using it: issued, or a condition with the server's reason.
        const c: AccessTokenCase = {
          object: {
            apiVersion: "tokenplane.dev/v1alpha1",
            kind: "AccessToken",
            metadata: { name: "uses", namespace: NS, uid: nextUid(), generation: 1, resourceVersion: "1" },
            spec: { serverRef: { kind, name } },
          },
          garbageAt: undefined,
        };
        const placed = place(c);
        const outcomes = await settle(placed.key);
        await checkAccessToken(placed.name, start, c, outcomes);
        const atReady = readyOf(h.kube.object("accesstokens", NS, placed.name))!;
        if (ready!.status === "False" && ready!.reason !== "ServerUnavailable")
          expect(atReady.status).toBe("False");
        if (!parsed.ok) expect(atReady.reason).toBe("ServerInvalid");
      }),
      params(300),
    );
    expect(reasons.Connected ?? 0).toBeGreaterThan(0);
    expect(reasons.InvalidSpec ?? 0).toBeGreaterThan(0);
  }, 120_000);
});

describe("the informer that fills the caches", () => {
  /** A client whose list and watch answer with what the test says, then wait for the informer to stop. */
  function scriptedClient(items: unknown[], events: unknown[], delivered: () => void): KubeClient {
    return {
      server: "http://scripted.invalid",
      request: async <T>() => ({ items, metadata: { resourceVersion: "10" } }) as T,
      get: async () => undefined,
      create: async () => {
        throw new Error("read only");
      },
      replace: async () => {
        throw new Error("read only");
      },
      mergePatch: async () => {
        throw new Error("read only");
      },
      watch: async (_path, _query, onEvent: (e: WatchEvent) => void, signal: AbortSignal) => {
        for (const e of events.splice(0)) onEvent(e as WatchEvent);
        delivered();
        await new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => resolve(), { once: true }),
        );
      },
      close: () => undefined,
    };
  }

  const objectArb = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        metadata: fc.record({
          name: dnsName(8),
          namespace: fc.constant(NS),
          resourceVersion: fc.nat().map(String),
        }),
        spec: junk,
      }),
    },
    { weight: 1, arbitrary: junk.map((j) => ({ metadata: j })) },
    { weight: 1, arbitrary: junk },
  );
  const eventArb = fc
    .oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          type: fc.constantFrom("ADDED", "MODIFIED", "DELETED", "BOOKMARK"),
          object: objectArb,
        }),
      },
      { weight: 1, arbitrary: fc.record({ type: junk, object: objectArb }) },
      { weight: 1, arbitrary: junk },
      // ERROR events end the watch (and 410 relists): fixture-faults covers them.
    )
    .filter((e) => (e as { type?: unknown } | null)?.type !== "ERROR");
  const usable = (o: unknown): o is KubeObject => {
    const meta = (o as { metadata?: unknown } | null)?.metadata as {
      name?: unknown;
      namespace?: unknown;
    } | null;
    return (
      typeof meta === "object" &&
      meta !== null &&
      typeof meta.name === "string" &&
      meta.name !== "" &&
      (meta.namespace === undefined || typeof meta.namespace === "string")
    );
  };

  it("keeps every usable object, skips the rest, and never stops or throws", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(objectArb, { maxLength: 6 }),
        fc.array(eventArb, { maxLength: 8 }),
        async (items, events) => {
          const logs = new LogCapture();
          let delivered = false;
          const informer = new Informer<KubeObject>({
            client: scriptedClient(items, [...events], () => (delivered = true)),
            resource: ACCESS_TOKENS,
            log: createLogger({ level: "debug", destination: logs }),
            timing: { backoffBaseMs: 1, backoffMaxMs: 2 },
          });
          const changes: Change<KubeObject>[] = [];
          informer.onChange((c) => changes.push(c));
          informer.start();
          await waitFor(() => delivered && informer.synced, {
            what: "the informer to sync and watch",
            intervalMs: 1,
            timeoutMs: 5_000,
          });
          // What a correct cache holds: the usable listed objects, then the usable events applied.
          const expected = new Map<string, KubeObject>();
          const keyOf = (o: KubeObject) =>
            `${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
          for (const o of items) if (usable(o)) expected.set(keyOf(o), o);
          for (const e of events as { type?: unknown; object?: unknown }[]) {
            if (!e || typeof e !== "object" || !usable(e.object)) continue;
            if (e.type === "ADDED" || e.type === "MODIFIED") expected.set(keyOf(e.object), e.object);
            if (e.type === "DELETED") expected.delete(keyOf(e.object));
          }
          expect(new Map(informer.list().map((o) => [keyOf(o), o]))).toEqual(expected);
          for (const c of changes) expect(usable(c.object)).toBe(true);
          await informer.stop();
        },
      ),
      params(300),
    );
  }, 60_000);
});

describe("the pure parts", () => {
  it("parse anything without throwing, naming a field for every error", () => {
    const top = /^(\(root\)$|(apiVersion|kind|metadata|spec|status)\b)/;
    fc.assert(
      fc.property(
        fc.oneof(
          junk,
          accessTokenArb(NS, nextUid).map((c) => c.object),
        ),
        (input) => {
          for (const parse of [parseAccessToken, parseTokenServer, parseClusterTokenServer]) {
            const result = parse(input);
            if (result.ok) continue;
            expect(result.errors.length).toBeGreaterThan(0);
            for (const e of result.errors) {
              expect(e.path).toMatch(top);
              expect(e.message.length).toBeGreaterThan(0);
            }
          }
        },
      ),
      params(3000),
    );
  });

  it("classify any Secret an API server could return without throwing", () => {
    const secretArb = fc.record({
      metadata: fc.record(
        {
          name: dnsName(),
          namespace: fc.constant(NS),
          labels: fc.dictionary(
            fc.constantFrom("app.kubernetes.io/managed-by", "tokenplane.dev/access-token", "x"),
            fc.constantFrom("tokenplane", "a", ""),
          ),
          annotations: fc.dictionary(
            fc.constantFrom(...Object.values(SECRET_ANNOTATIONS), "x"),
            fc.oneof(fc.string(), fc.constantFrom("1", "-1", "1e300", "{")),
          ),
          ownerReferences: fc.array(
            fc.record({
              apiVersion: fc.constant("v1"),
              kind: fc.constant("X"),
              name: fc.string(),
              uid: fc.constantFrom("uid-1", "uid-2"),
              controller: fc.boolean(),
            }),
            { maxLength: 2 },
          ),
        },
        { requiredKeys: ["name"] },
      ),
      data: fc.dictionary(
        fc.string({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a).toString("base64")),
      ),
      type: fc.string({ maxLength: 10 }),
    });
    fc.assert(
      fc.property(secretArb, (s) => {
        const state = classifySecret(s, { name: "a", namespace: NS, uid: "uid-1" });
        expect(["missing", "conflict", "adoptable", "owned"]).toContain(state.state);
        if (state.state === "owned" && state.issuance) {
          expect(Number.isSafeInteger(state.issuance.revision) && state.issuance.revision >= 0).toBe(true);
        }
      }),
      params(2000),
    );
  });
});

describe("after all of it", () => {
  it("nothing was left unhandled, no token reached a log, event, status, error or non-Secret write, and no token is orphaned", async () => {
    expect(unhandled).toEqual([]);
    expect(tap.issued.size).toBeGreaterThan(50);
    const texts: [string, string][] = [
      ["logs", h.logs.text],
      ["events", JSON.stringify(h.kube.all("events"))],
      ["AccessTokens", JSON.stringify(h.kube.all("accesstokens"))],
      ["TokenServers", JSON.stringify([...h.kube.all("tokenservers"), ...h.kube.all("clustertokenservers")])],
      ["failures", JSON.stringify(failureMessages)],
      ["writes", JSON.stringify(h.kube.calls.filter((c) => !isSecretWrite(c) && c.method !== "GET"))],
    ];
    for (const [where, text] of texts) {
      const found = [...text.matchAll(/tp[sp]_[0-9A-Za-z]{20,}/g)]
        .map((m) => m[0])
        .filter((t) => tap.issued.has(t));
      expect(found, `tokens in ${where}`).toEqual([]);
      expect(text.includes("PRIVATE KEY"), `a private key in ${where}`).toBe(false);
    }

    // Every token on the server belongs to an AccessToken that exists, or was deleted with Retain.
    const user = await server.server.api("check").ensureUser(serverUserName(CLUSTER, NS));
    const tokens: ServerToken[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page<ServerToken> } = await server.admin<Page<ServerToken>>(
        "GET",
        `/api/v1/users/${user.id}/access-tokens?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      tokens.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(tokens.length).toBeGreaterThan(0);
    const orphans = tokens.filter((t) => {
      const owner = t.externalId ? made.get(t.externalId) : undefined;
      if (!owner) return true;
      const [ns, name] = owner.key.split("/") as [string, string];
      return !h.kube.object("accesstokens", ns, name) && owner.policy === "Revoke";
    });
    expect(orphans.map((t) => t.name)).toEqual([]);
  });
});
