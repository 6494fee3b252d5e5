import type * as z from "zod";
import type { FieldError } from "../domain/errors.js";

/**
 * `["credits", "refill", "amount"]` → `credits.refill.amount`; `["permissions", 1]` →
 * `permissions[1]`; a name that would not show (empty, blank, control characters) is quoted:
 * `metadata[" "]`.
 */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (!/^[^\s\p{C}]+$/u.test(String(part))) out += `[${JSON.stringify(String(part))}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** A schema's refusal as the field errors a user reads. */
export function fieldErrors(error: z.ZodError, root?: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    // Unknown keys are reported once per key, so the user sees each name.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        field: fieldPath([...issue.path, key]) || (root ?? "body"),
        message: "is not a known field",
      }));
    }
    const path = fieldPath(issue.path);
    return [{ field: path || (root ?? "body"), message: issue.message }];
  });
}
