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

/**
 * A token (or what is left of one: truncated, padded, mistyped) inside a JSON log line: from
 * the prefix, also percent-encoded, to the end of the JSON string it is in.
 */
const TOKEN_IN_JSON = /tp[sp](?:_|%5[Ff])(?:[^"\\]|\\.)*/g;

/**
 * Every log line, whatever field or message carries it, with anything shaped like a token
 * cut to its display prefix (8 characters, as audit records show it).
 */
export function scrubLine(line: string): string {
  return line.replace(TOKEN_IN_JSON, (t) => {
    if (t.length <= 8) return t;
    // Never keep half of a JSON escape: the line must stay valid JSON.
    const head = t.slice(0, 8);
    const escape = head.indexOf("\\");
    return `${escape === -1 ? head : head.slice(0, escape)}[REDACTED]`;
  });
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "tokenplane" },
      redact: { paths: REDACT, censor: "[REDACTED]" },
      hooks: { streamWrite: scrubLine },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
