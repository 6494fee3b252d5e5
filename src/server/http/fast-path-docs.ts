import { z } from "zod";
import { VerifyBody, VerifyResult } from "../../api/index.js";
import type { OperationDoc } from "./route.js";

const RATE_HEADERS = {
  "RateLimit-Limit": "the token's requests per window",
  "RateLimit-Remaining": "requests left in this window",
  "RateLimit-Reset": "seconds until the window resets",
};

/** The fast path's operations (served outside Express), for the OpenAPI document. */
export const FAST_PATH_DOCS: readonly OperationDoc[] = [
  {
    method: "post",
    path: "/api/v1/verify",
    operationId: "verifyToken",
    summary: "Check a token as a service would: always 200 with the verdict and its reason",
    tag: "verification",
    auth: false,
    body: VerifyBody,
    responses: {
      200: { description: "the verdict (valid or not, and why)", json: VerifyResult },
      413: { description: "the body is too large" },
      415: { description: "the body is not JSON" },
      422: { description: "the request is invalid; errors name each field" },
      503: { description: "storage is unavailable: try again (Retry-After)" },
    },
  },
  {
    method: "get",
    path: "/api/v1/authorize",
    operationId: "forwardAuth",
    summary:
      "Forward auth for ingress controllers (any method; Envoy: the original path below this one). " +
      "The original request's path maps to a resource by the registry's routes, its method to an action.",
    tag: "verification",
    auth: false,
    headers: z.object({
      "X-Forwarded-Method": z.string().optional().describe("Traefik: the original method"),
      "X-Forwarded-Uri": z.string().optional().describe("Traefik: the original path and query"),
      "X-Original-Method": z.string().optional().describe("nginx: the original method"),
      "X-Original-URI": z.string().optional().describe("nginx auth_request: the original path and query"),
      "X-Original-URL": z.string().optional().describe("ingress-nginx: the original URL"),
      Authorization: z
        .string()
        .optional()
        .describe("Bearer <token> (or Private-Token / X-API-Key); none: anonymous"),
    }),
    responses: {
      200: {
        description: "allowed",
        headers: { "X-Token-Id": "the token's id", "X-Token-User": "its user's id", ...RATE_HEADERS },
      },
      400: { description: "the original request cannot be read from the headers" },
      401: { description: "no valid token (WWW-Authenticate: Bearer)" },
      403: { description: "the token (or anonymous access) does not allow this resource and action" },
      429: {
        description: "rate limit or refilling credits exhausted",
        headers: { "Retry-After": "seconds until it is worth trying again", ...RATE_HEADERS },
      },
    },
  },
];
