import { pino, type DestinationStream, type Logger } from "pino";

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

/**
 * From a token prefix to the end: a token, but also a mistyped, truncated or padded one,
 * which still gives most of a real token away. Stopping at a delimiter would leave the
 * rest of a token whose typo happens to be one (or to decode to one, as %26 does).
 */
const TOKEN_LIKE = /tp[sp]_[\s\S]*/g;

function percentDecoded(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/**
 * Replaces anything shaped like a tokenplane token (e.g. one pasted into a query string),
 * and each of `secrets` (the configured admin token, which has no fixed shape), also when
 * percent-encoded: then the decoded text is what is kept.
 */
export function scrubTokens(text: string, secrets: readonly string[] = []): string {
  const decoded = percentDecoded(text);
  const hides = (t: string) => t.search(TOKEN_LIKE) !== -1 || secrets.some((s) => t.includes(s));
  let out = (decoded !== text && hides(decoded) ? decoded : text).replace(TOKEN_LIKE, (t) =>
    t.length <= 8 ? t : `${t.slice(0, 8)}[REDACTED]`,
  );
  for (const secret of secrets) out = out.split(secret).join("[REDACTED]");
  return out;
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
