import type { IncomingMessage, ServerResponse } from "node:http";
import proxyaddr from "proxy-addr";
import { VerifyBody, type VerifyCode } from "../../api/index.js";
import type { AccessPolicy } from "../domain/access-policy.js";
import { METHOD_ACTIONS } from "../domain/access-policy.js";
import { allows, type Action } from "../../core/index.js";
import type { Verifier, VerifyOutcome } from "../domain/verifier.js";
import type { Logger } from "../logger.js";
import { credentialFrom, originFrom } from "./credentials.js";
import type { Metrics } from "./metrics.js";
import { fieldErrors, problem, sendProblem } from "./problem.js";
import { verifyResult } from "./verify-view.js";

const VERIFY = "/api/v1/verify";
const AUTHORIZE = "/api/v1/authorize";
/** Forward auth may carry the original body (Traefik forwardBody, Envoy with_request_body). */
const FORWARDED_BODY_LIMIT = 1 << 20;

export interface FastPathDeps {
  verifier: Verifier;
  policy: AccessPolicy;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  bodyLimit: number;
  /** Express-style trust for X-Forwarded-For (the ingress in front of forward auth). */
  trust: (address: string, hop: number) => boolean;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too-large"> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      req.resume();
      return resolve("too-large");
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve("too-large");
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** RateLimit-* (IETF draft) and, when refused, Retry-After. */
function rateHeaders(outcome: VerifyOutcome, refused: boolean): Record<string, string | number> {
  const rate = outcome.rate;
  if (!rate) return {};
  const reset = Math.max(1, Math.ceil(rate.resetMs / 1000));
  return {
    "ratelimit-limit": rate.limit,
    "ratelimit-remaining": rate.remaining,
    "ratelimit-reset": reset,
    ...(refused ? { "retry-after": reset } : {}),
  };
}

const REFILL_PERIOD_MS = { daily: 86_400_000, weekly: 7 * 86_400_000, monthly: 31 * 86_400_000 };

/** Seconds until credits come back, when they will. */
function refillSeconds(outcome: VerifyOutcome, now: number): number | undefined {
  const refill = outcome.resolved?.token.credits?.refill;
  if (!refill) return undefined;
  const d = new Date(now);
  const next =
    refill.interval === "daily"
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
      : refill.interval === "weekly"
        ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + ((8 - d.getUTCDay()) % 7 || 7))
        : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Math.min(Math.ceil((next - now) / 1000), REFILL_PERIOD_MS[refill.interval] / 1000);
}

/**
 * The original request's absolute URL, for signature components such as @authority: the
 * forward-auth request's own Host is this server, so take the proxy's X-Forwarded-Host /
 * X-Forwarded-Proto (Traefik, Envoy) or ingress-nginx's X-Original-URL.
 */
function originalRequestUrl(
  h: IncomingMessage["headers"],
  uri: string,
  originalUrl: string | undefined,
): string {
  if (originalUrl && /^https?:\/\//i.test(originalUrl)) return originalUrl;
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(",")[0]?.trim();
  const host = first(h["x-forwarded-host"]) ?? first(h.host) ?? "localhost";
  const proto = first(h["x-forwarded-proto"]) === "http" ? "http" : "https";
  return `${proto}://${host}${uri.startsWith("/") ? "" : "/"}${uri}`;
}

const STATUS_FOR: Record<VerifyCode, number> = {
  VALID: 200,
  NOT_FOUND: 401,
  EXPIRED: 401,
  SIGNATURE_REQUIRED: 401,
  FORBIDDEN: 403,
  ORIGIN_NOT_ALLOWED: 403,
  IP_NOT_ALLOWED: 403,
  RATE_LIMITED: 429,
  USAGE_EXCEEDED: 429,
};

const DETAIL_FOR: Record<VerifyCode, string> = {
  VALID: "",
  NOT_FOUND: "the token is not valid",
  EXPIRED: "the token has expired",
  SIGNATURE_REQUIRED: "the token requires a valid request signature",
  FORBIDDEN: "the token lacks the permission",
  ORIGIN_NOT_ALLOWED: "the token may not be used from this origin",
  IP_NOT_ALLOWED: "the token may not be used from this IP address",
  RATE_LIMITED: "the token's rate limit is exhausted",
  USAGE_EXCEEDED: "the token's credits are used up",
};

/**
 * The two hot endpoints on bare node:http, ahead of Express (which costs ~190 µs of CPU per
 * request): POST /api/v1/verify and forward auth at /api/v1/authorize. Returns false for
 * every other request.
 */
export function createFastPath(deps: FastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { verifier, policy, metrics, log, now } = deps;

  const observe = (route: string, method: string, status: number, started: bigint, code?: VerifyCode) => {
    const labels = { method, route };
    metrics.duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    metrics.requests.inc({ ...labels, status: String(status) });
    if (code) metrics.verifications.inc({ endpoint: route, code });
  };

  const failed = (res: ServerResponse, err: unknown, route: string) => {
    log.error({ err, route }, "verification failed");
    // Storage trouble (or a bug): never "valid", and a status that says "try again".
    if (!res.headersSent) {
      sendProblem(res, problem(503, "Service Unavailable", "verification is unavailable; try again"), {
        "retry-after": "1",
      });
    }
  };

  async function verify(req: IncomingMessage, res: ServerResponse, started: bigint): Promise<void> {
    if (req.method !== "POST") {
      sendProblem(res, problem(405, "Method Not Allowed", "use POST"), { allow: "POST" });
      return observe(VERIFY, req.method ?? "", 405, started);
    }
    const type = req.headers["content-type"] ?? "";
    if (!/^application\/(.+\+)?json\b/i.test(type)) {
      sendProblem(res, problem(415, "Unsupported Media Type", "send the body as application/json"));
      return observe(VERIFY, "POST", 415, started);
    }
    const raw = await readBody(req, deps.bodyLimit);
    if (raw === "too-large") {
      sendProblem(res, problem(413, "Content Too Large", `the body may be at most ${deps.bodyLimit} bytes`));
      return observe(VERIFY, "POST", 413, started);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString("utf8"));
    } catch {
      sendProblem(
        res,
        problem(400, "Malformed JSON", "the body is not valid JSON", {
          errors: [{ field: "body", message: "is not valid JSON" }],
        }),
      );
      return observe(VERIFY, "POST", 400, started);
    }
    const parsed = VerifyBody.safeParse(json);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      sendProblem(
        res,
        problem(422, "Invalid request", errors.map((e) => `${e.field}: ${e.message}`).join("; "), { errors }),
      );
      return observe(VERIFY, "POST", 422, started);
    }
    const outcome = await verifier.verify(parsed.data);
    if (outcome.reason && log.isLevelEnabled("debug"))
      log.debug({ code: outcome.code, reason: outcome.reason }, "verification refused");
    sendJson(res, 200, verifyResult(outcome, now()), { "cache-control": "no-store" });
    observe(VERIFY, "POST", 200, started, outcome.code);
  }

  async function authorize(req: IncomingMessage, res: ServerResponse, started: bigint): Promise<void> {
    const url = req.url ?? AUTHORIZE;
    const h = req.headers;
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
    // Traefik: X-Forwarded-*; nginx: X-Original-*; Envoy ext_authz: the original request itself.
    const envoyPath = url.startsWith(`${AUTHORIZE}/`) ? url.slice(AUTHORIZE.length) : undefined;
    const originalUrl = one(h["x-original-url"]);
    const method = (
      one(h["x-forwarded-method"]) ??
      one(h["x-original-method"]) ??
      req.method ??
      "GET"
    ).toUpperCase();
    const uri =
      one(h["x-forwarded-uri"]) ??
      one(h["x-original-uri"]) ??
      (originalUrl ? originalUrl.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "") || "/" : undefined) ??
      envoyPath;
    const answer = (
      status: number,
      detail: string,
      headers: Record<string, string | number> = {},
      code?: VerifyCode,
    ) => {
      if (status === 200) {
        res.writeHead(200, { "content-length": 0, ...headers });
        res.end();
      } else {
        const titles: Record<number, string> = {
          400: "Bad Request",
          401: "Unauthorized",
          403: "Forbidden",
          429: "Too Many Requests",
        };
        sendProblem(
          res,
          problem(status, titles[status] ?? "Error", detail),
          Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
        );
      }
      observe(AUTHORIZE, method, status, started, code);
    };

    if (uri === undefined)
      return answer(400, "send the original request's X-Forwarded-Uri (Traefik) or X-Original-URI (nginx)");
    // CORS preflights carry no credentials by design; the request that follows is checked.
    if (method === "OPTIONS") return answer(200, "");
    const action: Action | undefined = METHOD_ACTIONS[method];
    if (!action) return answer(403, `the method ${method} is not allowed`);
    const match = await policy.match(uri, method);
    if (match.path === undefined) return answer(400, "the original URI cannot be decoded");
    if (!match.resource) return answer(403, "no registered resource covers this path");
    const permission = `${match.resource}:${action}`;

    const credential = credentialFrom(h);
    if (!credential) {
      if (allows(await policy.defaults(), match.resource, action))
        return answer(200, "", { "x-token-anonymous": "true" });
      return answer(401, `${permission} needs a token`, { "www-authenticate": 'Bearer realm="tokenplane"' });
    }

    const raw =
      Number(h["content-length"] ?? 0) > 0 || h["transfer-encoding"]
        ? await readBody(req, FORWARDED_BODY_LIMIT)
        : undefined;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(h))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    const outcome = await verifier.verify({
      token: credential,
      permission,
      origin: originFrom(h),
      ip: proxyaddr(req, deps.trust),
      cost: 1,
      request: {
        method,
        url: originalRequestUrl(h, uri, originalUrl),
        headers,
        ...(raw instanceof Buffer && raw.length > 0 ? { body: raw.toString("utf8") } : {}),
      },
    });
    const code = outcome.code;
    if (outcome.reason && log.isLevelEnabled("debug"))
      log.debug({ code, reason: outcome.reason }, "forward auth refused");
    if (code === "VALID") {
      const t = outcome.resolved?.token;
      return answer(
        200,
        "",
        { "x-token-id": t?.id ?? "", "x-token-user": t?.userId ?? "", ...rateHeaders(outcome, false) },
        code,
      );
    }
    if (code === "USAGE_EXCEEDED") {
      const retry = refillSeconds(outcome, now());
      // Credits that never refill will not come back by waiting.
      if (retry === undefined) return answer(403, DETAIL_FOR[code], {}, code);
      return answer(429, DETAIL_FOR[code], { "retry-after": retry }, code);
    }
    const status = STATUS_FOR[code];
    const extra: Record<string, string | number> =
      status === 401
        ? { "www-authenticate": 'Bearer realm="tokenplane"' }
        : rateHeaders(outcome, status === 429);
    return answer(status, DETAIL_FOR[code], extra, code);
  }

  return (req, res) => {
    const url = req.url ?? "";
    const path = url.split("?", 1)[0] ?? "";
    const started = process.hrtime.bigint();
    if (path === VERIFY) {
      verify(req, res, started).catch((err: unknown) => failed(res, err, VERIFY));
      return true;
    }
    if (path === AUTHORIZE || path.startsWith(`${AUTHORIZE}/`)) {
      authorize(req, res, started).catch((err: unknown) => failed(res, err, AUTHORIZE));
      return true;
    }
    return false;
  };
}
