import { pino, type DestinationStream, type Logger } from "pino";
import { TOKEN_SEARCH_PATTERN } from "../core/index.js";

export type { Logger };

/** Header values that carry credentials or signatures, wherever they appear in a log line. */
const REDACT = [
  "req.headers.authorization",
  'req.headers["private-token"]',
  'req.headers["x-api-key"]',
  "req.headers.cookie",
  "req.headers.signature",
  'req.headers["signature-input"]',
  'res.headers["set-cookie"]',
];

/** Replaces anything shaped like a tokenplane token (e.g. one pasted into a query string). */
export function scrubTokens(text: string): string {
  return text.replace(TOKEN_SEARCH_PATTERN, (t) => `${t.slice(0, 8)}[REDACTED]`);
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "tokenplane" },
      redact: { paths: REDACT, censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
