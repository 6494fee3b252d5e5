import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeError } from "../../src/operator/index.js";
import {
  readyCondition,
  printLogOnFailure,
  startOperatorEnv,
  type OperatorEnv,
} from "../support/operator-env.js";
import { waitFor } from "../support/wait.js";

/*
 * Random and malformed AccessToken specs, through the Kubernetes API to the operator: the API
 * server (the CRD's schema and CEL rules) refuses what is malformed, naming the field; what
 * it accepts, the operator either issues or says why not, in the Ready condition of that very
 * generation; it never crashes, never hangs, and every AccessToken can be deleted.
 */

let env: OperatorEnv;
printLogOnFailure(() => env);

beforeAll(async () => {
  env = await startOperatorEnv({ name: "props" });
});

afterAll(async () => {
  await env?.close();
  expect(env.logs.lines.filter((l) => l.includes('"level":50'))).toEqual([]);
  expect(env.target.fixture?.unexpectedErrors() ?? []).toEqual([]);
});

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
/** Mostly one of `valid`, now and then one of `invalid` (so that most specs pass the schema). */
const mostly = <T>(valid: T[], invalid: T[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...valid), weight: 12 },
    { arbitrary: fc.constantFrom(...invalid), weight: 1 },
  );

const specArb = fc
  .record({
    type: maybe(mostly<unknown>(["read-only", "full-access", "custom"], ["everything", 7])),
    permissions: maybe(
      fc.uniqueArray(mostly(["orders:read", "articles:*", "*:read", "ghosts:read"], ["orders", "a b:read"]), {
        maxLength: 3,
      }),
    ),
    kind: maybe(mostly(["secret", "publishable"], ["public"])),
    description: maybe(fc.string({ maxLength: 40 })),
    duration: maybe(mostly(["unlimited", "7d", "30d", "12h", "1h30m"], ["0s", "30x", "-1d", "30m1h"])),
    rotation: maybe(
      fc.record({
        renewBefore: maybe(mostly(["1h", "10d"], ["0s", "soon"])),
        gracePeriod: maybe(mostly(["0s", "1h", "31d"], ["later"])),
      }),
    ),
    allowedDomains: maybe(
      fc.uniqueArray(mostly(["shop.example.com", "*.example.com"], ["bad domain"]), { maxLength: 2 }),
    ),
    allowedIps: maybe(
      fc.uniqueArray(mostly(["10.0.0.0/8", "2001:db8::/32"], ["10.0.0.1", "300.1.1.1/8"]), { maxLength: 2 }),
    ),
    credits: maybe(fc.record({ limit: fc.integer({ min: -1, max: 3_000_000_000 }) })),
    rateLimit: maybe(
      fc.record({ limit: fc.integer({ min: 0, max: 2_000_000 }), window: mostly(["1m", "2d"], ["0s"]) }),
    ),
    signedRequests: maybe(fc.boolean()),
    deletionPolicy: maybe(mostly(["Revoke", "Retain"], ["Keep"])),
    secretTemplate: maybe(
      fc.record({
        type: maybe(fc.constantFrom("Opaque", "example.com/token")),
        keys: maybe(fc.record({ token: maybe(mostly(["token", "key", "token-id"], ["bad key"])) })),
        labels: maybe(mostly<Record<string, string>>([{ team: "shop" }], [{ "tokenplane.dev/x": "y" }])),
      }),
    ),
    serverRef: maybe(
      mostly<Record<string, string>>(
        [
          { kind: "ClusterTokenServer", name: "embedded" },
          { kind: "ClusterTokenServer", name: "nowhere" },
        ],
        [{ kind: "Elsewhere", name: "x" }],
      ),
    ),
  })
  .map((spec) => JSON.parse(JSON.stringify(spec)) as Record<string, unknown>);

describe("random AccessToken specs", () => {
  it("are refused naming the field, or issued, or reported not ready with a reason; and can always be deleted", async () => {
    let n = 0;
    const outcomes = { refused: 0, ready: 0, notReady: 0 };
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        const name = `random-${n++}`;
        let created;
        try {
          created = await env.apply(name, spec);
        } catch (err) {
          expect(err).toBeInstanceOf(KubeError);
          expect((err as KubeError).status).toBe(422);
          expect((err as KubeError).message).toMatch(/spec/);
          outcomes.refused++;
          return;
        }
        const at = await waitFor(
          async () => {
            const current = await env.get(name);
            const ready = readyCondition(current);
            return ready && ready.observedGeneration === created.metadata.generation && current;
          },
          { what: `a Ready condition for ${name} ${JSON.stringify(spec)}` },
        );
        const ready = readyCondition(at)!;
        expect(ready.reason).toMatch(/^[A-Z][A-Za-z]+$/);
        if (ready.status === "True") {
          outcomes.ready++;
          const secret = await env.secret(at.status!.secretName!);
          expect(secret?.raw.metadata.annotations?.["tokenplane.dev/token-id"]).toBe(at.status?.tokenId);
        } else {
          outcomes.notReady++;
          expect(ready.message.length).toBeGreaterThan(0);
        }
        await env.remove(name);
      }),
      { numRuns: 30 },
    );
    // The generator reaches all three outcomes.
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.ready + outcomes.notReady).toBeGreaterThan(0);
  }, 120_000);
});
