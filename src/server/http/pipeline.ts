import type { IncomingMessage, ServerResponse } from "node:http";
import { type Caller, requireAdmin, requirePermission, requireTokenAccess } from "../domain/caller.js";
import { DomainError, unsupportedMediaType } from "../domain/errors.js";
import { checkedBody, validBody, validParams, validQuery } from "../edge/validate.js";
import type { MaybeAsync } from "../domain/verifier.js";
import type { Logger } from "../logger.js";
import type { Endpoint, Reply } from "./endpoint.js";
import { problem, type ProblemAnswer, refusalAnswer, sendProblem } from "./problem.js";

/**
 * One request's input as a transport carried it in: path parameters, the query, the parsed
 * JSON body (undefined when none was parsed) and whether one was sent at all.
 */
export interface Incoming<Req extends IncomingMessage, Res extends ServerResponse> {
  req: Req;
  res: Res;
  params: unknown;
  query: unknown;
  body: unknown;
  hasBody: boolean;
  rawBody?: Buffer | undefined;
}

type AnyEndpoint<Req extends IncomingMessage, Res extends ServerResponse> = Endpoint<
  unknown,
  unknown,
  unknown,
  Req,
  Res
>;

/** `f(value)`, without a promise when the value is at hand (the hot paths stay synchronous). */
export function andThen<T, U>(value: MaybeAsync<T>, f: (value: T) => MaybeAsync<U>): MaybeAsync<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** Authorize, validate (params, query, body, in that order) and handle; throws what to refuse with. */
function validateAndHandle<Req extends IncomingMessage, Res extends ServerResponse>(
  e: AnyEndpoint<Req, Res>,
  input: Incoming<Req, Res>,
  caller: Caller | undefined,
): MaybeAsync<Reply> {
  const params = validParams(e.params, input.params);
  if (caller && e.access) {
    const a = e.access;
    if (a.kind === "admin") requireAdmin(caller, a.resource, a.action);
    else if (a.kind === "permission") requirePermission(caller, a.resource, a.action);
    else requireTokenAccess(caller, (params as { userId: string }).userId, a.action);
  }
  // Every route refuses unstorable text in its query, whether or not it reads the query.
  const query = input.query === undefined ? undefined : validQuery(e.query, input.query);
  let body: unknown;
  if (e.body) {
    let rawBody = input.body;
    if (rawBody === undefined) {
      if (input.hasBody) throw unsupportedMediaType("send the body as application/json");
      rawBody = {};
    }
    body = e.storesNothing ? checkedBody(e.body, rawBody) : validBody(e.body, rawBody);
  }
  return e.handle({
    params,
    query,
    body,
    caller: caller as Caller,
    req: input.req,
    res: input.res,
    rawBody: input.rawBody,
  });
}

/**
 * The request pipeline every endpoint goes through, whichever server carried the request:
 * authenticate (credentials first: an anonymous caller learns nothing, not even what is
 * invalid), authorize, validate, handle. Returns the reply, or throws (rejects with) the
 * error to answer with `errorAnswer`. Synchronous when nothing on the way is asynchronous.
 */
export function runEndpoint<Req extends IncomingMessage, Res extends ServerResponse>(
  e: AnyEndpoint<Req, Res>,
  input: Incoming<Req, Res>,
  authenticate?: (req: Req) => Promise<Caller>,
): MaybeAsync<Reply> {
  if (e.auth && authenticate)
    return authenticate(input.req).then((caller) => validateAndHandle(e, input, caller));
  return validateAndHandle(e, input, undefined);
}

/**
 * Every error a request ends with, turned into its problem answer: the domain's refusals,
 * the body reader's (too large, not JSON, wrong charset), other client errors, and
 * anything else as a 500 that names nothing (logged here).
 */
export function errorAnswer(err: unknown, log: Logger, bodyLimit: number): ProblemAnswer {
  if (err instanceof DomainError) {
    // Storage unreachable: the client is told to retry; the log keeps why.
    if (err.code === "UNAVAILABLE") log.warn({ err: err.cause ?? err }, "storage unavailable");
    return refusalAnswer(err);
  }
  const parserError = err as { type?: string; status?: number; limit?: number };
  switch (parserError.type) {
    case "entity.too.large":
      return {
        body: problem(413, "Content Too Large", `the body may be at most ${bodyLimit} bytes`),
        headers: {},
      };
    case "entity.parse.failed":
      return {
        body: problem(400, "Malformed JSON", "the body is not valid JSON", {
          errors: [{ field: "body", message: "is not valid JSON" }],
        }),
        headers: {},
      };
    case "encoding.unsupported":
    case "charset.unsupported":
      return { body: problem(415, "Unsupported Media Type", "send the body as UTF-8 JSON"), headers: {} };
  }
  // Other client errors raised by Express itself (an undecodable path, an aborted body).
  const status = parserError.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const error =
      err instanceof URIError
        ? { field: "path", message: "is not valid percent-encoding" }
        : { field: parserError.type ? "body" : "request", message: "could not be read" };
    return {
      body: problem(status, "Bad Request", "the request could not be read", { errors: [error] }),
      headers: {},
    };
  }
  log.error({ err }, "unhandled error");
  return {
    body: problem(500, "Internal Server Error", "an unexpected error occurred; it has been logged"),
    headers: {},
  };
}

/** Writes a reply on bare node:http (Express answers its JSON replies with `res.json`); returns the status. */
export function writeAnswer(res: ServerResponse, reply: Reply): number {
  if ("problem" in reply) {
    sendProblem(res, reply.problem, reply.headers);
    return reply.problem.status;
  }
  if ("head" in reply) {
    res.writeHead(reply.status, reply.head as (string | number)[]);
    res.end(reply.payload);
    return reply.status;
  }
  if ("streamed" in reply) return res.statusCode;
  const payload = reply.body === undefined ? undefined : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...(payload === undefined
      ? { "content-length": 0 }
      : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
    ...reply.headers,
  });
  res.end(payload);
  return reply.status;
}
