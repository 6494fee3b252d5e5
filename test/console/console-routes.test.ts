import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverOptionsFromEnv } from "../../src/server/index.js";
import { startTestServer, type TestServer } from "../support/token-server.js";

/** How the token server serves the built console: no credentials, strict headers, SPA paths. */

let dir: string;
let ts: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tokenplane-console-files-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>console</title>");
  writeFileSync(join(dir, "assets", "index-abc123.js"), "export {};\n");
  ts = await startTestServer("pglite", { consoleDir: dir });
});

afterAll(async () => {
  await ts?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("console routes", () => {
  it("serves index.html at /console/ and every console path, without credentials", async () => {
    for (const path of ["/console", "/console/", "/console/users", "/console/audit"]) {
      const res = await fetch(ts.url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/html");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(await res.text()).toContain("<title>console</title>");
    }
  });

  it("sends a strict CSP and framing and sniffing protection with every file", async () => {
    for (const path of ["/console/", "/console/assets/index-abc123.js"]) {
      const res = await fetch(ts.url + path);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });

  it("caches hashed assets for good and answers a missing one with a problem", async () => {
    const asset = await fetch(`${ts.url}/console/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toContain("javascript");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    const missing = await fetch(`${ts.url}/console/assets/index-gone.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("application/problem+json");
  });

  it("says how to build the console when it has not been built", async () => {
    rmSync(join(dir, "index.html"));
    try {
      const res = await fetch(`${ts.url}/console/`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { detail: string };
      expect(body.detail).toContain("npm run build");
    } finally {
      writeFileSync(join(dir, "index.html"), "<!doctype html><title>console</title>");
    }
  });

  it("leaves the API as it was: management calls still need a token", async () => {
    const res = await fetch(`${ts.url}/api/v1/user`);
    expect(res.status).toBe(401);
  });
});

describe("turning the console off", () => {
  it("serves no console with console: false", async () => {
    const off = await startTestServer("pglite", { consoleDir: dir, console: false });
    try {
      const res = await fetch(`${off.url}/console/`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-security-policy")).toBeNull();
    } finally {
      await off.close();
    }
  });

  it("reads TOKENPLANE_CONSOLE, naming it when it is wrong", () => {
    expect(serverOptionsFromEnv({ TOKENPLANE_CONSOLE: "false" }).console).toBe(false);
    expect(serverOptionsFromEnv({ TOKENPLANE_CONSOLE: "true" }).console).toBe(true);
    expect(serverOptionsFromEnv({}).console).toBeUndefined();
    expect(() => serverOptionsFromEnv({ TOKENPLANE_CONSOLE: "off" })).toThrow(
      /TOKENPLANE_CONSOLE: must be true or false/,
    );
    // A flag wins over the environment (the CLI passes --no-console as console: false).
    expect(serverOptionsFromEnv({ TOKENPLANE_CONSOLE: "true" }, { console: false }).console).toBe(false);
  });
});
