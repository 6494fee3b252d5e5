import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import proxyaddr from "proxy-addr";
import type { VerifyCode, VerifyDenial } from "../../api/index.js";
import { allows } from "../../core/index.js";
import {
  type AccessPolicy,
  matchRoute,
  METHOD_ACTIONS,
  type PolicySnapshot,
} from "../domain/access-policy.js";
import { denialOf } from "../domain/denial.js";
import type { ResolvedToken } from "../domain/principal.js";
import type { Verifier, VerifyOutcome } from "../domain/verifier.js";
import type { Logger } from "../logger.js";
import { credentialFrom, originFrom } from "./credentials.js";
import { createDenialLog, DENIALS_LOGGED_PER_SECOND, tokenPrefixOf } from "./denial-log.js";
import { readBody, routeMetrics } from "./fast-io.js";
import type { Metrics } from "./metrics.js";
import { problem, sendProblem } from "./problem.js";

export const AUTHORIZE_PATH = "/api/v1/authorize";
/** Forward auth may carry the original body (Traefik forwardBody, Envoy with_request_body). */
const FORWARDED_BODY_LIMIT = 1 << 20;
const REALM = 'Bearer realm="tokenplane"';

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

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  429: "Too Many Requests",
};

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** An allowing answer's headers (no body; X-Token-Id and X-Token-User), built once per cached token. */
const identities = new WeakMap<ResolvedToken, (string | number)[]>();
function identityHeaders(resolved: ResolvedToken): (string | number)[] {
  let headers = identities.get(resolved);
  if (!headers)
    identities.set(
      resolved,
      (headers = [
        "content-length",
        0,
        "x-token-id",
        resolved.token.id,
        "x-token-user",
        resolved.token.userId,
      ]),
    );
  return headers;
}
const ALLOWED: (string | number)[] = ["content-length", 0];
const ANONYMOUS: (string | number)[] = ["content-length", 0, "x-token-anonymous", "true"];

/** RateLimit-* (IETF draft) and, when refused, Retry-After. */
function rateHeaders(outcome: VerifyOutcome, refused: boolean): (string | number)[] {
  const rate = outcome.rate;
  if (!rate) return [];
  const reset = Math.max(1, Math.ceil(rate.resetMs / 1000));
  return [
    "ratelimit-limit",
    rate.limit,
    "ratelimit-remaining",
    rate.remaining,
    "ratelimit-reset",
    reset,
    ...(refused ? ["retry-after", reset] : []),
  ];
}

/** Seconds until credits come back (the next UTC day, Monday or first of the month), when they will. */
function refillSeconds(outcome: VerifyOutcome, now: number): number | undefined {
  const refill = outcome.resolved?.token.credits?.refill;
  if (!refill) return undefined;
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  const next =
    refill.interval === "daily"
      ? Date.UTC(y, m, day + 1)
      : refill.interval === "weekly"
        ? Date.UTC(y, m, day + ((8 - d.getUTCDay()) % 7 || 7))
        : Date.UTC(y, m + 1, 1);
  return Math.max(1, Math.ceil((next - now) / 1000));
}

/**
 * The original request's absolute URL, for signature components such as @authority: the
 * forward-auth request's own Host is this server, so take the proxy's X-Forwarded-Host /
 * X-Forwarded-Proto (Traefik, Envoy) or ingress-nginx's X-Original-URL.
 */
function originalRequestUrl(h: IncomingHttpHeaders, uri: string, originalUrl: string | undefined): string {
  if (originalUrl && /^https?:\/\//i.test(originalUrl)) return originalUrl;
  const first = (v: string | string[] | undefined) => one(v)?.split(",")[0]?.trim();
  const host = first(h["x-forwarded-host"]) ?? first(h.host) ?? "localhost";
  const proto = first(h["x-forwarded-proto"]) === "http" ? "http" : "https";
  return `${proto}://${host}${uri.startsWith("/") ? "" : "/"}${uri}`;
}

/** The original request as the proxy reported it, or why it cannot be read (a 400). */
type Original =
  | { method: string; uri: string; field: string; absoluteUrl?: string; error?: undefined }
  | { error: string; errors: { field: string; message: string }[] };

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i;

/** Header names as the README and error messages spell them. */
const SPELLED = {
  "x-original-method": "X-Original-Method",
  "x-original-uri": "X-Original-URI",
  "x-original-url": "X-Original-URL",
  "x-forwarded-method": "X-Forwarded-Method",
  "x-forwarded-uri": "X-Forwarded-Uri",
} as const;

function fromHeaders(
  h: IncomingHttpHeaders,
  methodHeader: "x-original-method" | "x-forwarded-method",
  uriHeader: "x-original-uri" | "x-forwarded-uri" | "x-original-url",
  proxy: string,
): Original {
  const method = one(h[methodHeader]);
  const uri = one(h[uriHeader]);
  if (method !== undefined && uri !== undefined) {
    const field = SPELLED[uriHeader];
    if (uriHeader !== "x-original-url") return { method: method.toUpperCase(), uri, field };
    // ingress-nginx: `$scheme://$http_host$request_uri`.
    return { method: method.toUpperCase(), uri: uri.replace(ABSOLUTE, ""), field, absoluteUrl: uri };
  }
  const missing = [
    ...(method === undefined ? [SPELLED[methodHeader]] : []),
    ...(uri === undefined ? [SPELLED[uriHeader]] : []),
  ];
  return {
    error: `${proxy} must send ${missing.join(" and ")} (see the README's forward-auth section)`,
    errors: missing.map((field) => ({ field, message: "is required" })),
  };
}

/**
 * Where the original method and path come from, per integration. Only headers the proxy
 * itself sets (replacing any a client sent) are read; the others are the client's to
 * choose, so they are never consulted:
 * - nginx (`auth_request`): X-Original-Method + X-Original-URI, as the README's config sets them;
 * - ingress-nginx: X-Original-Method + X-Original-URL;
 * - Traefik: X-Forwarded-Method + X-Forwarded-Uri (Traefik overwrites them);
 * - Envoy ext_authz (HTTP service, `path_prefix: /api/v1/authorize/envoy`): the request's own
 *   method and the path below the prefix.
 * Plain `/api/v1/authorize` (kept for existing setups) reads whichever family is present, and
 * refuses a request that carries more than one: no proxy sets two, so a second is a client's.
 */
const PROXY_ENDPOINTS = new Map<string, "nginx" | "ingress-nginx" | "traefik">([
  [`${AUTHORIZE_PATH}/nginx`, "nginx"],
  [`${AUTHORIZE_PATH}/ingress-nginx`, "ingress-nginx"],
  [`${AUTHORIZE_PATH}/traefik`, "traefik"],
]);
const ENVOY_PATH = `${AUTHORIZE_PATH}/envoy`;
const BELOW_ENVOY = `${ENVOY_PATH}/`;

function originalRequest(req: IncomingMessage, url: string): Original {
  const h = req.headers;
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  switch (PROXY_ENDPOINTS.get(path)) {
    case "nginx":
      return fromHeaders(h, "x-original-method", "x-original-uri", "nginx");
    case "ingress-nginx":
      return fromHeaders(h, "x-original-method", "x-original-url", "ingress-nginx");
    case "traefik":
      return fromHeaders(h, "x-forwarded-method", "x-forwarded-uri", "Traefik");
  }
  if (path === ENVOY_PATH || path.startsWith(BELOW_ENVOY)) {
    const below = url.slice(ENVOY_PATH.length);
    return {
      method: (req.method ?? "GET").toUpperCase(),
      uri: below.startsWith("/") ? below : `/${below}`,
      field: "path",
    };
  }
  for (const endpoint of PROXY_ENDPOINTS.keys())
    if (path.startsWith(`${endpoint}/`))
      return {
        error: `nothing is served below ${endpoint}`,
        errors: [{ field: "path", message: `must be ${endpoint}` }],
      };
  // Plain /api/v1/authorize, or (Envoy, older configuration) a path below it.
  const traefik = h["x-forwarded-uri"] !== undefined || h["x-forwarded-method"] !== undefined;
  const nginx = h["x-original-uri"] !== undefined;
  const ingressNginx = h["x-original-url"] !== undefined;
  const envoy = url.charCodeAt(AUTHORIZE_PATH.length) === 47;
  const families = Number(traefik) + Number(nginx) + Number(ingressNginx) + Number(envoy);
  const originalMethod = h["x-original-method"] !== undefined;
  if (families > 1 || (originalMethod && (traefik || envoy)))
    return {
      error:
        "the request carries the original-request headers of more than one proxy; use the endpoint for yours, e.g. /api/v1/authorize/nginx",
      errors: [
        { field: "headers", message: "X-Forwarded-*, X-Original-URI, X-Original-URL: only one proxy's" },
      ],
    };
  if (traefik) return fromHeaders(h, "x-forwarded-method", "x-forwarded-uri", "Traefik");
  if (nginx) return fromHeaders(h, "x-original-method", "x-original-uri", "nginx");
  if (ingressNginx) return fromHeaders(h, "x-original-method", "x-original-url", "ingress-nginx");
  if (envoy)
    return {
      method: (req.method ?? "GET").toUpperCase(),
      uri: url.slice(AUTHORIZE_PATH.length),
      field: "path",
    };
  return {
    error: "send the original request's X-Forwarded-Uri (Traefik) or X-Original-URI (nginx)",
    errors: [{ field: "X-Forwarded-Uri", message: "is required (or X-Original-URI, X-Original-URL)" }],
  };
}

/**
 * Forward auth for ingress controllers: `/api/v1/authorize/<proxy>` (any method; see
 * `originalRequest` for what each proxy's endpoint reads).
 */
export function forwardAuth(deps: {
  verifier: Verifier;
  policy: AccessPolicy;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  /** Express-style trust for X-Forwarded-For (the ingress in front of forward auth). */
  trust: (address: string, hop: number) => boolean;
  failed: (res: ServerResponse, err: unknown) => void;
}) {
  const observe = routeMetrics(deps.metrics, AUTHORIZE_PATH);
  const denials = createDenialLog(deps.log, DENIALS_LOGGED_PER_SECOND, deps.now, "forward auth");

  return (req: IncomingMessage, res: ServerResponse, started: number): void => {
    const h = req.headers;
    const original = originalRequest(req, req.url ?? AUTHORIZE_PATH);
    const method = original.error === undefined ? original.method : "GET";

    // Metric labels only for methods forward auth knows: the header is the client's to choose.
    const label = method in METHOD_ACTIONS || method === "OPTIONS" ? method : "OTHER";
    const answer = (
      status: number,
      detail = "",
      headers: (string | number)[] = [],
      code?: VerifyCode,
      errors?: { field: string; message: string }[],
      denial?: VerifyDenial,
    ): void => {
      if (status === 200) {
        // Allowing answers carry their complete header list (ALLOWED, ANONYMOUS, identityHeaders).
        res.writeHead(200, headers);
        res.end();
      } else {
        const extra: Record<string, string> = {};
        for (let i = 0; i < headers.length; i += 2) extra[String(headers[i])] = String(headers[i + 1]);
        // A token's refusal says why for machines too: its code and the denial, as verify does.
        const fields = {
          ...(errors ? { errors } : {}),
          ...(code ? { code } : {}),
          ...(denial ? { denial } : {}),
        };
        sendProblem(res, problem(status, TITLES[status] ?? "Error", detail, fields), extra);
      }
      observe(label, status, started, code);
    };
    const verdict = (outcome: VerifyOutcome, permission: string, credential: string): void => {
      const code = outcome.code;
      if (code === "VALID" && outcome.resolved) {
        const identity = identityHeaders(outcome.resolved);
        return answer(200, "", outcome.rate ? identity.concat(rateHeaders(outcome, false)) : identity, code);
      }
      const denial = denialOf(outcome, permission);
      denials.record({ code, denial, token: tokenPrefixOf(credential) });
      if (code === "USAGE_EXCEEDED") {
        const retry = refillSeconds(outcome, deps.now());
        // Credits that never refill will not come back by waiting.
        if (retry === undefined) return answer(403, DETAIL_FOR[code], [], code, undefined, denial);
        return answer(429, DETAIL_FOR[code], ["retry-after", retry], code, undefined, denial);
      }
      const status = STATUS_FOR[code];
      answer(
        status,
        DETAIL_FOR[code],
        status === 401 ? ["www-authenticate", REALM] : rateHeaders(outcome, status === 429),
        code,
        undefined,
        denial,
      );
    };

    const decide = (policy: PolicySnapshot, body: Buffer | undefined): void => {
      if (original.error !== undefined) return answer(400, original.error, [], undefined, original.errors);
      const match = matchRoute(policy, original.uri, method);
      // Ambiguous paths are refused with 403 (whatever the method), which every proxy passes on as a denial.
      if (match.refused !== undefined)
        return answer(403, `the original path is ambiguous: it ${match.refused}`, [], undefined, [
          { field: original.field, message: match.refused },
        ]);
      // CORS preflights carry no credentials by design; the request that follows is checked.
      if (method === "OPTIONS") return answer(200, "", ALLOWED);
      const action = METHOD_ACTIONS[method];
      if (!action) return answer(403, "the original method is none of GET, HEAD, POST, PUT, PATCH, DELETE");
      if (!match.resource) return answer(403, "no registered resource covers this path");
      const permission = `${match.resource}:${action}`;

      const credential = credentialFrom(h);
      if (!credential) {
        if (allows(policy.defaults, match.resource, action)) return answer(200, "", ANONYMOUS);
        return answer(401, `${permission} needs a token`, ["www-authenticate", REALM]);
      }
      // The client IP and the signed-request view are worked out only for tokens that need them.
      const outcome = deps.verifier.verify({
        token: credential,
        permission,
        cost: 1,
        get origin() {
          return originFrom(h);
        },
        get ip() {
          return proxyaddr(req, deps.trust);
        },
        get request() {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(h))
            if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
          return {
            method,
            url: originalRequestUrl(h, original.uri, original.absoluteUrl),
            headers,
            ...(body && body.length > 0 ? { body: body.toString("utf8") } : {}),
          };
        },
      });
      if (outcome instanceof Promise)
        outcome.then(
          (o) => verdict(o, permission, credential),
          (err: unknown) => deps.failed(res, err),
        );
      else verdict(outcome, permission, credential);
    };

    const withPolicy = (body: Buffer | undefined): void => {
      try {
        const policy = deps.policy.current();
        if (policy instanceof Promise)
          policy.then(
            (p) => decide(p, body),
            (err: unknown) => deps.failed(res, err),
          );
        else decide(policy, body);
      } catch (err) {
        deps.failed(res, err);
      }
    };

    const hasBody = Number(h["content-length"] ?? 0) > 0 || h["transfer-encoding"] !== undefined;
    if (!hasBody) return withPolicy(undefined);
    readBody(req, FORWARDED_BODY_LIMIT, (raw) => withPolicy(raw === "too-large" ? undefined : raw));
  };
}
