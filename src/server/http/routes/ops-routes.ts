import { Registry } from "prom-client";
import * as z from "zod";
import type { NodeEndpoint } from "../endpoint.js";
import type { Metrics } from "../metrics.js";

const Health = z.object({ status: z.enum(["ok", "unavailable"]), detail: z.string().optional() });

/** Liveness, readiness, metrics and the OpenAPI document: no credentials (served on bare node:http). */
export function opsEndpoints(deps: {
  ready: () => Promise<string | undefined>;
  metrics: Metrics;
  extraMetrics?: Registry | undefined;
  openapi: () => unknown;
}): NodeEndpoint[] {
  return [
    {
      method: "get",
      path: "/healthz",
      operationId: "liveness",
      summary: "Liveness: the process serves requests",
      tag: "operations",
      auth: false,
      responses: { 200: { description: "alive", json: Health } },
      handle: async () => ({ status: 200, body: { status: "ok" } }),
    },
    {
      method: "get",
      path: "/readyz",
      operationId: "readiness",
      summary: "Readiness: storage answers (and, in the operator, caches are synced)",
      tag: "operations",
      auth: false,
      responses: {
        200: { description: "ready", json: Health },
        503: { description: "not ready; detail says why", json: Health },
      },
      async handle() {
        const problem = await deps.ready();
        return problem === undefined
          ? { status: 200, body: { status: "ok" } }
          : { status: 503, body: { status: "unavailable", detail: problem } };
      },
    },
    {
      method: "get",
      path: "/metrics",
      operationId: "metrics",
      summary: "Prometheus metrics",
      tag: "operations",
      auth: false,
      responses: { 200: { description: "Prometheus text format", text: true } },
      async handle() {
        const registry = deps.extraMetrics
          ? Registry.merge([deps.metrics.registry, deps.extraMetrics])
          : deps.metrics.registry;
        const payload = await registry.metrics();
        return {
          status: 200,
          head: ["content-type", registry.contentType, "content-length", Buffer.byteLength(payload)],
          payload,
        };
      },
    },
    {
      method: "get",
      path: "/openapi.json",
      operationId: "openapi",
      summary: "This API's OpenAPI 3.1 document",
      tag: "operations",
      auth: false,
      responses: { 200: { description: "the document" } },
      handle: async () => ({ status: 200, body: deps.openapi() }),
    },
  ];
}
