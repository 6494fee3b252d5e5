import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { FieldError } from "../domain/errors.js";
import { problem, sendProblem } from "./problem.js";

/** What of a request Node's HTTP parser refused, by its error code. */
const FIELD_FOR: Record<string, string> = {
  HPE_INVALID_METHOD: "method",
  HPE_INVALID_URL: "path",
  HPE_INVALID_VERSION: "version",
  HPE_INVALID_HEADER_TOKEN: "headers",
  HPE_INVALID_CONSTANT: "request",
  HPE_LF_EXPECTED: "headers",
  HPE_CR_EXPECTED: "headers",
  HPE_INVALID_CONTENT_LENGTH: "Content-Length",
  HPE_UNEXPECTED_CONTENT_LENGTH: "Content-Length",
  HPE_INVALID_TRANSFER_ENCODING: "Transfer-Encoding",
  HPE_INVALID_CHUNK_SIZE: "body",
  HPE_INVALID_EOF_STATE: "body",
};

function rawResponse(status: number, title: string, detail: string, errors?: FieldError[]): string {
  const payload = JSON.stringify(problem(status, title, detail, errors ? { errors } : {}));
  return (
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
    `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`
  );
}

/**
 * Requests Node's HTTP parser refuses (malformed, oversized headers, a bad Expect) get
 * the same problem+json every other error gets, instead of Node's bare status lines.
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (err: Error & { code?: string; reason?: string }, socket: Duplex) => {
    // A response already under way on this socket cannot be followed by another.
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const code = err.code ?? "";
    if (code === "HPE_HEADER_OVERFLOW") {
      socket.end(rawResponse(431, "Request Header Fields Too Large", "the request headers are too large"));
    } else if (code === "HPE_CHUNK_EXTENSIONS_OVERFLOW") {
      socket.end(rawResponse(413, "Content Too Large", "the chunk extensions are too large"));
    } else if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
      socket.end(rawResponse(408, "Request Timeout", "the request did not arrive in time"));
    } else {
      const field = FIELD_FOR[code] ?? "request";
      const message = err.reason ? `is not valid HTTP/1.1 (${err.reason})` : "is not valid HTTP/1.1";
      socket.end(rawResponse(400, "Bad Request", "the request could not be parsed", [{ field, message }]));
    }
  });
  server.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) => {
    sendProblem(
      res,
      problem(417, "Expectation Failed", "only Expect: 100-continue is supported", {
        errors: [{ field: "Expect", message: "must be 100-continue or absent" }],
      }),
    );
  });
}

/** HTTP/1.1 requires Host (RFC 9112); answered here so the refusal is problem+json too. */
export function refuseWithoutHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.host !== undefined || req.httpVersion !== "1.1") return false;
  sendProblem(
    res,
    problem(400, "Bad Request", "HTTP/1.1 requests must carry a Host header", {
      errors: [{ field: "Host", message: "is required" }],
    }),
    { connection: "close" },
  );
  return true;
}
