import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccessPolicy } from "../domain/access-policy.js";
import type { Verifier } from "../domain/verifier.js";
import type { Logger } from "../logger.js";
import type { NodeEndpoint } from "./endpoint.js";
import { forwardAuthEndpoints } from "./forward-auth.js";
import type { Metrics } from "./metrics.js";
import { nodeAdapter } from "./node-adapter.js";
import { verifyEndpoint } from "./verify-endpoint.js";

export interface FastPathDeps {
  verifier: Verifier;
  policy: AccessPolicy;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  bodyLimit: number;
  /** Express-style trust for X-Forwarded-For (the ingress in front of forward auth). */
  trust: (address: string, hop: number) => boolean;
  /** Other endpoints served the same way: probes and scrapes, which come every few seconds. */
  more?: readonly NodeEndpoint[];
}

export interface FastPath {
  /** Answers the request and returns true, or returns false for Express to answer it. */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
  /** Its endpoints, for the OpenAPI document. */
  endpoints: readonly NodeEndpoint[];
}

/**
 * The hot endpoints, served on bare node:http ahead of Express: POST /api/v1/verify and forward
 * auth (and `more`). Besides Express's own cost, every request Express handles leaves V8's
 * feedback in Node's shared HTTP and stream code polymorphic (Express, its router, body-parser
 * and pino-http each give req and res objects another shape), which slows every later hot
 * request: what arrives often, such as probes, is kept off Express too.
 */
export function createFastPath(deps: FastPathDeps): FastPath {
  const endpoints = [verifyEndpoint(deps), ...forwardAuthEndpoints(deps), ...(deps.more ?? [])];
  return { serve: nodeAdapter(endpoints, deps), endpoints };
}
