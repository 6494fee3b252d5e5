import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User, VerifyResult } from "../../src/api/index.js";
import { startDataPlane } from "../../src/server/index.js";
import { registerResource } from "../support/fixtures.js";
import { runCli, startCli } from "../support/cli.js";
import { type Client, client } from "../support/http.js";
import { startTestServer, type TestServer } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

/** Revocations must reach every replica's verification cache within a second, data-plane ones too. */
const PROPAGATION_BOUND_MS = 1000;
const LOADED_PACKAGES = fileURLToPath(new URL("../support/loaded-packages.ts", import.meta.url));

describe("a data-plane server (--role data-plane) next to a full server on one PostgreSQL", () => {
  let full: TestServer;
  let plane: ReturnType<typeof startCli>;
  let onPlane: Client;
  let me: User;

  beforeAll(async () => {
    full = await startTestServer("postgres");
    plane = startCli(
      ["server", "--role", "data-plane", "--port", "0", "--host", "127.0.0.1", "--log-level", "info"],
      { DATABASE_URL: full.options.databaseUrl, TOKENPLANE_PEPPER: full.options.pepper },
      ["--import", LOADED_PACKAGES],
    );
    const port = await waitFor(() => /"port":(\d+)/.exec(plane.out.stdout)?.[1], {
      timeoutMs: 30_000,
      what: "the data-plane server to listen",
    });
    onPlane = client(`http://127.0.0.1:${port}`);
    me = (await full.admin<User>("GET", "/api/v1/user")).body;
    await registerResource(full, "orders", [{ pathPrefix: "/orders" }]);
  });
  afterAll(async () => {
    plane.child.kill("SIGTERM");
    await plane.exited;
    await full.close();
  });

  const issue = async (body: Record<string, unknown>) =>
    (await full.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, { body })).body;
  const verify = async (token: string, permission?: string) =>
    (
      await onPlane<VerifyResult>("POST", "/api/v1/verify", {
        body: { token, ...(permission ? { permission } : {}) },
      })
    ).body;

  it("verifies and forward-authorizes the tokens the full server issues", async () => {
    const t = await issue({ name: "reader", type: "custom", permissions: ["orders:read"] });
    const verdict = await verify(t.token, "orders:read");
    expect(verdict.code).toBe("VALID");
    expect((await verify(t.token, "orders:create")).code).toBe("FORBIDDEN");
    const headers = { "x-original-method": "GET", "x-original-uri": "/orders/42" };
    const allowed = await onPlane("GET", "/api/v1/authorize", { token: t.token, headers });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("x-token-id")).toBe(t.id);
    const refused = await onPlane("GET", "/api/v1/authorize", {
      token: t.token,
      headers: { ...headers, "x-original-method": "POST" },
    });
    expect(refused.status).toBe(403);
  });

  it("refuses a token revoked on the full server within a second, though it had it cached", async () => {
    const t = await issue({ name: "revoked" });
    expect((await verify(t.token)).code).toBe("VALID");
    expect((await verify(t.token)).code).toBe("VALID");
    expect((await full.admin("DELETE", `/api/v1/users/${me.id}/access-tokens/${t.id}`)).status).toBe(204);
    await waitFor(async () => (await verify(t.token)).code === "NOT_FOUND", {
      timeoutMs: PROPAGATION_BOUND_MS,
      intervalMs: 10,
      what: "the data plane to refuse the revoked token",
    });
  });

  it("answers the management API and the console with a 404 that says it is a data-plane server", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/user"],
      ["POST", `/api/v1/users/${me.id}/access-tokens`],
      ["GET", "/console"],
    ] as const) {
      const answer = await onPlane<{ detail: string }>(method, path, {
        token: full.adminToken,
        body: method === "POST" ? { name: "x" } : undefined,
      });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
      expect(answer.body.detail).toContain("data-plane server");
    }
    // Nothing was issued through it.
    const names = (
      await full.admin<{ items: { name: string }[] }>("GET", `/api/v1/users/${me.id}/access-tokens`)
    ).body.items.map((t) => t.name);
    expect(names).not.toContain("x");
  });

  it("serves the probes and metrics, and documents only what it serves", async () => {
    expect((await onPlane("GET", "/healthz")).status).toBe(200);
    expect((await onPlane("GET", "/readyz")).status).toBe(200);
    const metrics = await onPlane("GET", "/metrics");
    expect(metrics.text).toContain('route="/api/v1/verify"');
    const doc = await onPlane<{ paths: Record<string, unknown> }>("GET", "/openapi.json");
    const paths = Object.keys(doc.body.paths);
    expect(paths).toEqual(expect.arrayContaining(["/api/v1/verify", "/api/v1/authorize", "/healthz"]));
    expect(paths.filter((p) => p.includes("/users"))).toEqual([]);
  });

  // Last: it stops the process. V8 keeps one set of feedback per process, so a process that
  // never runs Express keeps the hot path's call sites monomorphic.
  it("never loads Express or pino-http", async () => {
    plane.child.kill("SIGTERM");
    await plane.exited;
    const loaded = /loaded packages: (.*)/.exec(plane.out.stderr)?.[1];
    expect(loaded, plane.out.stderr).toBeDefined();
    const packages = JSON.parse(loaded ?? "[]") as string[];
    expect(packages).toContain("pg");
    expect(packages).not.toContain("express");
    expect(packages).not.toContain("pino-http");
  });
});

describe("data-plane configuration", () => {
  it("refuses to start without PostgreSQL, saying why", async () => {
    const result = runCli(["server", "--role", "data-plane", "--port", "0"], { DATABASE_URL: "" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("a data-plane server needs DATABASE_URL");
    await expect(startDataPlane({ memory: true })).rejects.toThrow(/needs DATABASE_URL/);
  });

  it("names the allowed roles for a wrong one", () => {
    const result = runCli(["server", "--role", "control"], { TOKENPLANE_ROLE: "" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("Allowed choices are all, data-plane");
  });
});
