import type { IncomingHttpHeaders } from "node:http";

/** The original request as the proxy reported it, or why it cannot be read (a 400). */
export type Original =
  | { method: string; uri: string; field: string; absoluteUrl?: string; error?: undefined }
  | { error: string; errors: { field: string; message: string }[] };

/** Reads the original request of a forward-auth call: its headers, method and URL. */
export type OriginalReader = (h: IncomingHttpHeaders, method: string, url: string) => Original;

export const AUTHORIZE_PATH = "/api/v1/authorize";
export const ENVOY_PATH = `${AUTHORIZE_PATH}/envoy`;

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

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
 */
export const PROXY_READERS = {
  nginx: (h) => fromHeaders(h, "x-original-method", "x-original-uri", "nginx"),
  "ingress-nginx": (h) => fromHeaders(h, "x-original-method", "x-original-url", "ingress-nginx"),
  traefik: (h) => fromHeaders(h, "x-forwarded-method", "x-forwarded-uri", "Traefik"),
  envoy: (_h, method, url) => {
    const below = url.slice(ENVOY_PATH.length);
    return { method: method.toUpperCase(), uri: below.startsWith("/") ? below : `/${below}`, field: "path" };
  },
} satisfies Record<string, OriginalReader>;

const NOTHING_BELOW = ["nginx", "ingress-nginx", "traefik"].map((proxy) => `${AUTHORIZE_PATH}/${proxy}`);

/**
 * Plain `/api/v1/authorize` (kept for existing setups) reads whichever family is present, and
 * refuses a request that carries more than one: no proxy sets two, so a second is a client's.
 * A path below it is Envoy's older configuration (but nothing is served below a proxy's endpoint).
 */
export const readAnyProxy: OriginalReader = (h, reqMethod, url) => {
  if (url.charCodeAt(AUTHORIZE_PATH.length) === 47) {
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    for (const endpoint of NOTHING_BELOW)
      if (path.startsWith(`${endpoint}/`))
        return {
          error: `nothing is served below ${endpoint}`,
          errors: [{ field: "path", message: `must be ${endpoint}` }],
        };
  }
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
  if (traefik) return PROXY_READERS.traefik(h);
  if (nginx) return PROXY_READERS.nginx(h);
  if (ingressNginx) return PROXY_READERS["ingress-nginx"](h);
  if (envoy) return { method: reqMethod.toUpperCase(), uri: url.slice(AUTHORIZE_PATH.length), field: "path" };
  return {
    error: "send the original request's X-Forwarded-Uri (Traefik) or X-Original-URI (nginx)",
    errors: [{ field: "X-Forwarded-Uri", message: "is required (or X-Original-URI, X-Original-URL)" }],
  };
};
