import * as z from "zod";
import { conditions, dnsSubdomain, objectMetaSchema, setList } from "./fields.js";
import { EMBEDDED_SERVER_NAME, GROUP_VERSION } from "./names.js";

export const ROUTE_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const routeSchema = z
  .object({
    pathPrefix: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^\/[^\s?#]*$/, { error: "must be a path starting with / (no query or fragment)" })
      .describe("Requests whose path starts with this belong to the resource, e.g. /api/orders."),
    methods: setList(z.enum(ROUTE_METHODS), ROUTE_METHODS.length)
      .optional()
      .describe("Only these HTTP methods. Default: all."),
  })
  .describe("A path prefix (and methods) that maps a request to this resource.");

export const tokenResourceSpecSchema = z
  .object({
    description: z.string().max(1024).optional().describe("What the resource is, for people."),
    routes: z
      .array(routeSchema)
      .max(100)
      .optional()
      .describe("The request paths of this resource, for verify and forward-auth. Default: none."),
    serverRef: z
      .object({ name: dnsSubdomain().describe("Name of the ClusterTokenServer.") })
      .optional()
      .describe(
        `The ClusterTokenServer to register the resource on. Default: ${EMBEDDED_SERVER_NAME} ` +
          "(the operator's embedded server).",
      ),
  })
  .describe("A resource to register on the token server; the object's name is the resource's name.");

const tokenResourceStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe("The .metadata.generation the operator last acted on."),
    conditions: conditions()
      .optional()
      .describe("Ready: the resource is registered on the server with these routes."),
  })
  .describe("What the operator observed.");

export const tokenResourceSchema = z
  .object({
    apiVersion: z.literal(GROUP_VERSION).describe("APIVersion of this object."),
    kind: z.literal("TokenResource").describe("Kind of this object."),
    metadata: objectMetaSchema,
    spec: tokenResourceSpecSchema,
    status: tokenResourceStatusSchema.optional(),
  })
  .describe(
    "A resource in the token server's registry (permissions name it as <name>:<action>), " +
      "declared in the cluster. Deleting it unregisters it; refused while tokens use it.",
  );

export type TokenResource = z.output<typeof tokenResourceSchema>;
export type TokenResourceInput = z.input<typeof tokenResourceSchema>;
export type TokenResourceSpec = z.output<typeof tokenResourceSpecSchema>;
export type TokenResourceStatus = z.output<typeof tokenResourceStatusSchema>;
