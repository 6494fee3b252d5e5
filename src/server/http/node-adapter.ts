import type { IncomingMessage, ServerResponse } from "node:http";
import { unavailable, unsupportedMediaType } from "../domain/errors.js";
import type { Logger } from "../logger.js";
import type { NodeEndpoint, Reply } from "./endpoint.js";
import type { Metrics } from "./metrics.js";
import { errorAnswer, runEndpoint, writeAnswer } from "./pipeline.js";
import { problem, sendProblem } from "./problem.js";
import { announcesBody, readBody } from "./read-body.js";
import { type ObserveRequest, routeMetrics } from "./request-metrics.js";

const JSON_TYPE = /^application\/(.+\+)?json\b/i;

/** A handler's own failure (storage trouble or a bug), as opposed to a refusal of the request. */
class HandlerFailed extends Error {
  constructor(readonly failure: unknown) {
    super("the handler failed");
  }
}

/** The endpoint with its handler's own failures told apart from the pipeline's refusals. */
function guarded(endpoint: NodeEndpoint): NodeEndpoint {
  return {
    ...endpoint,
    handle(ctx) {
      try {
        const reply = endpoint.handle(ctx);
        return reply instanceof Promise
          ? reply.catch((err: unknown) => {
              throw new HandlerFailed(err);
            })
          : reply;
      } catch (err) {
        throw new HandlerFailed(err);
      }
    },
  };
}

interface Served {
  endpoint: NodeEndpoint;
  /** The method it answers, as the request line spells it (unless it answers any). */
  method: string;
  observe: ObserveRequest;
}

/**
 * The pipeline on bare node:http, for the hot endpoints (verify, forward auth): Express costs
 * ~190 µs of CPU per request. Routes by exact path (or below, for endpoints that say so),
 * reads the body as the endpoint asks, runs the pipeline (synchronously when nothing on the
 * way waits) and writes the answer. Returns false for requests it does not serve.
 */
export function nodeAdapter(
  endpoints: readonly NodeEndpoint[],
  deps: { metrics: Metrics; log: Logger; bodyLimit: number },
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const exact = new Map<string, Served>();
  const below: [string, Served][] = [];
  for (const endpoint of endpoints) {
    const served: Served = {
      endpoint: guarded(endpoint),
      method: endpoint.method.toUpperCase(),
      observe: routeMetrics(deps.metrics, endpoint.metricsRoute ?? endpoint.path),
    };
    exact.set(endpoint.path, served);
    if (endpoint.below) below.push([`${endpoint.path}/`, served]);
  }
  // The longest prefix first: /api/v1/authorize/envoy/ before /api/v1/authorize/.
  below.sort((a, b) => b[0].length - a[0].length);

  const answer = (
    s: Served,
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    reply: Reply,
  ): void => {
    const status = writeAnswer(res, reply);
    s.observe(reply.observed?.method ?? req.method ?? "OTHER", status, started, reply.observed?.code);
  };

  const fail = (
    s: Served,
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    err: unknown,
  ): void => {
    // A handler that fails is never taken for "valid": the client is told to try again.
    const error =
      err instanceof HandlerFailed
        ? Object.assign(unavailable("verification is unavailable; try again"), { cause: err.failure })
        : err;
    if (res.headersSent) return;
    const { body, headers } = errorAnswer(error, deps.log, deps.bodyLimit);
    sendProblem(res, body, headers);
    s.observe(req.method ?? "OTHER", body.status, started);
  };

  const run = (
    s: Served,
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    body: unknown,
    rawBody: Buffer | undefined,
  ): void => {
    let reply;
    try {
      reply = runEndpoint(s.endpoint, {
        req,
        res,
        params: undefined,
        query: undefined,
        body,
        hasBody: true,
        rawBody,
      });
    } catch (err) {
      return fail(s, req, res, started, err);
    }
    if (reply instanceof Promise)
      reply.then(
        (r) => answer(s, req, res, started, r),
        (err: unknown) => fail(s, req, res, started, err),
      );
    else answer(s, req, res, started, reply);
  };

  const serve = (s: Served, req: IncomingMessage, res: ServerResponse, started: number): void => {
    const e = s.endpoint;
    // HEAD is GET without the body (Node leaves it out), as Express answers it.
    if (!e.anyMethod && req.method !== s.method && !(req.method === "HEAD" && s.method === "GET")) {
      const allow = s.method === "GET" ? "GET, HEAD" : s.method;
      sendProblem(res, problem(405, "Method Not Allowed", `use ${allow}`), { allow });
      return s.observe("OTHER", 405, started);
    }
    if (e.body) {
      if (!JSON_TYPE.test(req.headers["content-type"] ?? ""))
        return fail(s, req, res, started, unsupportedMediaType("send the body as application/json"));
      return readBody(req, deps.bodyLimit, (raw) => {
        if (raw === "too-large") return fail(s, req, res, started, { type: "entity.too.large" });
        let json: unknown;
        try {
          json = JSON.parse(raw.toString("utf8"));
        } catch {
          return fail(s, req, res, started, { type: "entity.parse.failed" });
        }
        run(s, req, res, started, json, undefined);
      });
    }
    if (e.rawBody !== undefined && announcesBody(req))
      return readBody(req, e.rawBody, (raw) =>
        run(s, req, res, started, undefined, raw === "too-large" ? undefined : raw),
      );
    run(s, req, res, started, undefined, undefined);
  };

  return (req, res) => {
    const url = req.url ?? "";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    let served = exact.get(path);
    if (!served)
      for (const [prefix, s] of below)
        if (path.startsWith(prefix)) {
          served = s;
          break;
        }
    if (!served) return false;
    serve(served, req, res, performance.now());
    return true;
  };
}
