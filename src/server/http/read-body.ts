import type { IncomingMessage } from "node:http";

/**
 * Reads a request body up to `limit` bytes with plain callbacks (no promise per request):
 * `done(body)`, or `done("too-large")` after draining what was sent.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  done: (body: Buffer | "too-large") => void,
): void {
  if (Number(req.headers["content-length"] ?? 0) > limit) {
    req.resume();
    return done("too-large");
  }
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let over = false;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (over) return;
    if (size > limit) {
      over = true;
      first = undefined;
      more = undefined;
      return;
    }
    if (!first) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  req.on("end", () => done(over ? "too-large" : more ? Buffer.concat(more) : (first ?? Buffer.alloc(0))));
}

/** Whether the request announces a body: a non-zero Content-Length, or Transfer-Encoding. */
export function announcesBody(req: IncomingMessage): boolean {
  const h = req.headers;
  return Number(h["content-length"] ?? 0) > 0 || h["transfer-encoding"] !== undefined;
}
