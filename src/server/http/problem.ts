import type { Response } from "express";
import type { ServerResponse } from "node:http";
import type { z } from "zod";
import { type DomainError, type FieldError, notFound } from "../domain/errors.js";
import { scrubTokens } from "../logger.js";

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

export function sendProblem(
  res: Response | ServerResponse,
  body: ProblemBody,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(body.status, {
    "content-type": "application/problem+json",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

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

/** What a path parameter names, for the 404 a malformed one gets. */
const TARGETS: Record<string, string> = { userId: "user", tokenId: "token", name: "resource" };

/**
 * A malformed id in the path cannot name anything: answered as the same 404 a well-formed id
 * that names nothing gets ("no such user"), so the two cannot be told apart.
 */
export function missingTarget(error: z.ZodError): DomainError {
  const param = error.issues[0]?.path[0];
  return notFound((typeof param === "string" && TARGETS[param]) || "resource");
}
