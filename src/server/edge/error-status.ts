import type { ErrorCode } from "../domain/errors.js";

/**
 * The one place a refusal's code becomes an HTTP status and problem+json title, for the
 * HTTP server and the in-process API alike (both answer with the same problem bodies).
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, { status: number; title: string }>> = {
  INVALID_QUERY: { status: 400, title: "Invalid query" },
  UNAUTHORIZED: { status: 401, title: "Unauthorized" },
  FORBIDDEN: { status: 403, title: "Forbidden" },
  NOT_FOUND: { status: 404, title: "Not Found" },
  CONFLICT: { status: 409, title: "Conflict" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported Media Type" },
  INVALID: { status: 422, title: "Invalid request" },
  RATE_LIMITED: { status: 429, title: "Too Many Requests" },
  UNAVAILABLE: { status: 503, title: "Service Unavailable" },
};
