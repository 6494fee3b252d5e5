import express, { type NextFunction, type Request, type Response } from "express";
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { pinoHttp } from "pino-http";
import { type Logger, scrubTokens } from "../logger.js";
import type { Authenticate } from "./authenticate.js";
import { CONSOLE_PATH, consoleRoutes } from "./console-routes.js";
import type { Metrics } from "./metrics.js";
import { expressPath, type Route } from "./endpoint.js";
import { errorAnswer, runEndpoint, writeAnswer } from "./pipeline.js";
import { problem, sendProblem } from "./problem.js";
import { keepRawBody } from "./raw-body.js";
import { metricsByRoute } from "./request-metrics.js";

export interface AppDeps {
  routes: readonly Route[];
  authenticate: Authenticate;
  log: Logger;
  metrics: Metrics;
  /** Largest accepted JSON body, in bytes. */
  bodyLimit: number;
  /** `trust proxy` as Express understands it: which hops may set X-Forwarded-For. */
  trustProxy: string | boolean | number;
  /** Credentials without our token shape (the configured admin token), scrubbed from logged URLs. */
  secrets?: readonly string[];
  /** The built web console to serve at /console; undefined serves none. */
  consoleDir?: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** A token's prefix: a client that sends one as its request id gets it neither echoed nor logged. */
const TOKEN_PREFIX = /tp[sp]_/i;

/** The client's X-Request-Id when it is short, plain and not shaped like a token; else a fresh one. */
function requestId(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) && !TOKEN_PREFIX.test(given)
    ? given
    : randomUUID();
}

function hasBody(req: Request): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.trustProxy);
  app.set("etag", false);

  app.use(
    pinoHttp({
      logger: deps.log,
      genReqId: (req, res) => {
        const id = requestId(req);
        res.setHeader("x-request-id", id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? "error" : "info"),
      serializers: {
        req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: scrubTokens(req.url, deps.secrets),
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );

  const observe = metricsByRoute(deps.metrics);
  app.use((req, res, next) => {
    const started = performance.now();
    res.on("finish", () => {
      const routePath = (req.route as { path?: string } | undefined)?.path ?? "unmatched";
      observe(routePath)(req.method, res.statusCode, started);
    });
    next();
  });

  if (deps.consoleDir) app.use(CONSOLE_PATH, consoleRoutes(deps.consoleDir));

  // An announced body over the limit is refused at once, and the connection closed: the JSON
  // parser would first read (and discard) all of it, however large, before answering.
  app.use((req, res, next) => {
    if (Number(req.headers["content-length"] ?? 0) <= deps.bodyLimit) return next();
    res.set("connection", "close");
    next(Object.assign(new Error("request entity too large"), { type: "entity.too.large", status: 413 }));
  });
  app.use(
    express.json({
      limit: deps.bodyLimit,
      type: ["application/json", "application/*+json"],
      verify: keepRawBody,
    }),
  );

  for (const r of deps.routes) {
    app[r.method](expressPath(r.path), async (req: Request, res: Response, next: NextFunction) => {
      try {
        const reply = await runEndpoint(
          r,
          { req, res, params: req.params, query: req.query, body: req.body, hasBody: hasBody(req) },
          deps.authenticate,
        );
        if ("streamed" in reply) return;
        if ("status" in reply && !("head" in reply)) {
          // Express serialises JSON answers (its content type and charset are part of the contract).
          res.status(reply.status).set(reply.headers ?? {});
          if (reply.body === undefined) res.end();
          else res.json(reply.body);
        } else writeAnswer(res, reply);
      } catch (err) {
        next(err);
      }
    });
  }

  // The path is not echoed: it may hold a credential of any shape.
  app.use((req: Request, res: Response) => {
    sendProblem(res, problem(404, "Not Found", `no route for ${req.method} on this path; see /openapi.json`));
  });

  // Express recognises error handlers by their four parameters.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.end();
      return;
    }
    const answer = errorAnswer(err, req.log, deps.bodyLimit);
    sendProblem(res, answer.body, answer.headers);
  });

  return app;
}
