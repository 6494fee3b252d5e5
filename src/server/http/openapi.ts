import * as z from "zod";
import { Problem } from "../../api/index.js";
import type { OperationDoc } from "./endpoint.js";

type JsonObject = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document, generated from the same route table and zod schemas that
 * validate requests. Named schemas (`.meta({ id })`) land in components.
 */
export function buildOpenApi(routes: readonly OperationDoc[], info: { version: string }): JsonObject {
  const components: Record<string, unknown> = {};
  const convert = (schema: z.ZodType, io: "input" | "output"): unknown => {
    const json = z.toJSONSchema(schema, {
      target: "draft-2020-12",
      io,
      unrepresentable: "any",
    }) as JsonObject;
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, unknown>;
    delete json.$defs;
    const rewrite = (value: unknown): unknown =>
      JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/'));
    for (const [name, def] of Object.entries(defs)) components[name] ??= rewrite(def);
    return rewrite(json);
  };
  const problemRef = convert(Problem, "output");

  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ["path", r.params],
      ["query", r.query],
      ["header", r.headers],
    ] as const) {
      const shape = schema && "shape" in schema ? (schema.shape as Record<string, z.ZodType>) : {};
      for (const [name, field] of Object.entries(shape)) {
        parameters.push({
          name,
          in: where,
          required: where === "path" || !field.safeParse(undefined).success,
          schema: convert(field, "input"),
        });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      const content: Record<string, unknown> = {};
      if (spec.json) content["application/json"] = { schema: convert(spec.json, "output") };
      if (spec.ndjson) content["application/x-ndjson"] = { schema: convert(spec.ndjson, "output") };
      if (spec.text) content["text/plain"] = { schema: { type: "string" } };
      responses[status] = {
        description: spec.description,
        ...(Object.keys(content).length > 0 ? { content } : {}),
        ...(spec.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(spec.headers).map(([name, description]) => [
                  name,
                  { description, schema: { type: "string" } },
                ]),
              ),
            }
          : {}),
      };
    }
    responses.default = {
      description: "an error (RFC 9457 problem details)",
      content: { "application/problem+json": { schema: problemRef } },
    };
    (paths[r.path] ??= {})[r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: convert(r.body, "input") } },
            },
          }
        : {}),
      responses,
      ...(r.access ? { "x-tokenplane-access": r.access } : {}),
      ...(r.auth ? {} : { security: [] }),
    };
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "tokenplane token server",
      version: info.version,
      description: "Issue, verify and rotate API access tokens.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }, { privateToken: [] }, { apiKey: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        privateToken: { type: "apiKey", in: "header", name: "Private-Token" },
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
    },
  };
}
