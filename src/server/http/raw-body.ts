import type { IncomingMessage } from "node:http";

const RAW = Symbol("raw body");
type WithRawBody = IncomingMessage & { [RAW]?: Buffer };

/**
 * The JSON parser's `verify` hook: keeps the body's bytes, which a signed management call's
 * Content-Digest is checked against (the parsed object cannot be turned back into them).
 */
export function keepRawBody(req: IncomingMessage, _res: unknown, body: Buffer): void {
  (req as WithRawBody)[RAW] = body;
}

/** The bytes of the request body as received; empty when there was none (or it was not JSON). */
export function rawBodyOf(req: IncomingMessage): Buffer {
  return (req as WithRawBody)[RAW] ?? Buffer.alloc(0);
}
