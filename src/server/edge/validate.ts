import type * as z from "zod";
import { type DomainError, invalid, invalidQuery, notFound } from "../domain/errors.js";
import { fieldErrors } from "./field-errors.js";
import { unstorableText } from "./storable-text.js";

/**
 * Input checks every way into the server runs (HTTP routes and the in-process API), so a
 * value is refused with the same status and the same field errors whichever way it came.
 * Without a schema there is nothing to parse: the value is undefined.
 */
function parsed<T>(
  schema: z.ZodType<T> | undefined,
  value: unknown,
  refuse: (e: z.ZodError) => DomainError,
): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw refuse(result.error);
  return result.data;
}

/** What a path parameter names, for the 404 a malformed one gets. */
const TARGETS: Record<string, string> = { userId: "user", tokenId: "token", name: "resource" };

/**
 * A malformed id in the path cannot name anything: answered as the same 404 a well-formed id
 * that names nothing gets ("no such user"), so the two cannot be told apart.
 */
function missingTarget(error: z.ZodError): DomainError {
  const param = error.issues[0]?.path[0];
  return notFound((typeof param === "string" && TARGETS[param]) || "resource");
}

export const validParams = <T>(schema: z.ZodType<T> | undefined, params: unknown): T =>
  parsed(schema, params, missingTarget);

/** Query parameters: storable text, then the schema; a 400 naming each parameter. */
export function validQuery<T>(schema: z.ZodType<T> | undefined, query: unknown): T {
  const textErrors = unstorableText(query);
  if (textErrors.length > 0) throw invalidQuery(textErrors);
  return parsed(schema, query, (e) => invalidQuery(fieldErrors(e, "query")));
}

/** A JSON body: the schema alone; a 422 naming each field. */
export const checkedBody = <T>(schema: z.ZodType<T> | undefined, body: unknown): T =>
  parsed(schema, body, (e) => invalid(fieldErrors(e)));

/** A JSON body to store: storable text (PostgreSQL cannot keep NUL), then the schema. */
export function validBody<T>(schema: z.ZodType<T> | undefined, body: unknown): T {
  const textErrors = schema ? unstorableText(body) : [];
  if (textErrors.length > 0) throw invalid(textErrors);
  return checkedBody(schema, body);
}
