import type * as Crypto from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { IssuedAccessToken, User } from "../../src/api/index.js";
import { signRequest } from "../../src/client/index.js";
import { registerResource } from "../support/fixtures.js";
import { RawConnection } from "../support/raw-http.js";
import { startTestServer, type TestServer } from "../support/token-server.js";

/**
 * The server side of the security requirements: constant-time comparison of credentials,
 * body size limits on every route that reads a body, and secrets kept out of responses,
 * logs and metrics wherever a client puts them. (Tokens in responses, logs, audit records
 * and tables on the ordinary paths: test/server/secrecy.test.ts.)
 */

// Counts every constant-time comparison the server makes, passing it through unchanged.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof Crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
const { timingSafeEqual } = await import("node:crypto");
const comparisons = vi.mocked(timingSafeEqual);

const BODY_LIMIT = 4096;

describe("security: comparisons, limits and secrets (server)", () => {
  let srv: TestServer;
  let me: User;
  let token: IssuedAccessToken;
  let conn: RawConnection;
  const create = async (body: Record<string, unknown>) =>
    (await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, { body })).body;

  beforeAll(async () => {
    srv = await startTestServer("postgres", { bodyLimitBytes: BODY_LIMIT });
    conn = new RawConnection(srv.server.port);
    await registerResource(srv, "orders", [{ pathPrefix: "/orders" }]);
    me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    token = await create({ name: "plain", type: "custom", permissions: ["orders:read"] });
  });
  afterAll(async () => {
    conn?.close();
    await srv?.close();
  });

  describe("credentials are compared in constant time", () => {
    it("checks the configured admin token by comparing HMACs with timingSafeEqual", async () => {
      // A credential not in our token format can only be the admin token: HMAC, then compare.
      const wrong = `${srv.adminToken.slice(0, -1)}${srv.adminToken.endsWith("a") ? "b" : "a"}`;
      comparisons.mockClear();
      expect((await srv.anonymous("GET", "/api/v1/user", { token: wrong })).status).toBe(401);
      const calls = comparisons.mock.calls;
      expect(calls.length).toBeGreaterThan(0);
      // Fixed-length digests, so not even the length of the admin token can be timed.
      for (const [a, b] of calls) {
        expect(Buffer.from(a as Uint8Array)).toHaveLength(32);
        expect(Buffer.from(b as Uint8Array)).toHaveLength(32);
      }
    });

    it("confirms a stored hash with timingSafeEqual when a token is first looked up", async () => {
      const fresh = await create({ name: "fresh" });
      comparisons.mockClear();
      const res = await srv.anonymous<{ code: string }>("POST", "/api/v1/verify", {
        body: { token: fresh.token },
      });
      expect(res.body.code).toBe("VALID");
      expect(comparisons).toHaveBeenCalled();
      expect(
        comparisons.mock.calls.every(
          ([a, b]) => (a as Uint8Array).length === 32 && (b as Uint8Array).length === 32,
        ),
      ).toBe(true);
    });

    it("checks a signed request's Content-Digest with timingSafeEqual", async () => {
      const signed = await create({ name: "signed", signedRequests: true });
      const body = JSON.stringify({ quantity: 1 });
      const url = "https://shop.example.com/orders/1";
      const headers = await signRequest({ method: "PUT", url, body }, signed.privateKey as string);
      comparisons.mockClear();
      const res = await srv.anonymous<{ code: string }>("POST", "/api/v1/verify", {
        body: { token: signed.token, request: { method: "PUT", url, headers, body } },
      });
      expect(res.body.code).toBe("VALID");
      expect(comparisons).toHaveBeenCalled();
    });

    it("has no ordinary equality on hashes, digests or the admin token in the server's code", () => {
      // A structural check to go with the calls above: secret-derived values are never
      // compared with ===, !==, Buffer#equals or Buffer#compare.
      const root = new URL("../../src/server/", import.meta.url).pathname;
      const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"));
      const offending = files.flatMap((file) =>
        readFileSync(join(root, file), "utf8")
          .split("\n")
          .map((line, i) => ({ where: `${file}:${i + 1}`, line }))
          .filter(({ line }) =>
            /\w*(hash|digest|adminToken|credential)\w*\s*[!=]==|[!=]==\s*\w*(hash|digest|adminToken|credential)|\.equals\(|Buffer\.compare\(/i.test(
              line,
            ),
          ),
      );
      expect(offending).toEqual([]);
    });
  });

  describe("bodies are size-limited everywhere", () => {
    it("answers 413 problem+json on every operation that takes a body, and on verify", async () => {
      const doc = (
        await srv.anonymous<{ paths: Record<string, Record<string, { requestBody?: unknown }>> }>(
          "GET",
          "/openapi.json",
        )
      ).body;
      const withBody = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods)
          .filter(([, op]) => op.requestBody)
          .map(([method, _]) => ({
            method: method.toUpperCase(),
            path: path.replace("{userId}", me.id).replace("{tokenId}", token.id),
          })),
      );
      expect(withBody.length).toBeGreaterThanOrEqual(6);
      const big = JSON.stringify({ name: "x".repeat(BODY_LIMIT) });
      for (const { method, path } of [...withBody, { method: "POST", path: "/api/v1/verify" }]) {
        for (const chunked of [false, true]) {
          const { responses } = await conn.exchange(
            {
              method,
              target: path,
              headers: [
                ["Host", "x"],
                ["Authorization", `Bearer ${srv.adminToken}`],
                ["Content-Type", "application/json"],
                chunked ? ["Transfer-Encoding", "chunked"] : ["Content-Length", String(big.length)],
              ],
              body: Buffer.from(chunked ? `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n` : big),
            },
            { fresh: true },
          );
          const [r] = responses;
          expect(r?.status, `${method} ${path} chunked=${chunked}`).toBe(413);
          expect(r?.headers["content-type"]).toContain("application/problem+json");
          expect(JSON.parse(r?.text ?? "{}")).toMatchObject({
            detail: `the body may be at most ${BODY_LIMIT} bytes`,
          });
        }
      }
    });

    it("refuses an announced oversized body at once, without waiting for it", async () => {
      // 10 GB announced, nothing sent: the answer comes from the Content-Length alone.
      for (const path of ["/api/v1/verify", `/api/v1/users/${me.id}/access-tokens`]) {
        const { responses } = await conn.exchange(
          {
            method: "POST",
            target: path,
            headers: [
              ["Host", "x"],
              ["Authorization", `Bearer ${srv.adminToken}`],
              ["Content-Type", "application/json"],
              ["Content-Length", String(10 * 1024 ** 3)],
            ],
          },
          { fresh: true },
        );
        expect(responses[0]?.status, path).toBe(413);
      }
      conn.close();
    });

    it("answers forward auth with a forwarded body over its 1 MiB limit, still checking the token", async () => {
      const body = Buffer.alloc((1 << 20) + 1, 97);
      for (const [credential, expected] of [
        [token.token, 200],
        ["tps_not-a-token", 401],
      ] as const) {
        const { responses } = await conn.exchange(
          {
            method: "GET",
            target: "/api/v1/authorize",
            headers: [
              ["Host", "x"],
              ["X-Forwarded-Method", "GET"],
              ["X-Forwarded-Uri", "/orders/1"],
              ["Authorization", `Bearer ${credential}`],
              ["Content-Length", String(body.length)],
            ],
            body,
          },
          { fresh: true },
        );
        expect(responses[0]?.status).toBe(expected);
      }
    });
  });

  describe("secrets stay out of responses, logs and metrics wherever a client puts them", () => {
    it("never echoes a token put where the server echoes input: keys, names, methods", async () => {
      const secret = token.token;
      // A user may be named anything, a token included; the 409 for the second one quotes the name.
      expect((await srv.admin("POST", "/api/v1/users", { body: { name: secret } })).status).toBe(201);
      const echoes = [
        await srv.admin("POST", "/api/v1/users", { body: { name: secret } }),
        await srv.admin("POST", `/api/v1/users/${me.id}/access-tokens`, { body: { name: "k", [secret]: 1 } }),
        await srv.anonymous("POST", "/api/v1/verify", { body: { token: "x", [secret]: 1 } }),
        await srv.admin("POST", `/api/v1/users/${me.id}/access-tokens`, {
          body: { name: "p", type: "custom", permissions: [`${secret}:read`] },
        }),
        await srv.admin("DELETE", `/api/v1/resources/${secret}`),
        await srv.anonymous("GET", "/api/v1/authorize", {
          headers: { "x-forwarded-method": secret, "x-forwarded-uri": "/orders/1" },
        }),
      ];
      for (const res of echoes) {
        expect(res.status).toBeLessThan(500);
        expect(res.text).not.toContain(secret.slice(8, 40));
        expect(res.text.toLowerCase()).not.toContain(secret.slice(8, 40).toLowerCase());
      }
    });

    it("keeps credential headers and tokens in URLs out of the logs", async () => {
      const signed = await signRequest(
        { method: "GET", url: "https://x/orders/1" },
        (await create({ name: "s2", signedRequests: true })).privateKey as string,
      );
      const secrets = [token.token, srv.adminToken, signed.signature as string];
      await srv.anonymous("GET", `/api/v1/user?access_token=${token.token}`, {
        headers: {
          authorization: `Bearer ${srv.adminToken}`,
          "private-token": token.token,
          "x-api-key": token.token,
          cookie: `session=${token.token}`,
          ...signed,
        },
      });
      await srv.anonymous(
        "GET",
        `/api/v1/nothing/${encodeURIComponent(srv.adminToken)}/${token.token.slice(0, 30)}`,
      );
      expect(srv.logs.lines.length).toBeGreaterThan(0);
      for (const secret of secrets) expect(srv.logs.text).not.toContain(secret.slice(8, 30));
    });

    it("keeps tokens out of /metrics, and its labels bounded whatever methods and paths arrive", async () => {
      const lines = async () => (await srv.anonymous<string>("GET", "/metrics")).text.split("\n").length;
      await srv.anonymous("GET", "/api/v1/authorize", {
        headers: {
          "x-forwarded-method": "GET",
          "x-forwarded-uri": "/orders/1",
          authorization: `Bearer ${token.token}`,
        },
      });
      const before = await lines();
      for (let i = 0; i < 300; i++) {
        await srv.anonymous("GET", "/api/v1/authorize", {
          headers: {
            "x-forwarded-method": `M${i}X`,
            "x-forwarded-uri": `/orders/${i}`,
            authorization: `Bearer ${token.token}`,
          },
        });
        await srv.anonymous("GET", `/api/v1/nowhere/${i}/${token.token}`);
      }
      const text = (await srv.anonymous<string>("GET", "/metrics")).text;
      expect(text).not.toContain(token.token.slice(8, 30));
      expect(text.toLowerCase()).not.toContain(token.token.slice(8, 30).toLowerCase());
      // A few new series (a status or two), not one per method or path sent.
      expect((await lines()) - before).toBeLessThan(60);
    });
  });
});
