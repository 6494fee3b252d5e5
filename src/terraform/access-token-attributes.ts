import type { AccessToken, CreateAccessTokenBody, IssuedAccessToken } from "../api/index.js";
import { effectivePermissions, TOKEN_TYPES, type TokenType } from "../core/index.js";
import type { Value, ValueObject } from "./cty-value.js";
import type { AttributeSpec } from "./schema.js";
import { num, obj, str, stringMap, strings } from "./value-ops.js";

/**
 * The access token's attributes, shared by the resource, the data source and the ephemeral
 * resource, and the mapping between them and the API's camelCase fields.
 */

export const creditsAttribute: AttributeSpec = {
  nested: {
    nesting: "single",
    attributes: {
      remaining: { type: "number", required: true, description: "Credits the token starts with." },
      refill: {
        nested: {
          nesting: "single",
          attributes: {
            amount: { type: "number", required: true, description: "Credits restored each interval." },
            interval: { type: "string", required: true, description: "`daily`, `weekly` or `monthly`." },
          },
        },
        optional: true,
        description: "Periodic top-up of the credits.",
      },
    },
  },
  optional: true,
  description:
    "Usage credits: each successful verification spends some. Spending is not drift: the live count is `credits_remaining`.",
};

export const rateLimitAttribute: AttributeSpec = {
  nested: {
    nesting: "single",
    attributes: {
      limit: { type: "number", required: true, description: "Requests allowed per window." },
      window: { type: "string", required: true, description: "The window, a duration such as `1m`." },
    },
  },
  optional: true,
  description: "Rate limit applied when the token is verified.",
};

/** The token's settings as configurable attributes (resource) or read-only ones (data source). */
export function tokenSettingAttributes(mode: "config" | "read"): Record<string, AttributeSpec> {
  const setting = (spec: AttributeSpec): AttributeSpec =>
    mode === "read"
      ? {
          ...spec,
          required: false,
          optional: false,
          computed: true,
          default: undefined,
          requiresReplace: false,
        }
      : spec;
  const readNested = (spec: AttributeSpec): AttributeSpec =>
    mode === "read" && spec.nested
      ? {
          ...setting(spec),
          nested: {
            ...spec.nested,
            attributes: Object.fromEntries(
              Object.entries(spec.nested.attributes).map(([k, a]) => [k, readNested(a)]),
            ),
          },
        }
      : setting(spec);
  return {
    name: setting({ type: "string", required: true, description: "The token's name." }),
    description: setting({
      type: "string",
      optional: true,
      computed: true,
      default: "",
      description: "What the token is for.",
    }),
    kind: setting({
      type: "string",
      optional: true,
      computed: true,
      default: "secret",
      description:
        "`secret` (default) or `publishable` (read permissions only). Changing it regenerates the token in place.",
    }),
    type: setting({
      type: "string",
      optional: true,
      computed: true,
      default: "read-only",
      description: "`read-only` (default), `full-access` or `custom`.",
    }),
    permissions: setting({
      type: ["set", "string"],
      optional: true,
      computed: true,
      description: "For `custom` tokens, the permissions (`resource:action`); otherwise derived from `type`.",
    }),
    duration: setting({
      type: "string",
      optional: true,
      computed: true,
      description:
        "Lifetime from creation (or from the last change of it): `7d`, `30d`, `90d`, `unlimited` (default) or a duration such as `12h`. Conflicts with `expires_at`.",
    }),
    expires_at: setting({
      type: "string",
      optional: true,
      computed: true,
      description: "Expiry (RFC 3339). Computed from `duration` unless set.",
    }),
    allowed_domains: setting({
      type: ["set", "string"],
      optional: true,
      computed: true,
      default: [],
      description: "Origin/Referer hosts allowed to use the token (`*.example.com` wildcards).",
    }),
    allowed_ips: setting({
      type: ["set", "string"],
      optional: true,
      computed: true,
      default: [],
      description: "Client IPs or CIDR ranges allowed to use the token.",
    }),
    signed_requests: setting({
      type: "bool",
      optional: true,
      computed: true,
      default: false,
      description:
        "Require signed requests. The Ed25519 private key is `private_key`. Changing it regenerates the token in place.",
    }),
    credits: readNested(creditsAttribute),
    rate_limit: readNested(rateLimitAttribute),
    metadata: setting({
      type: ["map", "string"],
      optional: true,
      computed: true,
      default: {},
      description:
        "String metadata returned by verification (non-string values on the server read as JSON text).",
    }),
    external_id: setting({
      type: "string",
      optional: true,
      description: "Your own id for the token, unique per user.",
    }),
  };
}

/** Attributes only the server sets. */
export const tokenComputedAttributes: Record<string, AttributeSpec> = {
  id: { type: "string", computed: true, description: "The token's id." },
  display_prefix: {
    type: "string",
    computed: true,
    description: "The first characters of the token, safe to show.",
  },
  credits_remaining: {
    type: "number",
    computed: true,
    description: "Credits left now (null without credits).",
  },
  created_at: { type: "string", computed: true, description: "Creation time (RFC 3339)." },
  updated_at: { type: "string", computed: true, description: "Last change (RFC 3339)." },
  last_used_at: { type: "string", computed: true, description: "Last successful verification (RFC 3339)." },
  revision: { type: "number", computed: true, description: "Increases with every change to the token." },
};

const metadataState = (m: Record<string, unknown>): Value =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));

const sameInstant = (a: Value | undefined, b: string | null): boolean =>
  typeof a === "string" && b !== null && Date.parse(a) === Date.parse(b);

/**
 * The token as attributes. `prior` (state or plan) keeps what the server does not echo the
 * same way: the configured spelling of an expiry instant, and the starting credits, which
 * verifications spend (spending is not drift).
 */
export function tokenState(t: AccessToken, prior: ValueObject | null = null): Record<string, Value> {
  const priorCredits = obj(prior?.credits);
  return {
    id: t.id,
    user_id: t.userId,
    name: t.name,
    description: t.description,
    kind: t.kind,
    type: t.type,
    permissions: t.permissions,
    duration: t.duration,
    expires_at: sameInstant(prior?.expires_at, t.expiresAt) ? (prior?.expires_at ?? null) : t.expiresAt,
    allowed_domains: t.allowedDomains,
    allowed_ips: t.allowedIps,
    signed_requests: t.signedRequests,
    credits: t.credits
      ? {
          remaining:
            priorCredits && typeof priorCredits.remaining === "number"
              ? priorCredits.remaining
              : t.credits.remaining,
          refill: t.credits.refill
            ? { amount: t.credits.refill.amount, interval: t.credits.refill.interval }
            : null,
        }
      : null,
    credits_remaining: t.credits ? t.credits.remaining : null,
    rate_limit: t.rateLimit ? { limit: t.rateLimit.limit, window: t.rateLimit.window } : null,
    metadata: metadataState(t.metadata),
    external_id: t.externalId,
    display_prefix: t.displayPrefix,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    last_used_at: t.lastUsedAt,
    revision: t.revision,
  };
}

export const isIssued = (t: AccessToken): t is IssuedAccessToken => "token" in t;

const tokenType = (v: Value | undefined): TokenType | undefined => TOKEN_TYPES.find((t) => t === v);

/** The permissions a plan shows for a token of this type. */
export function plannedPermissions(type: Value | undefined, configured: Value | undefined): Value {
  const t = tokenType(type);
  if (configured !== null && configured !== undefined) return configured;
  return t && t !== "custom" ? effectivePermissions(t, []) : null;
}

export function creditsBody(v: Value | undefined): CreateAccessTokenBody["credits"] {
  const c = obj(v);
  if (!c) return null;
  const refill = obj(c.refill);
  const interval = str(refill?.interval);
  return {
    remaining: num(c.remaining) ?? 0,
    ...(refill
      ? { refill: { amount: num(refill.amount) ?? 0, interval: interval as "daily" | "weekly" | "monthly" } }
      : {}),
  };
}

export function rateLimitBody(v: Value | undefined): CreateAccessTokenBody["rateLimit"] {
  const r = obj(v);
  return r ? { limit: num(r.limit) ?? 0, window: str(r.window) ?? "" } : null;
}

/** A create body from known attribute values (also used to validate configuration). */
export function createBody(v: ValueObject): CreateAccessTokenBody {
  const type = tokenType(v.type);
  const duration = str(v.duration);
  const expiresAt = str(v.expires_at);
  const credits = creditsBody(v.credits);
  const rateLimit = rateLimitBody(v.rate_limit);
  const externalId = str(v.external_id);
  return {
    name: str(v.name) ?? "",
    ...(str(v.description) !== null ? { description: str(v.description) ?? "" } : {}),
    ...(str(v.kind) !== null ? { kind: str(v.kind) as "secret" | "publishable" } : {}),
    ...(type ? { type } : {}),
    ...(type === "custom" && strings(v.permissions) ? { permissions: strings(v.permissions) ?? [] } : {}),
    ...(expiresAt !== null ? { expiresAt } : duration !== null ? { duration } : {}),
    ...(strings(v.allowed_domains) ? { allowedDomains: strings(v.allowed_domains) ?? [] } : {}),
    ...(strings(v.allowed_ips) ? { allowedIps: strings(v.allowed_ips) ?? [] } : {}),
    ...(typeof v.signed_requests === "boolean" ? { signedRequests: v.signed_requests } : {}),
    ...(credits ? { credits } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(stringMap(v.metadata) ? { metadata: stringMap(v.metadata) ?? {} } : {}),
    ...(externalId !== null ? { externalId } : {}),
  };
}
