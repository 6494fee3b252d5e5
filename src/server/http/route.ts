import type { Request, Response } from "express";
import type { z } from "zod";
import type { Action } from "../../core/index.js";
import type { Caller } from "../domain/caller.js";

export type Method = "get" | "post" | "put" | "patch" | "delete";

export interface ResponseSpec {
  description: string;
  /** The application/json body. */
  json?: z.ZodType;
  /** One line of an application/x-ndjson stream. */
  ndjson?: z.ZodType;
  /** A text/plain body. */
  text?: true;
  /** Response headers worth knowing, by name: their meaning. */
  headers?: Record<string, string>;
}

/**
 * What a caller needs, checked before the input is validated (403 before 422). The
 * services check the same again, for callers that do not come through HTTP.
 */
export type Access =
  | { kind: "admin"; resource: string; action: Action }
  | { kind: "tokens"; action: Action }
  | { kind: "permission"; resource: string; action: Action };

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The authenticated caller; routes with `auth: false` get undefined. */
  caller: Caller;
  req: Request;
  res: Response;
}

/** What a handler answers: a JSON body, no content, or "it already streamed the response". */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | { streamed: true };

/**
 * One HTTP operation: the schemas that validate its input (and document it), its
 * responses (documentation), and the handler that receives typed, validated values.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** OpenAPI-style path: `/api/v1/users/{userId}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  auth: boolean;
  access?: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  responses: Record<number, ResponseSpec>;
  handle(ctx: RouteContext<P, Q, B>): Promise<Reply>;
}

/** Keeps each route's handler typed by its own schemas while routes share one list type. */
export function route<P = unknown, Q = unknown, B = unknown>(def: Route<P, Q, B>): Route {
  return def;
}

/**
 * What the OpenAPI document needs of an operation: a Route without its handler (the fast
 * path's operations are served outside Express but documented the same way).
 */
export type OperationDoc = Omit<Route, "handle" | "access" | "method"> & {
  method: Method;
  access?: Access;
  /** Request headers the operation reads, as an object schema (name → schema). */
  headers?: z.ZodType;
};

export const expressPath = (path: string): string => path.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");
