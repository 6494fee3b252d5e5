import fc from "fast-check";
import { FINALIZER } from "../../src/operator/index.js";
import { ROTATE_ANNOTATION } from "../../src/crd/index.js";
import { SECRET_ANNOTATIONS } from "../../src/operator/secret-contract.js";

/*
 * fast-check generators for what reaches the operator from the Kubernetes API: AccessTokens
 * (valid, and with garbage in any field), TokenServers, ClusterTokenServers and Secrets. Metadata
 * stays within what an API server lets through (names, label and annotation keys are validated
 * there); everything else may be anything JSON can carry.
 */

export const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

const huge = fc.constantFrom(300, 5_000, 40_000).map((n) => "ẞ".repeat(n));
const unicode = fc.string({ unit: "grapheme", maxLength: 24 });

/** Any JSON value, with the awkward ones (huge, unicode, prototype names, token-looking) well represented. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 2 ** 53 + 2, 1e300),
  fc.string({ maxLength: 16 }),
  unicode,
  huge,
  fc.constantFrom("", " ", "__proto__", "constructor", "unlimited", "0s", "custom", "tps_" + "A".repeat(49)),
  fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), {
    maxKeys: 3,
  }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** The JSON type of a value as a schema sees it. */
export function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** A value that is certainly not of `like`'s JSON type (and not null, which counts as absent). */
export const junkUnlike = (like: unknown) => junk.filter((j) => j !== null && jsonType(j) !== jsonType(like));

export const dnsName = (max = 20) =>
  fc.stringMatching(new RegExp(`^[a-z0-9]([-a-z0-9]{0,${max}}[a-z0-9])?$`)).filter((s) => s.length <= max);

/** A label value as Kubernetes accepts it. */
const labelValue = fc.oneof(
  fc.constant(""),
  fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?$/),
);

const labelKey = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("team", "app.kubernetes.io/part-of", "example.com/owner") },
  // Keys Kubernetes refuses on a Secret, and keys reserved for the operator.
  { weight: 1, arbitrary: fc.constantFrom("bad key", "ü", "-x", "a/b/c", "tokenplane.dev/x") },
);

const annotationValue = fc.oneof(fc.string({ maxLength: 30 }), unicode, fc.constant("ẞ".repeat(4096)));

const durations = ["unlimited", "7d", "30d", "90d", "12h", "1h30m", "2w"] as const;
const shorter: Record<string, string[]> = {
  "7d": ["1h", "1d", "6d"],
  "30d": ["1h", "10d"],
  "90d": ["1d", "30d"],
  "12h": ["1h", "11h"],
  "1h30m": ["1h", "30m"],
  "2w": ["1d", "1w"],
};

const durationAndRotation: fc.Arbitrary<Record<string, unknown>> = fc
  .constantFrom(...durations)
  .chain((duration): fc.Arbitrary<Record<string, unknown>> =>
    duration === "unlimited"
      ? fc.record(
          {
            duration: fc.constant(duration),
            rotation: maybe(
              fc.record({ gracePeriod: maybe(fc.constantFrom("0s", "1h", "30d")) }, { requiredKeys: [] }),
            ),
          },
          { requiredKeys: [] },
        )
      : fc.record({
          duration: fc.constant(duration),
          rotation: maybe(
            fc.record(
              {
                renewBefore: maybe(fc.constantFrom(...shorter[duration]!)),
                gracePeriod: maybe(fc.constantFrom("0s", ...shorter[duration]!)),
              },
              { requiredKeys: [] },
            ),
          ),
        }),
  );

const typeAndPermissions = fc.oneof(
  fc.record({ type: fc.constantFrom("read-only", "full-access") }, { requiredKeys: [] }),
  fc.record({
    type: fc.constant("custom"),
    permissions: fc.uniqueArray(
      fc.constantFrom("orders:read", "orders:*", "articles:read", "*:read", "ghosts:read"),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  }),
);

/** Names of the (Cluster)TokenServers a harness provides; see the tests. */
export const SERVER_REFS = [
  { kind: "ClusterTokenServer", name: "embedded" },
  { kind: "TokenServer", name: "remote" },
  { kind: "TokenServer", name: "ghost" },
  { kind: "TokenServer", name: "broken" },
  { kind: "TokenServer", name: "unreachable" },
  { kind: "ClusterTokenServer", name: "elsewhere" },
] as const;

/** Specs that mostly pass validation (and sometimes do not: Kubernetes-invalid template keys, a server that refuses). */
export const specArb = fc
  .record(
    {
      serverRef: maybe(
        fc.oneof(
          { weight: 8, arbitrary: fc.constant(SERVER_REFS[0]) },
          { weight: 3, arbitrary: fc.constantFrom(...SERVER_REFS.slice(1)) },
        ),
      ),
      description: maybe(fc.oneof(fc.string({ maxLength: 40 }), unicode, fc.constant("ẞ".repeat(1024)))),
      typed: typeAndPermissions,
      kind: maybe(fc.constantFrom("secret", "publishable")),
      lifetime: durationAndRotation,
      allowedDomains: maybe(
        fc.uniqueArray(fc.constantFrom("shop.example.com", "*.example.com", "a.b:8443"), { maxLength: 3 }),
      ),
      allowedIps: maybe(
        fc.uniqueArray(fc.constantFrom("10.0.0.0/8", "2001:db8::/32", "192.168.1.1/32"), { maxLength: 3 }),
      ),
      credits: maybe(
        fc.record({
          // The token server's API allows at most 2e9 (the CRD allows 2^53-1), and its in-process
          // API does not check: more fails in the database, as an outage. Server side; not here.
          limit: fc.nat({ max: 2_000_000_000 }),
          refill: maybe(
            fc.record({
              amount: fc.integer({ min: 1, max: 1_000_000_000 }),
              interval: fc.constantFrom("daily", "weekly", "monthly"),
            }),
          ),
        }),
      ),
      rateLimit: maybe(
        fc.record({
          limit: fc.integer({ min: 1, max: 2_147_483_647 }),
          window: fc.constantFrom("1s", "1m", "1h", "1d"),
        }),
      ),
      signedRequests: maybe(fc.boolean()),
      secretTemplate: maybe(
        fc.record(
          {
            type: maybe(
              fc.oneof(
                { weight: 8, arbitrary: fc.constantFrom("Opaque", "example.com/token") },
                // Types whose required keys the token Secret does not have.
                {
                  weight: 1,
                  arbitrary: fc.constantFrom("kubernetes.io/tls", "kubernetes.io/dockerconfigjson"),
                },
              ),
            ),
            keys: maybe(
              fc.constantFrom(
                { token: "api-key" },
                { token: "key", tokenId: "id", expiresAt: "expiry" },
                { tokenId: "token.id" },
              ),
            ),
            labels: maybe(fc.dictionary(labelKey, labelValue, { maxKeys: 3 })),
            annotations: maybe(fc.dictionary(labelKey, annotationValue, { maxKeys: 3 })),
          },
          { requiredKeys: [] },
        ),
      ),
      deletionPolicy: maybe(fc.constantFrom("Revoke", "Retain")),
      rolloutRestartTargets: maybe(
        fc.uniqueArray(
          fc.record({
            kind: fc.constantFrom("Deployment", "StatefulSet", "DaemonSet"),
            name: fc.constantFrom("web", "db"),
          }),
          { selector: (t) => `${t.kind}/${t.name}`, maxLength: 2 },
        ),
      ),
    },
    { requiredKeys: ["typed", "lifetime"] },
  )
  .map(
    ({ typed, lifetime, ...rest }) =>
      JSON.parse(JSON.stringify({ ...rest, ...typed, ...lifetime })) as Record<string, unknown>,
  );

/** Annotations on an AccessToken: the rotate annotation with any value, other tokenplane.dev ones, anything. */
export const accessTokenAnnotations = fc.record(
  {
    [ROTATE_ANNOTATION]: maybe(fc.oneof(fc.string({ maxLength: 20 }), unicode, huge, fc.constant(""))),
    [`tokenplane.dev/rotate-handled`]: maybe(fc.string({ maxLength: 10 })),
    "example.com/note": maybe(annotationValue),
  },
  { requiredKeys: [] },
);

export interface AccessTokenCase {
  object: Record<string, unknown>;
  /** Where garbage was put (as formatPath prints it), when the garbage has the wrong type. */
  garbageAt: readonly (string | number)[] | undefined;
}

/** Every path to a value inside `value` (objects and arrays), parents before children. */
export function pathsIn(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...pathsIn(v, [...prefix, i])));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...pathsIn(v, [...prefix, k]));
  return out;
}

export function getAt(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value as Record<string | number, unknown> | undefined;
  for (const k of path) v = v?.[k] as Record<string | number, unknown> | undefined;
  return v;
}

/** A copy of `value` with `path` set to `to` (`undefined`: removed). */
export function setAt(value: unknown, path: readonly (string | number)[], to: unknown): unknown {
  if (path.length === 0) return to;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  const next = setAt(copy[head], rest, to);
  if (next === undefined && !Array.isArray(copy)) delete copy[head];
  else copy[head] = next;
  return copy;
}

export const validStatus = fc.record(
  {
    observedGeneration: fc.nat({ max: 5 }),
    tokenId: fc.uuid(),
    secretName: dnsName(),
    revision: fc.nat({ max: 5 }),
    lastRotationReason: fc.constantFrom("Initial", "Drift", "Manual", "Scheduled", "SpecChanged"),
    conditions: fc.constant([
      {
        type: "Ready",
        status: "True",
        reason: "Issued",
        message: "earlier",
        lastTransitionTime: "2025-01-01T00:00:00Z",
      },
    ]),
  },
  { requiredKeys: [] },
);

/**
 * AccessTokens: valid ones, and valid ones with one field (anywhere outside metadata) set to
 * garbage, removed, or joined by an unknown field; a missing spec, a wrong apiVersion or kind,
 * a bogus status; some being deleted.
 */
export function accessTokenArb(namespace: string, uid: () => string): fc.Arbitrary<AccessTokenCase> {
  const base = fc.record({
    name: fc.oneof(
      { weight: 9, arbitrary: dnsName() },
      { weight: 1, arbitrary: fc.constant("n".repeat(240)) },
    ),
    generation: fc.integer({ min: 1, max: 5 }),
    annotations: accessTokenAnnotations,
    labels: maybe(fc.dictionary(fc.constantFrom("team", "tier"), labelValue, { maxKeys: 2 })),
    finalizers: maybe(fc.constantFrom([FINALIZER], ["example.com/keep"], [FINALIZER, "example.com/keep"])),
    spec: specArb,
    status: maybe(validStatus),
  });
  return base.chain((b) => {
    const object: Record<string, unknown> = JSON.parse(
      JSON.stringify({
        apiVersion: "tokenplane.dev/v1alpha1",
        kind: "AccessToken",
        metadata: {
          name: b.name,
          namespace,
          uid: uid(),
          resourceVersion: "1",
          generation: b.generation,
          creationTimestamp: "2025-01-01T00:00:00Z",
          annotations: b.annotations,
          ...(b.labels ? { labels: b.labels } : {}),
          ...(b.finalizers ? { finalizers: b.finalizers } : {}),
        },
        spec: b.spec,
        ...(b.status ? { status: b.status } : {}),
      }),
    );
    const targets = pathsIn(object).filter((p) => p[0] !== "metadata");
    const mutation = fc.oneof(
      { weight: 4, arbitrary: fc.constant<AccessTokenCase>({ object, garbageAt: undefined }) },
      {
        weight: 8,
        arbitrary: fc.constantFrom(...targets).chain((path) =>
          junkUnlike(getAt(object, path)).map((garbage) => ({
            object: setAt(object, path, garbage) as Record<string, unknown>,
            garbageAt: path,
          })),
        ),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(...targets).map((path) => ({
          object: setAt(object, path, undefined) as Record<string, unknown>,
          garbageAt: undefined,
        })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom(["spec"], ["spec", "rotation"], ["status"], []),
            fc.string({ maxLength: 10 }),
            junk,
          )
          .map(([at, key, value]) => ({
            object: (getAt(object, at) && typeof getAt(object, at) === "object"
              ? setAt(object, [...at, `x-${key}`], value)
              : object) as Record<string, unknown>,
            garbageAt: undefined,
          })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          { object: setAt(object, ["spec"], undefined) as Record<string, unknown>, garbageAt: ["spec"] },
          {
            object: setAt(object, ["apiVersion"], "v1") as Record<string, unknown>,
            garbageAt: ["apiVersion"],
          },
          { object: setAt(object, ["kind"], "Secret") as Record<string, unknown>, garbageAt: ["kind"] },
          { object: setAt(object, ["status"], "ready") as Record<string, unknown>, garbageAt: ["status"] },
          {
            object: setAt(object, ["status", "conditions"], [{ type: 5 }]) as Record<string, unknown>,
            garbageAt: ["status", "conditions", 0, "type"],
          },
          {
            object: setAt(object, ["status", "revision"], -3) as Record<string, unknown>,
            garbageAt: ["status", "revision"],
          },
        ),
      },
    );
    // Being deleted: the API server keeps an object with finalizers (and only then) around.
    return fc.tuple(mutation, fc.integer({ min: 0, max: 9 })).map(([c, deleting]) => {
      if (deleting !== 0) return c;
      const meta = c.object.metadata as { finalizers?: string[] };
      const withFinalizer = meta.finalizers?.length
        ? c.object
        : setAt(c.object, ["metadata", "finalizers"], [FINALIZER]);
      return {
        ...c,
        object: setAt(withFinalizer, ["metadata", "deletionTimestamp"], "2025-01-02T00:00:00Z") as Record<
          string,
          unknown
        >,
      };
    });
  });
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/**
 * Changes someone (or something) may make to a Secret the operator wrote: its value, the
 * annotations that record the issuance, its owner, its labels, its type, its keys.
 */
export const secretEdit = fc.oneof(
  fc.record({
    data: fc.dictionary(
      fc.constantFrom("token", "token-id", "other"),
      fc.oneof(fc.string({ maxLength: 20 }), unicode, huge).map(b64),
      { maxKeys: 3 },
    ),
  }),
  fc.record({
    annotation: fc.constantFrom(...Object.values(SECRET_ANNOTATIONS)),
    value: fc.oneof(
      fc.constantFrom(
        "",
        "abc",
        "-5",
        "1e3",
        "1e300",
        "9007199254740993",
        "NaN",
        "not-a-uuid",
        "{",
        "[1]",
        "ClusterTokenServer/ghost",
      ),
      fc.uuid(),
      unicode,
    ),
  }),
  fc.record({ owner: fc.constantFrom("none", "other", "two") }),
  fc.record({ label: fc.constantFrom("other-name", "") }),
  fc.record({ binary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString("base64")) }),
);

/** Credentials Secret contents a (Cluster)TokenServer may point at. */
export const credentialsValue = fc.oneof(
  fc.constant("ADMIN"),
  fc.constant(" ADMIN \n"),
  fc.constantFrom("", " ", "\n", "wrong-token", "tps_" + "A".repeat(49)),
  unicode,
  fc.string({ maxLength: 30 }),
  fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a).toString("latin1")),
  huge,
);
