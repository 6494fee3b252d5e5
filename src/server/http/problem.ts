import type { Response } from "express";
import type { ServerResponse } from "node:http";
import type { DomainError } from "../domain/errors.js";
import { type ProblemBody, problemOf } from "../edge/problem.js";

// Problem bodies are built in edge/, shared with the in-process API; here they are sent.
export { problem, type ProblemBody } from "../edge/problem.js";

export function sendProblem(
  res: Response | ServerResponse,
  body: ProblemBody,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(body.status, {
    "content-type": "application/problem+json",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** What HTTP adds to a refusal by its code: the challenge for 401, when to retry a 503. */
const HEADERS_FOR: Partial<Record<DomainError["code"], Record<string, string>>> = {
  UNAUTHORIZED: { "www-authenticate": 'Bearer realm="tokenplane"' },
  UNAVAILABLE: { "retry-after": "1" },
};

/** A problem answer: its body and the headers it needs. */
export interface ProblemAnswer {
  body: ProblemBody;
  headers: Record<string, string>;
}

/** A domain refusal as problem+json, with the headers its code and the refusal itself need. */
export function refusalAnswer(err: DomainError): ProblemAnswer {
  return { body: problemOf(err), headers: { ...HEADERS_FOR[err.code], ...err.headers } };
}
