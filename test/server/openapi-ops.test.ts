import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User } from "../../src/api/index.js";
import { startTestServer, type TestServer } from "../support/token-server.js";

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { operationId: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }
    >
  >;
  components: { schemas: Record<string, unknown> };
};

describe("OpenAPI document and operations endpoints", () => {
  let srv: TestServer;
  let doc: Doc;
  beforeAll(async () => {
    srv = await startTestServer("pglite");
    doc = (await srv.anonymous<Doc>("GET", "/openapi.json")).body;
  });
  afterAll(() => srv.close());

  it("is OpenAPI 3.1 with unique operation ids and resolvable references", () => {
    expect(doc.openapi).toBe("3.1.0");
    const ids = Object.values(doc.paths).flatMap((m) => Object.values(m).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/users/{userId}/access-tokens",
        "/api/v1/users/{userId}/access-tokens/{tokenId}/regenerate",
        "/api/v1/access-tokens/self",
        "/api/v1/settings/default-permissions",
        "/api/v1/audit-events",
        "/api/v1/verify",
        "/api/v1/authorize",
      ]),
    );
  });

  it("describes real responses: they validate against the documented schemas", async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ $id: "doc", components: doc.components });
    const schemaFor = (path: string, method: string, status: string) => {
      const schema = doc.paths[path]?.[method]?.responses[status]?.content?.["application/json"]?.schema;
      const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
      return ajv.compile(rewritten);
    };
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    const created = await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
      body: {
        name: "doc",
        credits: { remaining: 3, refill: { amount: 3, interval: "daily" } },
        rateLimit: { limit: 1, window: "1s" },
        metadata: { a: [1, "x", null] },
      },
    });
    const checks: [unknown, string, string, string][] = [
      [created.body, "/api/v1/users/{userId}/access-tokens", "post", "201"],
      [
        (await srv.admin("GET", `/api/v1/users/${me.id}/access-tokens`)).body,
        "/api/v1/users/{userId}/access-tokens",
        "get",
        "200",
      ],
      [(await srv.admin("GET", "/api/v1/user")).body, "/api/v1/user", "get", "200"],
      [(await srv.admin("GET", "/api/v1/resources")).body, "/api/v1/resources", "get", "200"],
      [(await srv.admin("GET", "/api/v1/audit-events")).body, "/api/v1/audit-events", "get", "200"],
      [(await srv.admin("GET", "/api/v1/users")).body, "/api/v1/users", "get", "200"],
      [
        (await srv.anonymous("POST", "/api/v1/verify", { body: { token: created.body.token } })).body,
        "/api/v1/verify",
        "post",
        "200",
      ],
    ];
    for (const [body, path, method, status] of checks) {
      const validate = schemaFor(path, method, status);
      expect(validate(body), `${method} ${path}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it("serves liveness, readiness and Prometheus metrics without credentials", async () => {
    expect((await srv.anonymous("GET", "/healthz")).body).toEqual({ status: "ok" });
    expect((await srv.anonymous("GET", "/readyz")).body).toEqual({ status: "ok" });
    await srv.anonymous("GET", "/api/v1/user");
    const metrics = await srv.anonymous<string>("GET", "/metrics");
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    expect(metrics.text).toMatch(
      /tokenplane_http_requests_total\{method="GET",route="\/api\/v1\/user",status="401"\} [1-9]/,
    );
    expect(metrics.text).toContain("tokenplane_http_request_duration_seconds_bucket");
    expect(metrics.text).toContain("tokenplane_verification_cache_entries");
    expect(metrics.text).toContain("tokenplane_process_resident_memory_bytes");
  });

  it("answers HEAD on the probes like GET without a body, and names the methods on any other", async () => {
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      const head = await fetch(`${srv.url}${path}`, { method: "HEAD" });
      expect(head.status, path).toBe(200);
      expect(await head.text(), path).toBe("");
      const post = await srv.anonymous<{ status: number; detail: string }>("POST", path, { body: {} });
      expect(post.status, path).toBe(405);
      expect(post.headers.get("allow"), path).toBe("GET, HEAD");
      expect(post.body.detail, path).toBe("use GET, HEAD");
    }
    const metrics = await srv.anonymous<string>("GET", "/metrics");
    expect(metrics.text).toMatch(
      /tokenplane_http_requests_total\{method="HEAD",route="\/healthz",status="200"\} 1\n/,
    );
    expect(metrics.text).toMatch(
      /tokenplane_http_requests_total\{method="OTHER",route="\/readyz",status="405"\} 1\n/,
    );
  });
});
