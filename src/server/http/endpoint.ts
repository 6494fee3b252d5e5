import type { Request, Response } from "express";
import type { IncomingMessage, ServerResponse } from "node:http";
import type * as z from "zod";
import type { VerifyCode } from "../../api/index.js";
import type { Action } from "../../core/index.js";
import type { Caller } from "../domain/caller.js";
import type { MaybeAsync } from "../domain/verifier.js";
import type { ProblemBody } from "./problem.js";

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

export interface EndpointContext<P, Q, B, Req extends IncomingMessage, Res extends ServerResponse> {
  params: P;
  query: Q;
  body: B;
  /** The authenticated caller; endpoints with `auth: false` get undefined. */
  caller: Caller;
  req: Req;
  res: Res;
  /** The body's bytes, for endpoints that read them unparsed (`rawBody`); undefined when none or too large. */
  rawBody?: Buffer | undefined;
}

/** What the request counts as in the metrics, when not the request's own method. */
export interface Observed {
  method?: string;
  /** The verification's result (verify, forward auth). */
  code?: VerifyCode;
}

/**
 * What a handler answers: a JSON body (or no content), a refusal as problem details, an
 * answer serialised ahead of time (hot paths), or "it already streamed the response".
 */
export type Reply = (
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { problem: ProblemBody; headers?: Record<string, string> }
  | { status: number; head: readonly (string | number)[]; payload?: string }
  | { streamed: true }
) & { observed?: Observed };

/**
 * One HTTP operation, whichever server answers it: the schemas that validate its input
 * (and document it), its responses (documentation), and the handler that receives typed,
 * validated values. `pipeline.ts` runs it; `app.ts` (Express) and `node-adapter.ts`
 * (bare node:http, the hot endpoints) only carry requests in and answers out.
 */
export interface Endpoint<
  P = unknown,
  Q = unknown,
  B = unknown,
  Req extends IncomingMessage = Request,
  Res extends ServerResponse = Response,
> {
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
  /** Nothing of the body is stored (verify): the check for text storage cannot keep is skipped. */
  storesNothing?: true;
  /** Request headers the operation reads, as an object schema (name → schema); documentation only. */
  headers?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  handle(ctx: EndpointContext<P, Q, B, Req, Res>): MaybeAsync<Reply>;
}

/** An endpoint served by Express (the management API). */
export type Route = Endpoint;

/** An endpoint served on bare node:http ahead of Express (verify, forward auth, probes). */
export type NodeEndpoint = Endpoint<unknown, unknown, unknown, IncomingMessage, ServerResponse> & {
  /** Any method is answered (forward auth); otherwise other methods get 405. */
  anyMethod?: true;
  /** Also answers every path below its own (`/api/v1/authorize/envoy/...`). */
  below?: true;
  /** Reads the body unparsed, up to this many bytes (more is not read into memory). */
  rawBody?: number;
  /** The metrics' route label, when several endpoints count as one (forward auth). */
  metricsRoute?: string;
};

/** Keeps each route's handler typed by its own schemas while routes share one list type. */
export function route<P = unknown, Q = unknown, B = unknown>(def: Endpoint<P, Q, B>): Route {
  return def;
}

/** What the OpenAPI document needs of an operation: an endpoint without its handler. */
export type OperationDoc = Omit<Endpoint, "handle">;

export const expressPath = (path: string): string => path.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");
