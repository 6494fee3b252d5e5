import type * as z from "zod";
import { ApiError } from "../api/index.js";
import { UsageFailure } from "./failures.js";

/**
 * A request body built from flags, checked with the API's own schema before it is sent: a
 * mistake names the flag that set the field (`flagOf`) and exits 2.
 */
export function checkedBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
  flagOf: Record<string, string>,
): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new UsageFailure(
      parsed.error.issues.map((i) => `${flagPath(i.path, flagOf)}: ${i.message}`).join("; "),
    );
  return parsed.data;
}

function flagPath(path: readonly PropertyKey[], flagOf: Record<string, string>): string {
  const [first, ...rest] = path;
  const head = flagOf[String(first)] ?? String(first);
  const tail = rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
  return `${head}${tail}`;
}

/** The server's refusal with its field names (`permissions[1]`) as the flags that set them. */
export function inFlagTerms(err: unknown, flagOf: Record<string, string>): unknown {
  if (!(err instanceof ApiError) || !err.problem.errors) return err;
  const errors = err.problem.errors.map((e) => {
    const [, first = "", rest = ""] = /^([A-Za-z]+)(.*)$/.exec(e.field) ?? [];
    const flag = flagOf[first];
    return flag ? { ...e, field: `${flag}${rest}` } : e;
  });
  return new ApiError(err.status, { ...err.problem, errors });
}
