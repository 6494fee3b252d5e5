/**
 * Errors the domain (and the store, through its faults) raises on purpose. Each carries a
 * code; the edge maps the code to an HTTP status and title (src/server/edge/error-status.ts).
 * Anything else is a bug and becomes a 500 without details.
 */
export const ERROR_CODES = [
  /** A body field is wrong (each named in `errors`). */
  "INVALID",
  /** A query parameter is wrong. */
  "INVALID_QUERY",
  /** The body is not JSON. */
  "UNSUPPORTED_MEDIA_TYPE",
  /** No valid credential. */
  "UNAUTHORIZED",
  /** The caller may not do this, or asks for more than it holds. */
  "FORBIDDEN",
  "NOT_FOUND",
  /** The current state refuses it (a name taken, a resource in use). */
  "CONFLICT",
  "RATE_LIMITED",
  /** Storage cannot serve now; try again. */
  "UNAVAILABLE",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldError {
  field: string;
  message: string;
}

/** Machine-readable parts of a refusal, beside its human-readable detail. */
export interface ProblemExtra {
  errors?: FieldError[];
  existingId?: string;
  /** On refusing to delete a resource: the tokens that hold it (the first few) and how many. */
  usedBy?: { count: number; tokenIds: string[] };
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: ProblemExtra = {},
    /** Response headers the answer needs (Retry-After, RateLimit-*). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** `field: message; field: message`, the detail of a refusal that names fields. */
const listed = (errors: readonly FieldError[]) => errors.map((e) => `${e.field}: ${e.message}`).join("; ");

export const unauthorized = (detail = "a valid token is required") => new DomainError("UNAUTHORIZED", detail);
export const forbidden = (detail: string) => new DomainError("FORBIDDEN", detail);
/** A refusal about what was asked for (not who asks): it names each field that goes too far. */
export const forbiddenFields = (errors: FieldError[]) =>
  new DomainError("FORBIDDEN", listed(errors), { errors });
export const notFound = (what: string) => new DomainError("NOT_FOUND", `no such ${what}`);
export const conflict = (detail: string, extra: Omit<ProblemExtra, "errors"> = {}) =>
  new DomainError("CONFLICT", detail, extra);
export const invalid = (errors: FieldError[]) => new DomainError("INVALID", listed(errors), { errors });
export const invalidQuery = (errors: FieldError[]) =>
  new DomainError("INVALID_QUERY", listed(errors), { errors });
export const unsupportedMediaType = (detail: string) => new DomainError("UNSUPPORTED_MEDIA_TYPE", detail);
export const tooManyRequests = (detail: string, headers: Record<string, string>) =>
  new DomainError("RATE_LIMITED", detail, {}, headers);
export const unavailable = (detail: string) => new DomainError("UNAVAILABLE", detail);
