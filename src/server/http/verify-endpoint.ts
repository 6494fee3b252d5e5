import type { IncomingMessage, ServerResponse } from "node:http";
import { VerifyBody } from "../../api/index.js";
import { denialOf } from "../domain/denial.js";
import type { Verifier, VerifyOutcome } from "../domain/verifier.js";
import type { Logger } from "../logger.js";
import { readBody, routeMetrics } from "./fast-io.js";
import type { Metrics } from "./metrics.js";
import { createDenialLog, DENIALS_LOGGED_PER_SECOND, tokenPrefixOf } from "./denial-log.js";
import { fieldErrors, problem, sendProblem } from "./problem.js";
import { verifyAnswer } from "../edge/verify-view.js";

export const VERIFY_PATH = "/api/v1/verify";

const JSON_TYPE = /^application\/(.+\+)?json\b/i;

/** `POST /api/v1/verify`: always 200 with the verdict, unless the request itself is wrong. */
export function verifyEndpoint(deps: {
  verifier: Verifier;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  bodyLimit: number;
  /** Answers 503 (storage trouble or a bug) — never "valid". */
  failed: (res: ServerResponse, err: unknown) => void;
}) {
  const observe = routeMetrics(deps.metrics, VERIFY_PATH);

  const denials = createDenialLog(deps.log, DENIALS_LOGGED_PER_SECOND);

  const answer = (res: ServerResponse, outcome: VerifyOutcome, started: number, input: VerifyBody): void => {
    if (outcome.code !== "VALID") {
      denials.record({
        code: outcome.code,
        denial: denialOf(outcome, input.permission),
        token: tokenPrefixOf(input.token),
      });
    }
    const payload = verifyAnswer(outcome, deps.now(), input.permission);
    res.writeHead(200, ["content-type", "application/json", "content-length", Buffer.byteLength(payload)]);
    res.end(payload);
    observe("POST", 200, started, outcome.code);
  };

  const refuse = (
    res: ServerResponse,
    status: number,
    body: ReturnType<typeof problem>,
    started: number,
    headers = {},
  ) => {
    sendProblem(res, body, headers);
    observe(status === 405 ? "OTHER" : "POST", status, started);
  };

  return (req: IncomingMessage, res: ServerResponse, started: number): void => {
    if (req.method !== "POST")
      return refuse(res, 405, problem(405, "Method Not Allowed", "use POST"), started, { allow: "POST" });
    if (!JSON_TYPE.test(req.headers["content-type"] ?? "")) {
      return refuse(
        res,
        415,
        problem(415, "Unsupported Media Type", "send the body as application/json"),
        started,
      );
    }
    readBody(req, deps.bodyLimit, (raw) => {
      if (raw === "too-large") {
        return refuse(
          res,
          413,
          problem(413, "Content Too Large", `the body may be at most ${deps.bodyLimit} bytes`),
          started,
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(raw.toString("utf8"));
      } catch {
        const errors = [{ field: "body", message: "is not valid JSON" }];
        return refuse(
          res,
          400,
          problem(400, "Malformed JSON", "the body is not valid JSON", { errors }),
          started,
        );
      }
      const parsed = VerifyBody.safeParse(json);
      if (!parsed.success) {
        const errors = fieldErrors(parsed.error);
        const detail = errors.map((e) => `${e.field}: ${e.message}`).join("; ");
        return refuse(res, 422, problem(422, "Invalid request", detail, { errors }), started);
      }
      try {
        const outcome = deps.verifier.verify(parsed.data);
        if (outcome instanceof Promise) {
          outcome.then(
            (o) => answer(res, o, started, parsed.data),
            (err: unknown) => deps.failed(res, err),
          );
        } else answer(res, outcome, started, parsed.data);
      } catch (err) {
        deps.failed(res, err);
      }
    });
  };
}
