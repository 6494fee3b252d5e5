/**
 * Errors the domain raises on purpose. The HTTP layer maps each to a problem+json status;
 * anything else is a bug and becomes a 500 without details.
 */
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
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503,
    readonly title: string,
    message: string,
    readonly extra: ProblemExtra = {},
    /** Response headers the answer needs (Retry-After, RateLimit-*). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export const unauthorized = (detail = "a valid token is required") =>
  new DomainError(401, "Unauthorized", detail);
export const forbidden = (detail: string) => new DomainError(403, "Forbidden", detail);
/** A refusal about what was asked for (not who asks): it names each field that goes too far. */
export const forbiddenFields = (errors: FieldError[]) =>
  new DomainError(403, "Forbidden", errors.map((e) => `${e.field}: ${e.message}`).join("; "), { errors });
export const notFound = (what: string) => new DomainError(404, "Not Found", `no such ${what}`);
export const conflict = (detail: string, extra: Omit<ProblemExtra, "errors"> = {}) =>
  new DomainError(409, "Conflict", detail, extra);
export const invalid = (errors: FieldError[]) =>
  new DomainError(422, "Invalid request", errors.map((e) => `${e.field}: ${e.message}`).join("; "), {
    errors,
  });
export const tooManyRequests = (detail: string, headers: Record<string, string>) =>
  new DomainError(429, "Too Many Requests", detail, {}, headers);
export const unavailable = (detail: string) => new DomainError(503, "Service Unavailable", detail);
