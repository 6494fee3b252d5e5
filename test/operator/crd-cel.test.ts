import { isIP } from "node:net";
import { Environment } from "@marcbachmann/cel-js";
import { Ajv } from "ajv";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { isDuration, parseDuration, TOKEN_KINDS, TOKEN_TYPES } from "../../src/core/index.js";
import type { JSONSchemaProps, PlacedRule } from "../../src/crd/index.js";
import {
  accessTokenCrd,
  accessTokenSchema,
  celDurationMillis,
  clusterTokenServerCrd,
  CRD_DURATION_PATTERN,
  clusterTokenServerSchema,
  durationMillis,
  exampleAccessToken,
  exampleClusterTokenServer,
  parseAccessToken,
  parseClusterTokenServer,
  toStructuralSchema,
} from "../../src/crd/index.js";

/*
 * The CEL rules run here as the API server would run them, with cel-js standing in for cel-go.
 * cel-js lacks the Kubernetes regex library, so `find` is registered with the semantics
 * Kubernetes documents (Go's FindString: the leftmost match or "", which JavaScript's exec agrees
 * with for these RE2-compatible patterns).
 */
const cel = new Environment({ unlistedVariablesAreDyn: true })
  .registerVariable("self", "dyn")
  .registerVariable("oldSelf", "dyn")
  .registerFunction(
    "string.find(string): string",
    (s: string, re: string) => new RegExp(re).exec(s)?.[0] ?? "",
  );

/** JSON as CEL sees it: integers are int64. */
function toCel(value: unknown): unknown {
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  return value;
}

function evalCel(rule: PlacedRule["rule"], self: unknown, oldSelf: unknown = self): boolean {
  const result = cel.evaluate(rule.cel, { self: toCel(self), oldSelf: toCel(oldSelf) }) as unknown;
  if (typeof result !== "boolean") throw new Error(`${rule.cel} gave ${String(result)}`);
  return result;
}

const check = (rule: PlacedRule["rule"], self: unknown, oldSelf: unknown = self) =>
  (rule.check as (s: unknown, o: unknown) => boolean)(self, oldSelf);

/** Values at a rule's path; `*` is every list item or map value. */
function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [value];
  if (value === null || typeof value !== "object") return [];
  const [head, ...rest] = path as [string, ...string[]];
  if (head === "*") return Object.values(value).flatMap((v) => valuesAt(v, rest));
  const next = (value as Record<string, unknown>)[head];
  return next === undefined ? [] : valuesAt(next, rest);
}

/** What the API server does before validating: fill in schema defaults of absent fields. */
function applyDefaults(schema: JSONSchemaProps, value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return schema.items ? value.map((v) => applyDefaults(schema.items!, v)) : value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (out[name] === undefined && prop.default !== undefined) out[name] = structuredClone(prop.default);
    if (out[name] !== undefined) out[name] = applyDefaults(prop, out[name]);
  }
  return out;
}

function kubeAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true });
  ajv.addVocabulary(["x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-validations"]);
  ajv.addFormat("date-time", (v: string) => !isNaN(Date.parse(v)));
  ajv.addFormat("byte", (v: string) => Buffer.from(v, "base64").toString("base64") === v);
  ajv.addFormat("cidr", (v: string) => {
    const [ip, bits, extra] = v.split("/");
    const family = isIP(ip ?? "");
    return (
      extra === undefined &&
      family > 0 &&
      /^\d+$/.test(bits ?? "") &&
      Number(bits) <= (family === 4 ? 32 : 128)
    );
  });
  return ajv;
}

/**
 * A model of the API server: schema defaults, OpenAPI validation (ajv) and every CEL rule
 * (cel-js), including update rules when `old` is given.
 */
function apiServer(schema: z.ZodType, openApi: JSONSchemaProps) {
  const validate = kubeAjv().compile(openApi);
  const { rules } = toStructuralSchema(schema);
  return {
    rules,
    accepts(input: unknown, old?: unknown): boolean {
      const obj = applyDefaults(openApi, input);
      if (!validate(obj)) return false;
      const prev = old === undefined ? undefined : applyDefaults(openApi, old);
      return rules.every(({ path, rule }) => {
        if (rule.transition) {
          if (prev === undefined) return true;
          const [self] = valuesAt(obj, path);
          const [oldSelf] = valuesAt(prev, path);
          return self === undefined || oldSelf === undefined || evalCel(rule, self, oldSelf);
        }
        return valuesAt(obj, path).every((node) => evalCel(rule, node));
      });
    },
  };
}

const openApiOf = (crd: ReturnType<typeof accessTokenCrd>) => crd.spec.versions[0]!.schema.openAPIV3Schema;
const tokenApi = apiServer(accessTokenSchema, openApiOf(accessTokenCrd()));
const clusterServerApi = apiServer(clusterTokenServerSchema, openApiOf(clusterTokenServerCrd()));

// ---- generators -------------------------------------------------------------------------------

const UNITS = ["w", "d", "h", "m", "s", "ms"] as const;
const amount = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 100 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 999_999_999 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 999_999_999) },
);
const group = (u: string) =>
  fc.tuple(amount, fc.boolean()).map(([n, pad]) => `${pad && n < 1e8 ? "0" : ""}${n}${u}`);
/** What a CRD duration field accepts: units largest first, each at most once. */
const durationArb = fc
  .subarray([...UNITS], { minLength: 1, maxLength: 3 })
  .chain((units) => fc.tuple(...units.map(group)))
  .map((groups) => groups.join(""))
  .filter((d) => d.length <= 32);
/** What core's parseDuration accepts: any order, repeats allowed. */
const coreDurationArb = fc
  .array(fc.constantFrom(...UNITS).chain(group), { minLength: 1, maxLength: 4 })
  .map((groups) => groups.join(""));
const malformedDuration = fc.constantFrom(
  "1y",
  "",
  "1.5h",
  "-1d",
  "unlimited",
  "1d ",
  "9999999999s",
  "30m1h",
  "1h1h",
  "5ms5m",
);

const UNIT_MS = [
  ["w", 604_800_000n],
  ["d", 86_400_000n],
  ["h", 3_600_000n],
  ["m", 60_000n],
  ["s", 1_000n],
  ["ms", 1n],
] as const;

/** `ms` as a valid duration string (largest units first, groups of at most 9 digits), if one fits. */
function spell(ms: bigint): string | undefined {
  if (ms <= 0n) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of UNIT_MS) {
    if (rest >= size) {
      const n = rest / size;
      if (n > 999_999_999n) return undefined;
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out.length <= 32 ? out : undefined;
}

/** A duration equal to, just shorter or just longer than `ms`, spelled differently. */
function near(ms: bigint): fc.Arbitrary<string> {
  const spellings = [ms - 1n, ms, ms + 1n, ms / 3n, ms * 2n].flatMap((v) => spell(v) ?? []);
  return spellings.length ? fc.constantFrom(...spellings) : fc.constant("1s");
}

/** Mostly `valid`, now and then `invalid`: both outcomes stay common across a whole object. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: invalid });
/** Present half the time, as fc.record's optional keys are. */
/** A Secret key, now and then another key's default. */
const secretKeyArb = (own: string) =>
  mostly(fc.constantFrom(own, `my-${own}`), fc.constantFrom("token", "token-id", "expires-at"));

const specArb = fc
  .tuple(
    mostly(
      fc.oneof(fc.constant("unlimited"), fc.constantFrom("7d", "30d", "90d"), durationArb),
      malformedDuration,
    ),
    mostly(fc.constantFrom(undefined, ...TOKEN_TYPES, "custom"), fc.constant("admin")),
  )
  .chain(([duration, type]) => {
    const ms = durationMillis(duration);
    const finite = duration !== "unlimited";
    const rotationDuration = mostly(fc.oneof(durationArb, near(ms > 0n ? ms : 1000n)), malformedDuration);
    const permission = mostly(
      fc.constantFrom("a:read", "b:*", "*:read", "orders:create"),
      fc.constant("orders"),
    );
    return fc
      .record(
        {
          type: fc.constant(type),
          // Usually what the type wants: a list with custom, none otherwise.
          permissions:
            type === "custom"
              ? mostly(fc.uniqueArray(permission, { minLength: 1, maxLength: 3 }), fc.constant([]))
              : fc.oneof(
                  { weight: 6, arbitrary: fc.constant(undefined) },
                  { weight: 1, arbitrary: fc.constant(["a:read"]) },
                ),
          kind: fc.constantFrom(...TOKEN_KINDS),
          duration: fc.constant(duration),
          rotation: fc.record(
            {
              renewBefore: finite
                ? rotationDuration
                : fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, rotationDuration),
              gracePeriod: rotationDuration,
            },
            { requiredKeys: [] },
          ),
          rateLimit: fc.record({
            limit: mostly(fc.integer({ min: 1, max: 1000 }), fc.constant(0)),
            window: mostly(durationArb, malformedDuration),
          }),
          signedRequests: fc.boolean(),
          secretTemplate: fc.record(
            {
              name: mostly(fc.constantFrom("storefront", "other"), fc.constant("Bad_Name")),
              keys: fc.record(
                {
                  token: secretKeyArb("token"),
                  tokenId: secretKeyArb("token-id"),
                  expiresAt: secretKeyArb("expires-at"),
                },
                { requiredKeys: [] },
              ),
              labels: fc.dictionary(
                mostly(
                  fc.constantFrom("team", "app.kubernetes.io/name", "tokenplane.devx"),
                  fc.constantFrom(
                    "tokenplane.dev/access-token",
                    "tokenplane.dev/x",
                    "app.kubernetes.io/managed-by",
                  ),
                ),
                mostly(fc.constantFrom("v", ""), fc.constant("-bad-")),
                { maxKeys: 3 },
              ),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: ["kind", "duration"] },
      )
      .map((spec) => Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)));
  });

const tokenArb = fc
  .record({ name: fc.constantFrom("storefront", "other"), spec: specArb })
  .map(({ name, spec }) => ({
    apiVersion: "tokenplane.dev/v1alpha1",
    kind: "AccessToken",
    metadata: { name, namespace: "shop" },
    spec,
  }));

// ---- tests ------------------------------------------------------------------------------------

describe("durations in CEL", () => {
  const viaCel = (d: string) => cel.evaluate(celDurationMillis("self"), { self: d }) as bigint;

  it("add up to what core's parseDuration says for every CRD duration, exactly", () => {
    fc.assert(
      fc.property(durationArb, (d) => {
        expect(new RegExp(CRD_DURATION_PATTERN).test(d), d).toBe(true);
        // The CRD grammar is a subset of core's.
        expect(isDuration(d), d).toBe(true);
        expect(viaCel(d)).toBe(durationMillis(d));
        const viaCore = parseDuration(d);
        if (viaCore !== undefined && viaCore <= Number.MAX_SAFE_INTEGER)
          expect(viaCel(d)).toBe(BigInt(viaCore));
      }),
      { numRuns: 500 },
    );
  });

  it("are computed the same way in CEL and TypeScript, whatever the string", () => {
    fc.assert(
      fc.property(fc.oneof(coreDurationArb, malformedDuration, fc.string({ maxLength: 12 })), (d) => {
        expect(viaCel(d)).toBe(durationMillis(d));
      }),
      { numRuns: 500 },
    );
  });

  it("never overflow int64", () => {
    // Every unit at most once with at most 9 digits: the largest sum, whatever maxLength is.
    const worst = "999999999w999999999d999999999h999999999m999999999s999999999ms";
    expect(viaCel(worst)).toBe(durationMillis(worst));
    expect(viaCel(worst)).toBeLessThan(2n ** 63n - 1n);
  });

  it("tell minutes from milliseconds", () => {
    expect(viaCel("5ms")).toBe(5n);
    expect(viaCel("5m")).toBe(300_000n);
    expect(viaCel("5m5ms")).toBe(300_005n);
    expect(viaCel("1h30m15s")).toBe(5_415_000n);
  });
});

describe("CEL rules and their TypeScript checks", () => {
  const specRules = tokenApi.rules.filter((r) => !r.rule.transition);

  it("cover everything operator.md asks CEL for", () => {
    const messages = tokenApi.rules.map(
      (r) => `${[...r.path, ...r.rule.field].join(".")}: ${r.rule.message}`,
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^spec\.rotation\.renewBefore: must be shorter than duration/),
        expect.stringMatching(/^spec\.permissions: may only be set with type custom/),
        expect.stringMatching(/^spec\.secretTemplate\.name: is immutable/),
      ]),
    );
  });

  it("agree on generated AccessTokens, with and without the API server's defaults", () => {
    fc.assert(
      fc.property(tokenArb, (token) => {
        const defaulted = applyDefaults(openApiOf(accessTokenCrd()), token);
        for (const { path, rule } of specRules) {
          const raw = valuesAt(token, path);
          const nodes = valuesAt(defaulted, path);
          nodes.forEach((node, i) => {
            const expected = check(rule, node);
            expect(evalCel(rule, node), `${rule.cel}\n${JSON.stringify(node)}`).toBe(expected);
            expect(evalCel(rule, raw[i]), `${rule.cel} (no defaults)\n${JSON.stringify(raw[i])}`).toBe(
              expected,
            );
          });
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("agree on updates (the Secret name rule)", () => {
    const transition = tokenApi.rules.filter((r) => r.rule.transition);
    expect(transition).toHaveLength(1);
    fc.assert(
      fc.property(tokenArb, tokenArb, fc.boolean(), (a, b, sameName) => {
        const next = sameName ? { ...b, metadata: a.metadata } : b;
        for (const { rule } of transition) {
          expect(evalCel(rule, next, a)).toBe(check(rule, next, a));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("agree on label selector requirements", () => {
    const rules = clusterServerApi.rules;
    expect(rules).toHaveLength(1);
    const requirement = fc.record(
      {
        key: fc.constant("tokens"),
        operator: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist"),
        values: fc.array(fc.constantFrom("a", "b"), { maxLength: 2 }),
      },
      { requiredKeys: ["key", "operator"] },
    );
    fc.assert(
      fc.property(requirement, (req) => {
        for (const { rule } of rules) expect(evalCel(rule, req)).toBe(check(rule, req));
      }),
    );
  });
});

describe("parse functions and the API server model", () => {
  const outcomes = { accepted: 0, rejected: 0 };
  afterAll(() => {
    // Both outcomes must be common, or the agreement says little.
    expect(outcomes.accepted).toBeGreaterThan(150);
    expect(outcomes.rejected).toBeGreaterThan(150);
  });

  it("accept and reject the same generated AccessTokens", () => {
    fc.assert(
      fc.property(tokenArb, (token) => {
        const parsed = parseAccessToken(token);
        outcomes[parsed.ok ? "accepted" : "rejected"]++;
        const errors = parsed.ok ? "" : parsed.errors.map((e) => `${e.path}: ${e.message}`).join("\n");
        expect(tokenApi.accepts(token), `${JSON.stringify(token)}\n${errors}`).toBe(parsed.ok);
      }),
      { numRuns: 1500 },
    );
  });

  it("accept and reject the same updates", () => {
    fc.assert(
      fc.property(tokenArb, tokenArb, (old, next) => {
        // What is stored passed validation once; an invalid `old` cannot occur.
        fc.pre(parseAccessToken(old).ok);
        const update = { ...next, metadata: old.metadata };
        expect(tokenApi.accepts(update, old)).toBe(parseAccessToken(update, { old }).ok);
      }),
      { numRuns: 500 },
    );
  });

  const edge: [string, Record<string, unknown>, boolean][] = [
    ["renewBefore a third", { duration: "30d", rotation: { renewBefore: "10d" } }, true],
    ["renewBefore equal", { duration: "30d", rotation: { renewBefore: "30d" } }, false],
    ["equal in hours", { duration: "30d", rotation: { renewBefore: "720h" } }, false],
    ["a millisecond shorter", { duration: "30d", rotation: { renewBefore: "719h59m59s999ms" } }, true],
    ["weeks against days", { duration: "1w", rotation: { renewBefore: "7d" } }, false],
    ["weeks against days, shorter", { duration: "1w", rotation: { renewBefore: "6d23h" } }, true],
    ["milliseconds against a day", { duration: "1d", rotation: { renewBefore: "86400000ms" } }, false],
    ["a millisecond under a day", { duration: "1d", rotation: { renewBefore: "86399999ms" } }, true],
    ["leading zeros", { duration: "009d", rotation: { renewBefore: "8d" } }, true],
    ["compound duration", { duration: "1d12h", rotation: { renewBefore: "36h" } }, false],
    // Beyond 2^53 ms: a float comparison would call these equal.
    [
      "huge, 1ms apart",
      { duration: "999999999w", rotation: { renewBefore: "999999998w6d23h59m59s999ms" } },
      true,
    ],
    ["huge, equal", { duration: "999999999w", rotation: { renewBefore: "999999998w7d" } }, false],
    ["renewBefore with unlimited", { duration: "unlimited", rotation: { renewBefore: "1d" } }, false],
    ["renewBefore with the default duration", { rotation: { renewBefore: "1d" } }, false],
    ["gracePeriod with unlimited", { rotation: { gracePeriod: "1h" } }, true],
    ["gracePeriod as long as the token", { duration: "1h", rotation: { gracePeriod: "60m" } }, false],
    ["zero duration", { duration: "0ms" }, false],
    ["zero renewBefore", { duration: "1h", rotation: { renewBefore: "0s" } }, false],
    ["zero gracePeriod", { duration: "1h", rotation: { gracePeriod: "0s" } }, true],
    ["custom without permissions", { type: "custom" }, false],
    ["custom with permissions", { type: "custom", permissions: ["*:read"] }, true],
    ["full-access with permissions", { type: "full-access", permissions: ["*:read"] }, false],
    ["default type with permissions", { permissions: ["*:read"] }, false],
    ["empty permissions, default type", { permissions: [] }, false],
    [
      "keys spelled like the defaults",
      { secretTemplate: { keys: { token: "token", tokenId: "token-id" } } },
      true,
    ],
    ["a key taking another's default", { secretTemplate: { keys: { expiresAt: "token-id" } } }, false],
    ["a label under tokenplane.dev", { secretTemplate: { labels: { "tokenplane.dev/x": "y" } } }, false],
    ["a label that only looks like it", { secretTemplate: { labels: { "tokenplane.devx/y": "y" } } }, true],
    ["zero rate window", { rateLimit: { limit: 1, window: "0ms" } }, false],
  ];

  it.each(edge)("%s", (_name, spec, accepted) => {
    const token = { ...exampleAccessToken(), spec };
    expect(tokenApi.accepts(token)).toBe(accepted);
    expect(parseAccessToken(token).ok).toBe(accepted);
  });

  it("agree on the examples", () => {
    expect(tokenApi.accepts(exampleAccessToken())).toBe(true);
    expect(clusterServerApi.accepts(exampleClusterTokenServer())).toBe(true);
    expect(parseClusterTokenServer(exampleClusterTokenServer()).ok).toBe(true);
  });
});
