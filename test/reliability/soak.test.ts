import autocannon, { type Request } from "autocannon";
import fc from "fast-check";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User } from "../../src/api/index.js";
import { registerResource } from "../support/fixtures.js";
import { startTestServer, type TestServer } from "../support/token-server.js";
import { unissuedToken } from "../support/token-variants.js";

/**
 * A bounded soak: a fixed number of verifications through one in-process server (verify
 * API and forward auth; valid, invalid, unknown, rate-limited, forbidden and credit
 * tokens), asserting that every answer is the expected one, nothing errors, and memory
 * after a warm-up does not grow beyond a bound. Speed is the bench's business, not this.
 */
const WARMUP = 20_000;
const MEASURED = 100_000;
const CONNECTIONS = 16;
/**
 * Growth over the MEASURED requests, after GC. The heap typically grows well under 1 MiB;
 * a leak of ~100 bytes per verification exceeds the bound. RSS is noisier, so looser.
 */
const HEAP_GROWTH_BOUND = 8 * 1024 * 1024;
const RSS_GROWTH_BOUND = 64 * 1024 * 1024;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

describe("soak: verification under sustained load", () => {
  let srv: TestServer;
  let tokens: Record<"valid" | "forbidden" | "rate" | "credit", IssuedAccessToken>;

  beforeAll(async () => {
    srv = await startTestServer("postgres", { trustProxy: "loopback" });
    await registerResource(srv, "orders", [{ pathPrefix: "/orders" }]);
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    const create = async (body: Record<string, unknown>) =>
      (await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, { body })).body;
    tokens = {
      valid: await create({ name: "valid", type: "custom", permissions: ["orders:read"] }),
      forbidden: await create({ name: "forbidden", type: "custom", permissions: ["orders:create"] }),
      rate: await create({ name: "rate", rateLimit: { limit: 50, window: "1h" } }),
      credit: await create({ name: "credit", credits: { remaining: 10_000_000 } }),
    };
  });
  afterAll(() => srv?.close());

  it(
    `answers ${WARMUP + MEASURED} verifications correctly, without errors or memory growth`,
    { timeout: 120_000 },
    async () => {
      const codes = new Map<string, number>();
      const wrong: string[] = [];
      const tally = (key: string) => codes.set(key, (codes.get(key) ?? 0) + 1);
      // Never issued, well-formed: each needs a storage lookup, and none may be remembered.
      const unknown = fc.sample(unissuedToken, { numRuns: 2000 });
      const badChecksum = `${tokens.valid.token.slice(0, -1)}${tokens.valid.token.endsWith("A") ? "B" : "A"}`;
      let next = 0;
      const verify = (name: string, token: () => string, permission: string, expected: RegExp): Request => ({
        method: "POST",
        path: "/api/v1/verify",
        headers: { "content-type": "application/json" },
        setupRequest: (req: Request) => ({ ...req, body: JSON.stringify({ token: token(), permission }) }),
        onResponse: (status: number, body: string) => {
          const code = /"code":"([A-Z_]+)"/.exec(body)?.[1] ?? `HTTP ${status}`;
          tally(`${name} ${code}`);
          if (status !== 200 || !expected.test(code)) wrong.push(`${name}: ${status} ${body.slice(0, 200)}`);
        },
      });
      const authorize = (name: string, token: string, expected: number[]): Request => ({
        method: "GET",
        path: "/api/v1/authorize",
        headers: {
          "x-forwarded-method": "GET",
          "x-forwarded-uri": "/orders/1",
          authorization: `Bearer ${token}`,
        },
        onResponse: (status: number) => {
          tally(`${name} ${status}`);
          if (!expected.includes(status)) wrong.push(`${name}: ${status}`);
        },
      });
      const requests: Request[] = [
        verify("valid", () => tokens.valid.token, "orders:read", /^VALID$/),
        verify("valid", () => tokens.valid.token, "orders:read", /^VALID$/),
        verify("forbidden", () => tokens.forbidden.token, "orders:read", /^FORBIDDEN$/),
        verify("bad-checksum", () => badChecksum, "orders:read", /^NOT_FOUND$/),
        verify("unknown", () => unknown[next++ % unknown.length] as string, "orders:read", /^NOT_FOUND$/),
        verify("rate", () => tokens.rate.token, "orders:read", /^(VALID|RATE_LIMITED)$/),
        verify("credit", () => tokens.credit.token, "orders:read", /^VALID$/),
        authorize("authorize-valid", tokens.valid.token, [200]),
        authorize("authorize-forbidden", tokens.forbidden.token, [403]),
        authorize("authorize-unknown", "tps_nothing", [401]),
      ];
      const run = async (amount: number) => {
        const result = await autocannon({ url: srv.url, connections: CONNECTIONS, amount, requests });
        expect(result.errors, "connection errors").toBe(0);
        expect(result.timeouts, "timeouts").toBe(0);
        for (const status of Object.keys(result.statusCodeStats ?? {}))
          expect(Number(status)).toBeLessThan(500);
        return result;
      };
      const settle = () => {
        gc();
        gc();
        return process.memoryUsage();
      };

      await run(WARMUP);
      const before = settle();
      const measured = await run(MEASURED);
      const after = settle();

      expect(wrong.slice(0, 5)).toEqual([]);
      expect(measured.requests.total).toBeGreaterThanOrEqual(MEASURED);
      const total = [...codes.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(WARMUP + MEASURED);
      // The rate-limited token was let through exactly its limit (one window, one replica);
      // the credit token spent exactly one credit per VALID answer.
      expect(codes.get("rate VALID")).toBe(50);
      expect(codes.get("rate RATE_LIMITED") ?? 0).toBeGreaterThan(0);
      const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
      const credit = await srv.admin<{ credits: { remaining: number } }>(
        "GET",
        `/api/v1/users/${me.id}/access-tokens/${tokens.credit.id}`,
      );
      expect(10_000_000 - credit.body.credits.remaining).toBe(codes.get("credit VALID"));
      // Unknown tokens are not cached: the cache holds the few real ones.
      const metrics = (await srv.anonymous<string>("GET", "/metrics")).text;
      expect(Number(/^tokenplane_verification_cache_entries (\d+)/m.exec(metrics)?.[1])).toBeLessThanOrEqual(
        10,
      );

      const growth = { heap: after.heapUsed - before.heapUsed, rss: after.rss - before.rss };
      expect(growth.heap, JSON.stringify({ before, after })).toBeLessThan(HEAP_GROWTH_BOUND);
      expect(growth.rss, JSON.stringify({ before, after })).toBeLessThan(RSS_GROWTH_BOUND);
    },
  );
});
