import { type VerifyBody, VerifyBody as VerifyBodySchema, VerifyResult } from "../../api/index.js";
import { denialOf } from "../domain/denial.js";
import type { Verifier } from "../domain/verifier.js";
import type { Logger } from "../logger.js";
import { createDenialLog, DENIALS_LOGGED_PER_SECOND, tokenPrefixOf } from "./denial-log.js";
import type { NodeEndpoint } from "./endpoint.js";
import { andThen } from "./pipeline.js";
import { verifyAnswer } from "../edge/verify-view.js";

export const VERIFY_PATH = "/api/v1/verify";

/** `POST /api/v1/verify`: always 200 with the verdict, unless the request itself is wrong. */
export function verifyEndpoint(deps: { verifier: Verifier; log: Logger; now: () => number }): NodeEndpoint {
  const denials = createDenialLog(deps.log, DENIALS_LOGGED_PER_SECOND);
  return {
    method: "post",
    path: VERIFY_PATH,
    operationId: "verifyToken",
    summary: "Check a token as a service would: always 200 with the verdict and its reason",
    tag: "verification",
    auth: false,
    body: VerifyBodySchema,
    storesNothing: true,
    responses: {
      200: { description: "the verdict (valid or not, and why)", json: VerifyResult },
      413: { description: "the body is too large" },
      415: { description: "the body is not JSON" },
      422: { description: "the request is invalid; errors name each field" },
      503: { description: "storage is unavailable: try again (Retry-After)" },
    },
    handle(ctx) {
      const input = ctx.body as VerifyBody;
      return andThen(deps.verifier.verify(input), (outcome) => {
        if (outcome.code !== "VALID") {
          denials.record({
            code: outcome.code,
            denial: denialOf(outcome, input.permission),
            token: tokenPrefixOf(input.token),
          });
        }
        const payload = verifyAnswer(outcome, deps.now(), input.permission);
        return {
          status: 200,
          head: ["content-type", "application/json", "content-length", Buffer.byteLength(payload)],
          payload,
          observed: { code: outcome.code },
        };
      });
    },
  };
}
