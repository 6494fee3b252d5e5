import { z } from "zod";
import { VerifyBody, VerifyResult } from "../../api/index.js";
import type { OperationDoc } from "./route.js";

const RATE_HEADERS = {
  "RateLimit-Limit": "the token's requests per window",
  "RateLimit-Remaining": "requests left in this window",
  "RateLimit-Reset": "seconds until the window resets",
};

const CREDENTIAL = {
  Authorization: z
    .string()
    .optional()
    .describe("Bearer <token> (or Private-Token / X-API-Key); none: anonymous"),
};

const FORWARD_AUTH_RESPONSES: OperationDoc["responses"] = {
  200: {
    description: "allowed",
    headers: { "X-Token-Id": "the token's id", "X-Token-User": "its user's id", ...RATE_HEADERS },
  },
  400: { description: "the proxy did not send the original request's headers (errors name them)" },
  401: { description: "no valid token (WWW-Authenticate: Bearer)" },
  403: {
    description:
      "the token (or anonymous access) does not allow this resource and action, or the path is ambiguous (errors say why)",
  },
  429: {
    description: "rate limit or refilling credits exhausted",
    headers: { "Retry-After": "seconds until it is worth trying again", ...RATE_HEADERS },
  },
};

/** Forward auth, one operation per proxy: each reads only the headers its proxy sets. */
function forwardAuthDocs(): OperationDoc[] {
  const op = (
    path: string,
    operationId: string,
    summary: string,
    headers: Record<string, z.ZodType>,
  ): OperationDoc => ({
    method: "get",
    path,
    operationId,
    summary: `${summary} (any method). The path maps to a resource by the registry's routes, the method to an action.`,
    tag: "verification",
    auth: false,
    headers: z.object({ ...headers, ...CREDENTIAL }),
    responses: FORWARD_AUTH_RESPONSES,
  });
  return [
    op("/api/v1/authorize/nginx", "forwardAuthNginx", "Forward auth for nginx auth_request", {
      "X-Original-Method": z.string().describe("the original method ($request_method)"),
      "X-Original-URI": z.string().describe("the original path and query ($request_uri)"),
    }),
    op("/api/v1/authorize/ingress-nginx", "forwardAuthIngressNginx", "Forward auth for ingress-nginx", {
      "X-Original-Method": z.string().describe("the original method"),
      "X-Original-URL": z.string().describe("the original URL"),
    }),
    op("/api/v1/authorize/traefik", "forwardAuthTraefik", "Forward auth for Traefik forwardAuth", {
      "X-Forwarded-Method": z.string().describe("the original method"),
      "X-Forwarded-Uri": z.string().describe("the original path and query"),
    }),
    op(
      "/api/v1/authorize/envoy",
      "forwardAuthEnvoy",
      "Forward auth for Envoy ext_authz (path_prefix /api/v1/authorize/envoy): the original method, and the original path below this one",
      {},
    ),
    op(
      "/api/v1/authorize",
      "forwardAuth",
      "Forward auth reading whichever one proxy's headers are present (400 when more than one's are); prefer the endpoint for your proxy",
      {
        "X-Forwarded-Method": z.string().optional().describe("Traefik: the original method"),
        "X-Forwarded-Uri": z.string().optional().describe("Traefik: the original path and query"),
        "X-Original-Method": z.string().optional().describe("nginx, ingress-nginx: the original method"),
        "X-Original-URI": z.string().optional().describe("nginx: the original path and query"),
        "X-Original-URL": z.string().optional().describe("ingress-nginx: the original URL"),
      },
    ),
  ];
}

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
  ...forwardAuthDocs(),
];
