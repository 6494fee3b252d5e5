import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccessPolicy } from "../domain/access-policy.js";
import type { Verifier } from "../domain/verifier.js";
import type { Logger } from "../logger.js";
import { AUTHORIZE_PATH, forwardAuth } from "./forward-auth.js";
import type { Metrics } from "./metrics.js";
import { problem, sendProblem } from "./problem.js";
import { VERIFY_PATH, verifyEndpoint } from "./verify-endpoint.js";

export interface FastPathDeps {
  verifier: Verifier;
  policy: AccessPolicy;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  bodyLimit: number;
  /** Express-style trust for X-Forwarded-For (the ingress in front of forward auth). */
  trust: (address: string, hop: number) => boolean;
}

/**
 * The two hot endpoints on bare node:http, ahead of Express (which costs ~190 µs of CPU per
 * request): POST /api/v1/verify and forward auth at /api/v1/authorize. Returns false for
 * every other request.
 */
export function createFastPath(deps: FastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const failed = (res: ServerResponse, err: unknown): void => {
    deps.log.error({ err }, "verification failed");
    // Storage trouble (or a bug): never "valid", and a status that says "try again".
    if (!res.headersSent) {
      sendProblem(res, problem(503, "Service Unavailable", "verification is unavailable; try again"), {
        "retry-after": "1",
      });
    }
  };
  const verify = verifyEndpoint({ ...deps, failed });
  const authorize = forwardAuth({ ...deps, failed });

  const belowAuthorize = `${AUTHORIZE_PATH}/`;
  return (req, res) => {
    const url = req.url ?? "";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    if (path === VERIFY_PATH) {
      verify(req, res, performance.now());
      return true;
    }
    if (path === AUTHORIZE_PATH || path.startsWith(belowAuthorize)) {
      authorize(req, res, performance.now());
      return true;
    }
    return false;
  };
}
