import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";
import * as z from "zod";
import { allows } from "../../core/index.js";
import { type AccessPolicy, METHOD_ACTIONS, type PolicySnapshot } from "../domain/access-policy.js";
import { denialOf } from "../domain/denial.js";
import type { RequestToCheck } from "../domain/request-signature.js";
import type { MaybeAsync, Verifier, VerifyInput, VerifyOutcome } from "../domain/verifier.js";
import type { Logger } from "../logger.js";
import { credentialFrom, originFrom } from "./credentials.js";
import { createDenialLog, DENIALS_LOGGED_PER_SECOND, tokenPrefixOf } from "./denial-log.js";
import type { NodeEndpoint, Observed, Reply } from "./endpoint.js";
import {
  ALLOWED_HEAD,
  allowed,
  ANONYMOUS_HEAD,
  DETAIL_FOR,
  rateHeaders,
  REALM,
  refillSeconds,
  refusal,
  STATUS_FOR,
} from "./forward-auth-answers.js";
import { FORWARD_AUTH_RESPONSES, forwardAuthHeaders } from "./forward-auth-docs.js";
import {
  AUTHORIZE_PATH,
  ENVOY_PATH,
  type Original,
  type OriginalReader,
  PROXY_READERS,
  readAnyProxy,
} from "./forward-auth-original.js";
import { matchRouteCached } from "./route-match-cache.js";

export { AUTHORIZE_PATH } from "./forward-auth-original.js";

/** Forward auth may carry the original body (Traefik forwardBody, Envoy with_request_body). */
const FORWARDED_BODY_LIMIT = 1 << 20;

/** Metric labels only for methods forward auth knows: the header is the client's to choose. */
const LABELS = [...Object.keys(METHOD_ACTIONS), "OPTIONS", "OTHER"];
const labelOf = (method: string): string =>
  method in METHOD_ACTIONS || method === "OPTIONS" ? method : "OTHER";

/** Per metric label, the answers that carry nothing of the request: made once, not per request. */
const READY = new Map(
  LABELS.map((method) => {
    const observed: Observed = { method };
    const valid: Observed = { method, code: "VALID" };
    return [
      method,
      {
        valid,
        preflight: { status: 200, head: ALLOWED_HEAD, observed } satisfies Reply,
        anonymous: { status: 200, head: ANONYMOUS_HEAD, observed } satisfies Reply,
      },
    ];
  }),
);

/** `resource:action`, made once per pair (a flat string: the verifier splits it on every call). */
const permissions = new Map<string, Map<string, string>>();
function permissionOf(resource: string, action: string): string {
  let byAction = permissions.get(resource);
  if (!byAction) permissions.set(resource, (byAction = new Map<string, string>()));
  let permission = byAction.get(action);
  if (permission === undefined) byAction.set(action, (permission = `${resource}:${action}`));
  return permission;
}

/** The original request's absolute URL, for signature components such as @authority (see `request`). */
function originalRequestUrl(h: IncomingHttpHeaders, uri: string, originalUrl: string | undefined): string {
  if (originalUrl && /^https?:\/\//i.test(originalUrl)) return originalUrl;
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(",")[0]?.trim();
  const host = first(h["x-forwarded-host"]) ?? first(h.host) ?? "localhost";
  const proto = first(h["x-forwarded-proto"]) === "http" ? "http" : "https";
  return `${proto}://${host}${uri.startsWith("/") ? "" : "/"}${uri}`;
}

/**
 * What the verifier is asked: the client IP and the signed-request view are worked out only
 * for tokens that need them (getters on the prototype: nothing allocated per request for them).
 */
class ForwardedUse implements VerifyInput {
  readonly cost = 1;
  constructor(
    readonly token: string,
    readonly permission: string,
    private readonly req: IncomingMessage,
    private readonly trust: (address: string, hop: number) => boolean,
    private readonly original: Extract<Original, { error?: undefined }>,
    private readonly body: Buffer | undefined,
  ) {}
  get origin(): string | undefined {
    return originFrom(this.req.headers);
  }
  get ip(): string {
    return proxyaddr(this.req, this.trust);
  }
  /**
   * The original request, for its signature: the forward-auth request's own Host is this
   * server, so take the proxy's X-Forwarded-Host / X-Forwarded-Proto (Traefik, Envoy) or
   * ingress-nginx's X-Original-URL.
   */
  get request(): RequestToCheck {
    const h = this.req.headers;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(h))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    return {
      method: this.original.method,
      url: originalRequestUrl(h, this.original.uri, this.original.absoluteUrl),
      headers,
      ...(this.body && this.body.length > 0 ? { body: this.body.toString("utf8") } : {}),
    };
  }
}

export interface ForwardAuthDeps {
  verifier: Verifier;
  policy: AccessPolicy;
  log: Logger;
  now: () => number;
  /** Express-style trust for X-Forwarded-For (the ingress in front of forward auth). */
  trust: (address: string, hop: number) => boolean;
}

/**
 * Forward auth for ingress controllers: `/api/v1/authorize/<proxy>` (any method; see
 * `forward-auth-original.ts` for what each proxy's endpoint reads), one endpoint per proxy.
 */
export function forwardAuthEndpoints(deps: ForwardAuthDeps): NodeEndpoint[] {
  const denials = createDenialLog(deps.log, DENIALS_LOGGED_PER_SECOND, deps.now, "forward auth");

  const verdict = (outcome: VerifyOutcome, permission: string, credential: string, method: string): Reply => {
    const code = outcome.code;
    if (code === "VALID" && outcome.resolved)
      return allowed(outcome.resolved, outcome, (READY.get(method) ?? READY.get("OTHER"))!.valid);
    const denial = denialOf(outcome, permission);
    denials.record({ code, denial, token: tokenPrefixOf(credential) });
    if (code === "USAGE_EXCEEDED") {
      const retry = refillSeconds(outcome, deps.now());
      // Credits that never refill will not come back by waiting.
      if (retry === undefined) return refusal(403, DETAIL_FOR[code], {}, { code, denial }, method);
      return refusal(429, DETAIL_FOR[code], { "retry-after": String(retry) }, { code, denial }, method);
    }
    const status = STATUS_FOR[code];
    const headers = status === 401 ? { "www-authenticate": REALM } : rateHeaders(outcome, status === 429);
    return refusal(status, DETAIL_FOR[code], headers, { code, denial }, method);
  };

  const decide = (
    policy: PolicySnapshot,
    h: IncomingHttpHeaders,
    original: Original,
    req: IncomingMessage,
    body: Buffer | undefined,
  ): MaybeAsync<Reply> => {
    if (original.error !== undefined)
      return refusal(400, original.error, {}, { errors: original.errors }, "GET");
    const method = original.method;
    const label = labelOf(method);
    const match = matchRouteCached(policy, original.uri, method);
    // Ambiguous paths are refused with 403 (whatever the method), which every proxy passes on as a denial.
    if (match.refused !== undefined)
      return refusal(
        403,
        `the original path is ambiguous: it ${match.refused}`,
        {},
        { errors: [{ field: original.field, message: match.refused }] },
        label,
      );
    const ready = READY.get(label)!;
    // CORS preflights carry no credentials by design; the request that follows is checked.
    if (method === "OPTIONS") return ready.preflight;
    const action = METHOD_ACTIONS[method];
    if (!action)
      return refusal(
        403,
        "the original method is none of GET, HEAD, POST, PUT, PATCH, DELETE",
        {},
        {},
        label,
      );
    if (!match.resource) return refusal(403, "no registered resource covers this path", {}, {}, label);
    const permission = permissionOf(match.resource, action);

    const credential = credentialFrom(h);
    if (!credential) {
      if (allows(policy.defaults, match.resource, action)) return ready.anonymous;
      return refusal(401, `${permission} needs a token`, { "www-authenticate": REALM }, {}, label);
    }
    const outcome = deps.verifier.verify(
      new ForwardedUse(credential, permission, req, deps.trust, original, body),
    );
    if (outcome instanceof Promise) return outcome.then((o) => verdict(o, permission, credential, label));
    return verdict(outcome, permission, credential, label);
  };

  const endpoint = (
    path: string,
    operationId: string,
    summary: string,
    read: OriginalReader,
    headers: Record<string, z.ZodType>,
    below = false,
  ): NodeEndpoint => ({
    method: "get",
    anyMethod: true,
    ...(below ? { below: true } : {}),
    rawBody: FORWARDED_BODY_LIMIT,
    metricsRoute: AUTHORIZE_PATH,
    path,
    operationId,
    summary: `${summary} (any method). The path maps to a resource by the registry's routes, the method to an action.`,
    tag: "verification",
    auth: false,
    headers: forwardAuthHeaders(headers),
    responses: FORWARD_AUTH_RESPONSES,
    handle({ req, rawBody }) {
      // Node has built req.headers already (it reads Expect on every HTTP/1.1 request).
      const h = req.headers;
      const original = read(h, req.method ?? "GET", req.url ?? path);
      const policy = deps.policy.current();
      // No closure and no promise unless the policy is being reloaded.
      if (policy instanceof Promise) return policy.then((p) => decide(p, h, original, req, rawBody));
      return decide(policy, h, original, req, rawBody);
    },
  });

  const X_ORIGINAL_METHOD = z.string().describe("the original method");
  return [
    endpoint(
      "/api/v1/authorize/nginx",
      "forwardAuthNginx",
      "Forward auth for nginx auth_request",
      PROXY_READERS.nginx,
      {
        "X-Original-Method": z.string().describe("the original method ($request_method)"),
        "X-Original-URI": z.string().describe("the original path and query ($request_uri)"),
      },
    ),
    endpoint(
      "/api/v1/authorize/ingress-nginx",
      "forwardAuthIngressNginx",
      "Forward auth for ingress-nginx",
      PROXY_READERS["ingress-nginx"],
      { "X-Original-Method": X_ORIGINAL_METHOD, "X-Original-URL": z.string().describe("the original URL") },
    ),
    endpoint(
      "/api/v1/authorize/traefik",
      "forwardAuthTraefik",
      "Forward auth for Traefik forwardAuth",
      PROXY_READERS.traefik,
      {
        "X-Forwarded-Method": z.string().describe("the original method"),
        "X-Forwarded-Uri": z.string().describe("the original path and query"),
      },
    ),
    endpoint(
      ENVOY_PATH,
      "forwardAuthEnvoy",
      "Forward auth for Envoy ext_authz (path_prefix /api/v1/authorize/envoy): the original method, and the original path below this one",
      PROXY_READERS.envoy,
      {},
      true,
    ),
    endpoint(
      AUTHORIZE_PATH,
      "forwardAuth",
      "Forward auth reading whichever one proxy's headers are present (400 when more than one's are); prefer the endpoint for your proxy",
      readAnyProxy,
      {
        "X-Forwarded-Method": z.string().optional().describe("Traefik: the original method"),
        "X-Forwarded-Uri": z.string().optional().describe("Traefik: the original path and query"),
        "X-Original-Method": z.string().optional().describe("nginx, ingress-nginx: the original method"),
        "X-Original-URI": z.string().optional().describe("nginx: the original path and query"),
        "X-Original-URL": z.string().optional().describe("ingress-nginx: the original URL"),
      },
      true,
    ),
  ];
}
