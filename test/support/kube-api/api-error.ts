import { aggregateText, errorBody, type FieldError } from "./field-errors.js";
import type { JsonObject } from "./json.js";

/** metav1.Status as the API server returns it for failures. */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: JsonObject;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: JsonObject;
  code: number;
}

/** An error that becomes an HTTP response carrying a Status object. */
export class ApiError extends Error {
  readonly status: Status;
  readonly headers: Record<string, string>;
  constructor(code: number, reason: string, message: string, details?: JsonObject, headers = {}) {
    super(message);
    this.status = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      code,
    };
    if (details) this.status.details = details;
    this.headers = headers;
  }
  get code(): number {
    return this.status.code;
  }
}

export interface GroupResource {
  group: string;
  resource: string;
}

/** schema.GroupResource.String(): "secrets" or "widgets.example.com". */
export function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function objectDetails(gr: GroupResource, name: string): JsonObject {
  const details: JsonObject = { name, kind: gr.resource };
  if (gr.group) details.group = gr.group;
  return details;
}

export const notFound = (gr: GroupResource, name: string): ApiError =>
  new ApiError(404, "NotFound", `${qualified(gr)} "${name}" not found`, objectDetails(gr, name));

export const pathNotFound = (): ApiError =>
  new ApiError(404, "NotFound", "the server could not find the requested resource", {});

export const alreadyExists = (gr: GroupResource, name: string): ApiError =>
  new ApiError(409, "AlreadyExists", `${qualified(gr)} "${name}" already exists`, objectDetails(gr, name));

export const conflict = (gr: GroupResource, name: string, why: string): ApiError =>
  new ApiError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`,
    objectDetails(gr, name),
  );

export const OPTIMISTIC_LOCK_MESSAGE =
  "the object has been modified; please apply your changes to the latest version and try again";

export interface GroupKind {
  group: string;
  kind: string;
}

/** apierrors.NewInvalid: 422 with one cause per field error. */
export function invalid(gk: GroupKind, name: string, errors: FieldError[]): ApiError {
  const qualifiedKind = gk.group ? `${gk.kind}.${gk.group}` : gk.kind;
  const causes = errors.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field }));
  const details: JsonObject = { name, kind: gk.kind, causes };
  if (gk.group) details.group = gk.group;
  const message =
    errors.length === 0
      ? `${qualifiedKind} "${name}" is invalid`
      : `${qualifiedKind} "${name}" is invalid: ${aggregateText(errors)}`;
  return new ApiError(422, "Invalid", message, details);
}

export const badRequest = (message: string): ApiError => new ApiError(400, "BadRequest", message);

export const forbidden = (message: string, details?: JsonObject): ApiError =>
  new ApiError(403, "Forbidden", message, details);

export const unauthorized = (): ApiError => new ApiError(401, "Unauthorized", "Unauthorized");

export const methodNotAllowed = (): ApiError =>
  new ApiError(
    405,
    "MethodNotAllowed",
    "the server does not allow this method on the requested resource",
    {},
  );

export const expired = (message: string): ApiError => new ApiError(410, "Expired", message);

export const gone = (message: string): ApiError => new ApiError(410, "Gone", message);

export const tooManyRequests = (message: string, retryAfterSeconds: number): ApiError =>
  new ApiError(
    429,
    "TooManyRequests",
    message,
    { retryAfterSeconds },
    { "Retry-After": String(retryAfterSeconds) },
  );

export const internalError = (message: string): ApiError =>
  new ApiError(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] });

export const serviceUnavailable = (message: string): ApiError =>
  new ApiError(503, "ServiceUnavailable", message);

export const timeoutError = (message: string): ApiError => new ApiError(504, "Timeout", message);

export const unsupportedMediaType = (contentType: string, accepted: string[]): ApiError =>
  new ApiError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
    { causes: [{ reason: "UnexpectedServerResponse", message: contentType }] },
  );

export const entityTooLarge = (limit: number): ApiError =>
  new ApiError(413, "RequestEntityTooLarge", `limit is ${limit}`);
