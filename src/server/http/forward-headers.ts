import type { IncomingMessage } from "node:http";

/** The request headers forward auth decides on; the rest are read (via `req.headers`) only when needed. */
export interface ForwardHeaders {
  authorization?: string;
  "private-token"?: string;
  "x-api-key"?: string;
  "x-original-method"?: string;
  "x-original-uri"?: string;
  "x-original-url"?: string;
  "x-forwarded-method"?: string;
  "x-forwarded-uri"?: string;
  "content-length"?: string;
  "transfer-encoding"?: string;
}

type Name = keyof ForwardHeaders;

const NAMES: readonly Name[] = [
  "authorization",
  "private-token",
  "x-api-key",
  "x-original-method",
  "x-original-uri",
  "x-original-url",
  "x-forwarded-method",
  "x-forwarded-uri",
  "content-length",
  "transfer-encoding",
];
const KNOWN = new Map<string, Name>(NAMES.map((n) => [n, n]));
/** Node keeps the first of these when repeated (and joins the others with ", "): same here. */
const FIRST_WINS = new Set<Name>(["authorization", "content-length"]);

/**
 * Only the headers forward auth reads, in one pass over `req.rawHeaders`: `req.headers`
 * would build an object of every header on each request. Repeated headers combine as Node
 * combines them in `req.headers`, so both views always agree.
 */
export function forwardHeaders(req: IncomingMessage): ForwardHeaders {
  const raw = req.rawHeaders;
  const found: ForwardHeaders = {};
  for (let i = 0; i < raw.length; i += 2) {
    const given = raw[i] as string;
    const name = KNOWN.get(given) ?? (given.length <= 18 ? KNOWN.get(given.toLowerCase()) : undefined);
    if (name === undefined) continue;
    const value = raw[i + 1] as string;
    const before = found[name];
    if (before === undefined) found[name] = value;
    else if (!FIRST_WINS.has(name)) found[name] = `${before}, ${value}`;
  }
  return found;
}
