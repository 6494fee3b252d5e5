import type { DomainError, FieldError } from "../domain/errors.js";
import { scrubTokens } from "../logger.js";
import { ERROR_STATUS } from "./error-status.js";

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  existingId?: string;
  usedBy?: { count: number; tokenIds: string[] };
}

const TYPE_BASE = "https://tokenplane.dev/problems/";

/**
 * A problem body. Details and field errors may quote what the client sent (a name, a key,
 * a permission); anything shaped like a token is cut to its display prefix there.
 */
export function problem(
  status: number,
  title: string,
  detail?: string,
  extra: Partial<ProblemBody> = {},
): ProblemBody {
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  const errors = extra.errors?.map((e) => ({ field: scrubTokens(e.field), message: scrubTokens(e.message) }));
  return {
    type: TYPE_BASE + slug,
    title,
    status,
    ...(detail ? { detail: scrubTokens(detail) } : {}),
    ...extra,
    ...(errors ? { errors } : {}),
  };
}

/** A domain refusal as its problem body: status and title from its code. */
export function problemOf(err: DomainError): ProblemBody {
  const { status, title } = ERROR_STATUS[err.code];
  return problem(status, title, err.message, err.extra);
}
