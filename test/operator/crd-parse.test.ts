import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccessTokenInput, FieldError } from "../../src/crd/index.js";
import {
  ACCESS_TOKEN_DEFAULTS,
  exampleAccessToken,
  exampleClusterTokenServer,
  exampleTokenServer,
  formatFieldError,
  parseAccessToken,
  parseAccessTokenSpec,
  parseClusterTokenServer,
  parseTokenServer,
  resolveAccessTokenSpec,
} from "../../src/crd/index.js";

type Spec = AccessTokenInput["spec"];

function withSpec(change: (spec: Record<string, unknown>) => void): AccessTokenInput {
  const token = exampleAccessToken();
  change(token.spec);
  return token;
}

function errorsOf(input: unknown, old?: unknown): FieldError[] {
  const result = parseAccessToken(input, old === undefined ? {} : { old });
  return result.ok ? [] : result.errors;
}

describe("parseAccessToken", () => {
  it("accepts the contract's example", () => {
    const result = parseAccessToken(exampleAccessToken());
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    expect(result.value.spec.permissions).toEqual(["orders:read", "articles:read"]);
    expect(result.value.status?.lastRotationReason).toBe("Scheduled");
  });

  it("accepts an empty spec and fills in the top-level defaults", () => {
    const result = parseAccessToken({
      apiVersion: "tokenplane.dev/v1alpha1",
      kind: "AccessToken",
      metadata: { name: "plain", namespace: "default", uid: "u1", labels: { a: "b" } },
      spec: {},
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.spec).toEqual({
      type: ACCESS_TOKEN_DEFAULTS.type,
      kind: ACCESS_TOKEN_DEFAULTS.kind,
      duration: ACCESS_TOKEN_DEFAULTS.duration,
      signedRequests: ACCESS_TOKEN_DEFAULTS.signedRequests,
      deletionPolicy: ACCESS_TOKEN_DEFAULTS.deletionPolicy,
    });
    // metadata is kept whole: the operator needs uid, labels, finalizers, ...
    expect(result.value.metadata).toMatchObject({ uid: "u1", labels: { a: "b" } });
  });

  const bad: [string, (spec: Record<string, unknown>) => void, string, RegExp][] = [
    ["unknown type", (s) => (s.type = "admin"), "spec.type", /one of read-only, full-access, custom/],
    [
      "malformed permission",
      (s) => (s.permissions = ["orders:read", "orders"]),
      "spec.permissions[1]",
      /^must be resource:action$/,
    ],
    ["unknown action", (s) => (s.permissions = ["orders:write"]), "spec.permissions[0]", /resource:action/],
    [
      "duplicate permission",
      (s) => (s.permissions = ["a:read", "a:read"]),
      "spec.permissions[1]",
      /duplicate/,
    ],
    ["malformed duration", (s) => (s.duration = "30 days"), "spec.duration", /duration/],
    ["zero duration", (s) => (s.duration = "0d"), "spec.duration", /longer than zero/],
    ["units out of order", (s) => (s.duration = "30m1h"), "spec.duration", /largest first/],
    [
      "a unit twice",
      (s) => (s.rotation = { renewBefore: "1h1h" }),
      "spec.rotation.renewBefore",
      /each at most once/,
    ],
    [
      "malformed renewBefore",
      (s) => (s.rotation = { renewBefore: "10x" }),
      "spec.rotation.renewBefore",
      /duration/,
    ],
    [
      "renewBefore = duration",
      (s) => (s.rotation = { renewBefore: "30d" }),
      "spec.rotation.renewBefore",
      /shorter than duration/,
    ],
    [
      "renewBefore > duration in other units",
      (s) => (s.rotation = { renewBefore: "721h" }),
      "spec.rotation.renewBefore",
      /shorter/,
    ],
    [
      "renewBefore with unlimited",
      (s) => ((s.duration = "unlimited"), (s.rotation = { renewBefore: "1d" })),
      "spec.rotation.renewBefore",
      /unlimited/,
    ],
    [
      "renewBefore zero",
      (s) => (s.rotation = { renewBefore: "0s" }),
      "spec.rotation.renewBefore",
      /longer than zero/,
    ],
    [
      "gracePeriod = duration",
      (s) => (s.rotation = { gracePeriod: "4w2d" }),
      "spec.rotation.gracePeriod",
      /shorter than duration/,
    ],
    [
      "permissions without custom",
      (s) => (s.type = "read-only"),
      "spec.permissions",
      /only be set with type custom/,
    ],
    [
      "custom without permissions",
      (s) => delete s.permissions,
      "spec.permissions",
      /at least one permission/,
    ],
    [
      "custom with no permissions",
      (s) => (s.permissions = []),
      "spec.permissions",
      /at least one permission/,
    ],
    ["unknown kind", (s) => (s.kind = "private"), "spec.kind", /secret, publishable/],
    [
      "bad domain",
      (s) => (s.allowedDomains = ["https://shop.example.com"]),
      "spec.allowedDomains[0]",
      /host name/,
    ],
    ["bad CIDR", (s) => (s.allowedIps = ["10.0.0.0/33"]), "spec.allowedIps[0]", /CIDR/],
    ["plain IP", (s) => (s.allowedIps = ["10.0.0.1"]), "spec.allowedIps[0]", /CIDR/],
    ["negative credits", (s) => (s.credits = { limit: -1 }), "spec.credits.limit", /at least 0/],
    ["fractional credits", (s) => (s.credits = { limit: 1.5 }), "spec.credits.limit", /int/],
    [
      "zero refill",
      (s) => (s.credits = { limit: 5, refill: { amount: 0, interval: "daily" } }),
      "spec.credits.refill.amount",
      /at least 1/,
    ],
    [
      "bad refill interval",
      (s) => (s.credits = { limit: 5, refill: { amount: 1, interval: "hourly" } }),
      "spec.credits.refill.interval",
      /daily, weekly, monthly/,
    ],
    ["rate limit without window", (s) => (s.rateLimit = { limit: 5 }), "spec.rateLimit.window", /required/],
    [
      "zero window",
      (s) => (s.rateLimit = { limit: 5, window: "0s" }),
      "spec.rateLimit.window",
      /longer than zero/,
    ],
    ["signedRequests not a boolean", (s) => (s.signedRequests = "yes"), "spec.signedRequests", /boolean/],
    [
      "bad Secret name",
      (s) => (s.secretTemplate = { name: "Storefront_Token" }),
      "spec.secretTemplate.name",
      /RFC 1123/,
    ],
    [
      "clashing Secret keys",
      (s) => (s.secretTemplate = { keys: { tokenId: "token" } }),
      "spec.secretTemplate.keys",
      /different keys/,
    ],
    [
      "bad Secret key",
      (s) => (s.secretTemplate = { keys: { token: "a b" } }),
      "spec.secretTemplate.keys.token",
      /alphanumerics/,
    ],
    [
      "reserved label",
      (s) => (s.secretTemplate = { labels: { "tokenplane.dev/access-token": "x" } }),
      "spec.secretTemplate.labels",
      /operator sets them/,
    ],
    [
      "managed-by label",
      (s) => (s.secretTemplate = { labels: { "app.kubernetes.io/managed-by": "me" } }),
      "spec.secretTemplate.labels",
      /operator sets them/,
    ],
    [
      "bad label value",
      (s) => (s.secretTemplate = { labels: { team: "a b" } }),
      "spec.secretTemplate.labels.team",
      /label value/,
    ],
    ["bad deletion policy", (s) => (s.deletionPolicy = "Delete"), "spec.deletionPolicy", /Revoke, Retain/],
    [
      "unknown rollout kind",
      (s) => (s.rolloutRestartTargets = [{ kind: "Job", name: "x" }]),
      "spec.rolloutRestartTargets[0].kind",
      /Deployment/,
    ],
    [
      "duplicate rollout target",
      (s) =>
        (s.rolloutRestartTargets = [
          { kind: "Deployment", name: "x" },
          { kind: "Deployment", name: "x" },
        ]),
      "spec.rolloutRestartTargets[1]",
      /duplicate/,
    ],
    [
      "unknown server kind",
      (s) => (s.serverRef = { kind: "Server", name: "x" }),
      "spec.serverRef.kind",
      /ClusterTokenServer/,
    ],
    [
      "server name missing",
      (s) => (s.serverRef = { kind: "TokenServer" }),
      "spec.serverRef.name",
      /required/,
    ],
    [
      "description too long",
      (s) => (s.description = "x".repeat(1025)),
      "spec.description",
      /at most 1024 characters/,
    ],
    [
      "too many permissions",
      (s) => (s.permissions = Array.from({ length: 129 }, (_, i) => `r${i}:read`)),
      "spec.permissions",
      /at most 128 items/,
    ],
  ];

  it.each(bad)("rejects %s at the field", (_name, change, path, message) => {
    const errors = errorsOf(withSpec(change));
    expect(errors.map(formatFieldError)).toContainEqual(
      expect.stringMatching(new RegExp(`^${path.replace(/[.[\]]/g, "\\$&")}: `)),
    );
    const hit = errors.find((e) => e.path === path);
    expect(hit?.message).toMatch(message);
  });

  it("names the field in the message, as the brief's example", () => {
    const errors = errorsOf(withSpec((s) => (s.permissions = ["orders:read", "orders"])));
    expect(errors.map(formatFieldError)).toEqual(["spec.permissions[1]: must be resource:action"]);
  });

  it("rejects the wrong kind, apiVersion, a missing spec or name, and non-objects", () => {
    expect(errorsOf({ ...exampleAccessToken(), kind: "Secret" }).map((e) => e.path)).toEqual(["kind"]);
    expect(errorsOf({ ...exampleAccessToken(), apiVersion: "tokenplane.dev/v1" }).map((e) => e.path)).toEqual(
      ["apiVersion"],
    );
    expect(errorsOf({ ...exampleAccessToken(), spec: undefined })).toEqual([
      { path: "spec", message: "required" },
    ]);
    expect(errorsOf({ ...exampleAccessToken(), metadata: {} })).toEqual([
      { path: "metadata.name", message: "required" },
    ]);
    for (const junk of [null, 42, "x", [], undefined]) expect(errorsOf(junk)[0]?.path).toBe("(root)");
  });

  it("reads null fields as absent, as the API server does", () => {
    const token = withSpec(
      (s) => ((s.description = null), (s.rotation = { renewBefore: null, gracePeriod: "1h" })),
    );
    expect(errorsOf(token)).toEqual([]);
  });

  it("drops unknown fields, as the API server prunes them", () => {
    const result = parseAccessToken(withSpec((s) => (s.colour = "blue")));
    expect(result.ok && "colour" in result.value.spec).toBe(false);
  });

  it("rejects status that does not fit", () => {
    const token = exampleAccessToken();
    token.status = { revision: -1, lastRotationReason: "Whim" as never, expiresAt: "tomorrow" };
    expect(
      errorsOf(token)
        .map((e) => e.path)
        .sort(),
    ).toEqual(["status.expiresAt", "status.lastRotationReason", "status.revision"]);
  });

  describe("updates", () => {
    const named = (name: string | undefined): AccessTokenInput =>
      withSpec((s) => (s.secretTemplate = name === undefined ? undefined : { name }));

    it("keeps the Secret name", () => {
      expect(errorsOf(named("b"), named("a"))).toEqual([
        { path: "spec.secretTemplate.name", message: expect.stringMatching(/immutable/) as string },
      ]);
      expect(errorsOf(named(undefined), named("a"))).toHaveLength(1);
      expect(errorsOf(named("other"), named(undefined))).toHaveLength(1);
    });

    it("allows what does not change the Secret's name", () => {
      expect(errorsOf(named("a"), named("a"))).toEqual([]);
      // metadata.name is "storefront": spelling out the default changes nothing.
      expect(errorsOf(named("storefront"), named(undefined))).toEqual([]);
      expect(errorsOf(named(undefined), named("storefront"))).toEqual([]);
      expect(errorsOf(named("b"))).toEqual([]);
    });
  });

  it("never throws, whatever it is given", () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        parseAccessToken(junk);
        parseAccessToken({ ...exampleAccessToken(), spec: junk });
        parseAccessToken(exampleAccessToken(), { old: junk });
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseAccessTokenSpec", () => {
  it("reports paths relative to the spec", () => {
    const result = parseAccessTokenSpec({ type: "custom", permissions: ["x"] });
    expect(result.ok ? [] : result.errors).toEqual([
      { path: "permissions[0]", message: "must be resource:action" },
    ]);
  });
});

describe("token servers", () => {
  it("accept the contract's examples", () => {
    const cluster = parseClusterTokenServer(exampleClusterTokenServer());
    expect(cluster.ok ? [] : cluster.errors).toEqual([]);
    const ns = parseTokenServer(exampleTokenServer());
    expect(ns.ok ? [] : ns.errors).toEqual([]);
  });

  it("reject bad input at the field", () => {
    const cases: [unknown, string][] = [
      [{ ...exampleClusterTokenServer().spec, url: "tokens.internal" }, "spec.url"],
      [{ ...exampleClusterTokenServer().spec, caBundle: "not base64!" }, "spec.caBundle"],
      [
        { ...exampleClusterTokenServer().spec, credentialsSecretRef: { name: "x" } },
        "spec.credentialsSecretRef.namespace",
      ],
      [
        {
          ...exampleClusterTokenServer().spec,
          allowedNamespaces: { matchExpressions: [{ key: "a", operator: "In" }] },
        },
        "spec.allowedNamespaces.matchExpressions[0].values",
      ],
      [
        {
          ...exampleClusterTokenServer().spec,
          allowedNamespaces: { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] },
        },
        "spec.allowedNamespaces.matchExpressions[0].values",
      ],
    ];
    for (const [spec, path] of cases) {
      const result = parseClusterTokenServer({ ...exampleClusterTokenServer(), spec });
      expect(result.ok ? [] : result.errors.map((e) => e.path), path).toEqual([path]);
    }
    const wrongKind = parseTokenServer({ ...exampleTokenServer(), kind: "ClusterTokenServer" });
    expect(wrongKind.ok ? [] : wrongKind.errors.map((e) => e.path)).toEqual(["kind"]);
  });
});

describe("resolveAccessTokenSpec", () => {
  function resolved(spec: Spec, name = "app") {
    const result = parseAccessToken({ ...exampleAccessToken(), metadata: { name }, spec });
    if (!result.ok) throw new Error(result.errors.map(formatFieldError).join("\n"));
    return resolveAccessTokenSpec(result.value);
  }

  it("applies every default", () => {
    expect(resolved({})).toEqual({
      serverRef: { kind: "ClusterTokenServer", name: "embedded" },
      description: "",
      type: "read-only",
      permissions: [],
      kind: "secret",
      duration: "unlimited",
      durationMs: undefined,
      renewBeforeMs: undefined,
      gracePeriodMs: 0,
      allowedDomains: [],
      allowedIps: [],
      credits: undefined,
      rateLimit: undefined,
      signedRequests: false,
      secret: {
        name: "app",
        type: "Opaque",
        keys: { token: "token", tokenId: "token-id", expiresAt: "expires-at" },
        labels: {},
        annotations: {},
      },
      deletionPolicy: "Revoke",
      rolloutRestartTargets: [],
    });
  });

  it("renews a third of the way before expiry unless told otherwise", () => {
    expect(resolved({ duration: "30d" }).renewBeforeMs).toBe(10 * 86_400_000);
    expect(resolved({ duration: "1s" }).renewBeforeMs).toBe(333);
    expect(resolved({ duration: "30d", rotation: { renewBefore: "2d", gracePeriod: "1h" } })).toMatchObject({
      durationMs: 30 * 86_400_000,
      renewBeforeMs: 2 * 86_400_000,
      gracePeriodMs: 3_600_000,
    });
  });

  it("takes the Secret settings from the template", () => {
    const secret = resolved({
      secretTemplate: { name: "s", type: "x/y", keys: { token: "t" }, labels: { a: "b" } },
    }).secret;
    expect(secret).toEqual({
      name: "s",
      type: "x/y",
      keys: { token: "t", tokenId: "token-id", expiresAt: "expires-at" },
      labels: { a: "b" },
      annotations: {},
    });
  });
});
