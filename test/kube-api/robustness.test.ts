import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApi, type KubeApi } from "../support/kube-api/index.js";
import { widget, widgetCrd } from "./helpers.js";

let api: KubeApi;

beforeAll(async () => {
  api = await startKubeApi({ crds: [widgetCrd] });
  api.create(widget("target"));
  api.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "target", namespace: "default" } });
});

afterAll(async () => {
  await api.close();
});

const segment = fc.oneof(
  fc.constantFrom(
    "api",
    "apis",
    "v1",
    "namespaces",
    "default",
    "secrets",
    "configmaps",
    "events",
    "example.com",
    "widgets",
    "target",
    "status",
    "apps",
    "deployments",
    "coordination.k8s.io",
    "leases",
    "finalize",
    "%ZZ",
    "..",
    "",
  ),
  fc.string({ maxLength: 12 }),
);

const path = fc.oneof(
  fc.array(segment, { maxLength: 7 }).map((parts) => "/" + parts.map((p) => encodeURIComponent(p)).join("/")),
  fc.constantFrom(
    "/api/v1/namespaces/default/secrets/target",
    "/apis/example.com/v1/namespaces/default/widgets/target",
    "/apis/example.com/v1/namespaces/default/widgets/target/status",
    "/apis/example.com/v1/namespaces/default/widgets",
    "/api/v1/namespaces/default/secrets",
    "/apis/apps/v1/namespaces/default/deployments",
    "/apis/coordination.k8s.io/v1/namespaces/default/leases",
    "/api/v1/namespaces",
  ),
);

const query = fc
  .dictionary(
    fc.constantFrom(
      "labelSelector",
      "fieldSelector",
      "limit",
      "continue",
      "resourceVersion",
      "resourceVersionMatch",
      "fieldManager",
      "force",
      "dryRun",
      "propagationPolicy",
      "fieldValidation",
      "orphanDependents",
    ),
    fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom("true", "All", "Strict", "0", "1", "a in (b", "x!=", "-1"),
    ),
    { maxKeys: 4 },
  )
  .map((q) => new URLSearchParams(q).toString());

const unicode = { stringUnit: "grapheme" } as const;

const body = fc.oneof(
  fc.json(unicode),
  fc.string({ maxLength: 50 }),
  fc
    .record({
      apiVersion: fc.constantFrom("v1", "example.com/v1", "apps/v1", "bogus"),
      kind: fc.constantFrom("Secret", "Widget", "Deployment", "Lease", "Nope"),
      metadata: fc.record(
        {
          name: fc.oneof(fc.constant("target"), fc.string({ maxLength: 10 })),
          labels: fc.dictionary(fc.string({ maxLength: 8, unit: "grapheme" }), fc.jsonValue(unicode), {
            maxKeys: 2,
          }),
          finalizers: fc.array(fc.jsonValue(), { maxLength: 2 }),
          resourceVersion: fc.oneof(fc.string({ maxLength: 5 }), fc.integer()),
          ownerReferences: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
      spec: fc.jsonValue({ maxDepth: 3, ...unicode }),
      status: fc.jsonValue({ maxDepth: 2 }),
      data: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue(), { maxKeys: 2 }),
    })
    .map((o) => JSON.stringify(o)),
  fc
    .array(
      fc.record({
        op: fc.constantFrom("add", "remove", "replace", "move", "copy", "test", "bogus"),
        path: fc.oneof(
          fc.constantFrom("/spec/color", "/metadata/labels", "/metadata/finalizers/-", "", "/data/x"),
          fc.string(),
        ),
        from: fc.string({ maxLength: 10 }),
        value: fc.jsonValue({ maxDepth: 2 }),
      }),
      { maxLength: 3 },
    )
    .map((ops) => JSON.stringify(ops)),
);

const contentType = fc.constantFrom(
  "application/json",
  "application/merge-patch+json",
  "application/json-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
  "application/yaml",
  "application/vnd.kubernetes.protobuf",
  "text/plain",
  undefined,
);

describe("robustness against malformed requests", () => {
  it("never answers 500, and every error is a Status with the HTTP code", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"),
        path,
        query,
        body,
        contentType,
        async (method, p, q, b, type) => {
          const headers: Record<string, string> = {};
          if (type) headers["Content-Type"] = type;
          const res = await fetch(`${api.url}${p}${q ? `?${q}` : ""}`, {
            method,
            headers,
            body: method === "GET" ? undefined : b,
          });
          if (res.status < 400) {
            await res.body?.cancel();
            return;
          }
          expect(res.status, res.status === 500 ? await res.clone().text() : "").not.toBe(500);
          const status = (await res.json()) as Record<string, unknown>;
          expect(status).toMatchObject({
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            code: res.status,
          });
          expect(typeof status.message).toBe("string");
          expect(typeof status.reason).toBe("string");
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
    expect(api.unexpectedErrors()).toEqual([]);
  });

  it("never answers 500 to random Widget specs, whatever the write verb", async () => {
    const widgetBody = fc.record({
      apiVersion: fc.constant("example.com/v1"),
      kind: fc.constant("Widget"),
      metadata: fc.record({ name: fc.constantFrom("target", "fresh") }),
      spec: fc.dictionary(
        fc.oneof(
          fc.constantFrom("color", "size", "type", "permissions", "secretName", "labels", "extra"),
          fc.string({ unit: "grapheme", maxLength: 6 }),
        ),
        fc.jsonValue({ maxDepth: 2, ...unicode }),
        { maxKeys: 5 },
      ),
      status: fc.jsonValue({ maxDepth: 2, ...unicode }),
    });
    const target = `${api.url}/apis/example.com/v1/namespaces/default/widgets`;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          { method: "POST", suffix: "", type: "application/json" },
          { method: "PUT", suffix: "/target", type: "application/json" },
          { method: "PUT", suffix: "/target/status", type: "application/json" },
          { method: "PATCH", suffix: "/target", type: "application/merge-patch+json" },
          { method: "PATCH", suffix: "/target/status", type: "application/merge-patch+json" },
          { method: "PATCH", suffix: "/fresh?fieldManager=fuzz", type: "application/apply-patch+yaml" },
          {
            method: "PATCH",
            suffix: "/target?fieldManager=fuzz&force=true",
            type: "application/apply-patch+yaml",
          },
        ),
        widgetBody,
        async (req, b) => {
          const res = await fetch(target + req.suffix, {
            method: req.method,
            headers: { "Content-Type": req.type },
            body: JSON.stringify(b),
          });
          // The Status message names the exception when something does go wrong.
          expect(res.status, res.status === 500 ? await res.text() : "").not.toBe(500);
          await res.body?.cancel();
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
    expect(api.unexpectedErrors()).toEqual([]);
  });

  it("rejects oversized bodies with 413", async () => {
    const res = await fetch(`${api.url}/api/v1/namespaces/default/configmaps`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ metadata: { name: "big" }, data: { x: "y".repeat(4 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
  });
});
