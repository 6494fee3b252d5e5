import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TokenplaneTokens } from "../../src/provider/index.js";
import { appliedObjects, synthStack } from "../support/cdktf.js";
import { customResourceErrors } from "../support/crd-validator.js";

/*
 * Synth-time validation and the API server agree: whatever spec a team writes, `cdktf synth`
 * succeeds exactly when the AccessToken it produces would pass the CRD (OpenAPI schema and CEL
 * rules, run here by ajv and cel-js), and every failure names spec fields.
 */

const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 30, arbitrary: valid }, { weight: 1, arbitrary: invalid });
const optional = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: arb });

const shortDuration = mostly(
  fc.constantFrom("1s", "30m", "1h", "12h"),
  fc.constantFrom("1y", "0s", "1h1h", "", "90d"),
);
const durationOrUnlimited = mostly(
  fc.constantFrom("unlimited", "7d", "30d", "90d", "1d12h"),
  fc.constantFrom("1y", "0s", "forever", "1h"),
);
const permission = mostly(
  fc.constantFrom("orders:read", "orders:*", "*:read", "articles:create", "a.b-c:delete"),
  fc.constantFrom("orders", "orders:write", ":read", "orders:read:x"),
);

const specArb: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      description: fc.oneof(fc.string({ maxLength: 20 }), fc.constant("uses ${x} and %{y}")),
      type: mostly(fc.constantFrom("read-only", "full-access", "custom"), fc.constant("admin")),
      kind: mostly(fc.constantFrom("secret", "publishable"), fc.constant("private")),
      duration: durationOrUnlimited,
      rotation: fc.record(
        { renewBefore: optional(shortDuration), gracePeriod: optional(shortDuration) },
        { requiredKeys: [] },
      ),
      allowedDomains: fc.array(
        mostly(
          fc.constantFrom("shop.example.com", "*.example.com", "localhost:8080"),
          fc.constant("not a host"),
        ),
        {
          maxLength: 2,
        },
      ),
      allowedIps: fc.array(
        mostly(fc.constantFrom("10.0.0.0/8", "2001:db8::/32"), fc.constant("10.0.0.0/33")),
        {
          maxLength: 2,
        },
      ),
      credits: fc.record(
        {
          limit: mostly(fc.integer({ min: 0, max: 1_000_000 }), fc.constant(-1)),
          refill: optional(
            fc.record({
              amount: mostly(fc.integer({ min: 1, max: 1000 }), fc.constant(0)),
              interval: mostly(fc.constantFrom("daily", "weekly", "monthly"), fc.constant("hourly")),
            }),
          ),
        },
        { requiredKeys: ["limit"] },
      ),
      rateLimit: fc.record({
        limit: mostly(fc.integer({ min: 1, max: 10_000 }), fc.constant(0)),
        window: shortDuration,
      }),
      signedRequests: fc.boolean(),
      secretTemplate: fc.record(
        {
          name: mostly(fc.constantFrom("storefront-token", "a.b"), fc.constant("Bad_Name")),
          keys: fc.record(
            { token: fc.constantFrom("token", "API_TOKEN"), tokenId: fc.constantFrom("token-id", "token") },
            { requiredKeys: [] },
          ),
          labels: fc.dictionary(
            mostly(fc.constantFrom("team", "app.kubernetes.io/name"), fc.constant("tokenplane.dev/x")),
            mostly(fc.constantFrom("shop", ""), fc.constant("-bad-")),
            { maxKeys: 2 },
          ),
        },
        { requiredKeys: [] },
      ),
      deletionPolicy: mostly(fc.constantFrom("Revoke", "Retain"), fc.constant("Delete")),
      rolloutRestartTargets: fc.array(
        fc.record({
          kind: mostly(fc.constantFrom("Deployment", "StatefulSet", "DaemonSet"), fc.constant("Job")),
          name: fc.constantFrom("web", "worker"),
        }),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: [] },
  )
  .chain((spec) =>
    // Permissions usually as the type wants them: a list with custom, none otherwise.
    fc
      .record(
        {
          permissions:
            spec.type === "custom"
              ? mostly(fc.uniqueArray(permission, { minLength: 1, maxLength: 3 }), fc.constant([]))
              : mostly(fc.constant(undefined), fc.constant(["orders:read"])),
        },
        { requiredKeys: [] },
      )
      .map((extra) => ({ ...spec, ...extra })),
  )
  .map((spec) => Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)));

describe("synth-time validation, against the CRD", () => {
  it("accepts exactly the specs the API server accepts, and names spec fields when it refuses", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(specArb, (spec) => {
        let error: string | undefined;
        let objects: Record<string, unknown>[] = [];
        try {
          const tf = synthStack((stack) => {
            new TokenplaneTokens(stack, "shop", { namespace: "shop" }).addToken("storefront", spec);
          });
          objects = appliedObjects(tf);
        } catch (e) {
          error = (e as Error).message;
        }
        const object = {
          apiVersion: "tokenplane.dev/v1alpha1",
          kind: "AccessToken",
          metadata: { name: "storefront", namespace: "shop" },
          spec,
        };
        const crdErrors = customResourceErrors(object);
        if (error === undefined) {
          accepted++;
          expect(crdErrors).toEqual([]);
          expect(objects[0]?.spec).toEqual(spec);
        } else {
          refused++;
          expect(crdErrors.length, error).toBeGreaterThan(0);
          const lines = error.split("\n").filter((l) => l.includes("[test/"));
          expect(lines.length).toBeGreaterThan(0);
          for (const line of lines)
            expect(line).toMatch(
              /^\s*\[test\/shop\/storefront\] AccessToken shop\/storefront: spec(\.|\[|:)/,
            );
        }
      }),
      { numRuns: 200 },
    );
    // Both outcomes are common enough for the property to mean something.
    expect(accepted).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  });
});
