import type { FieldError } from "../domain/errors.js";
import { fieldPath } from "./field-errors.js";

// PostgreSQL text and jsonb cannot hold NUL, and unpaired UTF-16 surrogates do not survive UTF-8.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this must find
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * JSON nested deeper than this is refused before anything walks it: a 64 KiB body can nest
 * 30,000 levels, enough to overflow the stack of every recursive validator (a 500).
 */
export const MAX_NESTING = 64;

/** Every string (value or key) in a parsed JSON body that storage could not keep. */
export function unstorableText(value: unknown, path: (string | number)[] = []): FieldError[] {
  if (typeof value === "string") {
    return UNSTORABLE.test(value)
      ? [
          {
            field: fieldPath(path) || "body",
            message: "must not contain NUL characters or unpaired surrogates",
          },
        ]
      : [];
  }
  if (value === null || typeof value !== "object") return [];
  if (path.length >= MAX_NESTING) {
    return [{ field: fieldPath(path) || "body", message: `is nested more than ${MAX_NESTING} levels deep` }];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => unstorableText(v, [...path, i]));
  return Object.entries(value).flatMap(([k, v]) =>
    UNSTORABLE.test(k)
      ? [
          {
            field: fieldPath(path) || "body",
            message: "has a key with NUL characters or unpaired surrogates",
          },
        ]
      : unstorableText(v, [...path, k]),
  );
}
