import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User } from "../../src/api/index.js";
import { generateToken } from "../../src/core/index.js";
import { createLogger } from "../../src/server/index.js";
import { startCli } from "../support/cli.js";
import {
  LogCapture,
  startTestServer,
  startTestServerWith,
  type TestServer,
} from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("X-Request-Id", () => {
  let srv: TestServer;
  let token: IssuedAccessToken;
  beforeAll(async () => {
    srv = await startTestServer("pglite");
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    token = (
      await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name: "id", type: "read-only" },
      })
    ).body;
  });
  afterAll(() => srv.close());

  it("echoes and logs a plain id, and replaces one that is long, odd or shaped like a token", async () => {
    const plain = await srv.admin("GET", "/api/v1/user", { headers: { "x-request-id": "req-42:a.b_c" } });
    expect(plain.headers.get("x-request-id")).toBe("req-42:a.b_c");
    await waitFor(() => srv.logs.text.includes('"id":"req-42:a.b_c"'), { what: "the logged request id" });

    for (const given of [
      token.token,
      `req-${token.token}`,
      generateToken("publishable"),
      `TPS_${token.token.slice(4)}`,
      "x".repeat(129),
      "a b",
    ]) {
      const res = await srv.admin("GET", "/api/v1/user", { headers: { "x-request-id": given } });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-request-id"), given).toMatch(UUID);
    }
    // The request log is written once the response has finished: wait for the last one.
    const lines = srv.logs.lines.length;
    await srv.admin("GET", "/api/v1/user");
    await waitFor(() => srv.logs.lines.length > lines, { what: "the request log" });
    expect(srv.logs.text).not.toContain(token.token.slice(8));
  });
});

describe("the log", () => {
  it("never carries anything shaped like a token, in any field, message or error", () => {
    const logs = new LogCapture();
    const log = createLogger({ level: "debug", destination: logs });
    const secret = generateToken("secret");
    const publishable = generateToken("publishable");
    const rest = secret.slice(8);
    log.info({ nested: { deep: [`x ${secret} y`] }, [secret]: 1 }, `message with ${publishable}`);
    log.error({ err: new Error(`bad token ${secret}`) }, "failed");
    log.warn({ url: `/x?t=${encodeURIComponent(secret).replace("_", "%5F")}` }, "encoded");
    log.child({ requestId: secret.slice(0, 30) }).debug(`truncated ${secret.slice(0, 40)}"quoted\\`);
    log.info({ shown: secret.slice(0, 8) }, "a display prefix stays");
    log.flush();
    expect(logs.lines).toHaveLength(5);
    for (const line of logs.lines) {
      expect(() => JSON.parse(line) as unknown, line).not.toThrow();
      expect(line).not.toContain(rest.slice(0, 12));
      expect(line).not.toContain(publishable.slice(8, 20));
    }
    expect(logs.text).toContain(`"shown":"${secret.slice(0, 8)}"`);
  });
});

describe("TOKENPLANE_ADMIN_TOKEN", () => {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-hygiene-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses to start with a predictable admin token, saying what is required", async () => {
    const weak = "a".repeat(32);
    const run = startCli(["server", "--port", "0", "--host", "127.0.0.1", "--data-dir", join(dir, "cli")], {
      TOKENPLANE_ADMIN_TOKEN: weak,
    });
    try {
      await waitFor(() => run.child.exitCode !== null || run.out.stdout.includes("listening"), {
        timeoutMs: 30_000,
        what: "the server to exit or listen",
      });
    } finally {
      if (run.child.exitCode === null) run.child.kill("SIGTERM");
    }
    expect(await run.exited).toBe(1);
    expect(run.out.stderr).toContain("TOKENPLANE_ADMIN_TOKEN");
    expect(run.out.stderr).toContain("too predictable");
    expect(run.out.stderr).toContain("tokenplane generate-token");
    expect(run.out.stderr + run.out.stdout).not.toContain(weak);
  });

  it("refuses repeats, runs and tiny alphabets when embedded too, and takes random values", async () => {
    for (const weak of [
      "ab".repeat(16),
      "passwordpasswordpasswordpassword",
      "abcdefghijklmnopqrstuvwxyz012345",
      "0123456789".repeat(4),
      "admin-admin-admin-admin-admin-admin",
    ]) {
      await expect(startTestServerWith({ memory: true, adminToken: weak }), weak).rejects.toThrow(
        /TOKENPLANE_ADMIN_TOKEN is too predictable/,
      );
    }
    await expect(startTestServerWith({ memory: true, adminToken: "short" })).rejects.toThrow(
      /at least 32 characters/,
    );
    for (const strong of [randomBytes(16).toString("hex"), generateToken("secret")]) {
      const srv = await startTestServerWith({ memory: true, adminToken: strong });
      expect((await srv.admin("GET", "/api/v1/user")).status).toBe(200);
      await srv.close();
    }
  });
});
