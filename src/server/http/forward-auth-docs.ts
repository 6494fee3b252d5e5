import * as z from "zod";
import type { ResponseSpec } from "./endpoint.js";

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

/** What every forward-auth endpoint answers (for the OpenAPI document). */
export const FORWARD_AUTH_RESPONSES: Record<number, ResponseSpec> = {
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

/** A forward-auth endpoint's request headers: its proxy's, and the credential. */
export const forwardAuthHeaders = (headers: Record<string, z.ZodType>): z.ZodType =>
  z.object({ ...headers, ...CREDENTIAL });
