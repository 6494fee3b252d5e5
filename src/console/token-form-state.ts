import type { AccessToken, CreateAccessTokenBody, UpdateAccessTokenBody } from "../api/index.js";
import type { TokenKind, TokenType } from "../core/index.js";
import { type FieldErrors, listOf } from "./fields.js";
import { ProblemError } from "./api-client.js";

/*
 * The token form's state (text as typed) and the API bodies made from it. No markup here:
 * the form is token-form.tsx, its field groups token-*-fields.tsx.
 */

type JsonValue = AccessToken["metadata"][string];

export type Expiry = "keep" | "7d" | "30d" | "90d" | "unlimited" | "date";
export type Interval = "daily" | "weekly" | "monthly";

export interface FormState {
  name: string;
  description: string;
  expiry: Expiry;
  expiryDate: string;
  type: TokenType;
  permissions: string[];
  kind: TokenKind;
  signedRequests: boolean;
  allowedDomains: string;
  allowedIps: string;
  creditsOn: boolean;
  creditsRemaining: string;
  refillOn: boolean;
  refillAmount: string;
  refillInterval: Interval;
  rateOn: boolean;
  rateLimit: string;
  rateWindow: string;
  metadata: string;
}

export function initialState(token?: AccessToken): FormState {
  return {
    name: token?.name ?? "",
    description: token?.description ?? "",
    expiry: token ? "keep" : "30d",
    expiryDate: "",
    type: token?.type ?? "read-only",
    permissions: token?.type === "custom" ? [...token.permissions] : [],
    kind: token?.kind ?? "secret",
    signedRequests: token?.signedRequests ?? false,
    allowedDomains: token?.allowedDomains.join("\n") ?? "",
    allowedIps: token?.allowedIps.join("\n") ?? "",
    creditsOn: Boolean(token?.credits),
    creditsRemaining: String(token?.credits?.remaining ?? 1000),
    refillOn: Boolean(token?.credits?.refill),
    refillAmount: String(token?.credits?.refill?.amount ?? 1000),
    refillInterval: token?.credits?.refill?.interval ?? "monthly",
    rateOn: Boolean(token?.rateLimit),
    rateLimit: String(token?.rateLimit?.limit ?? 100),
    rateWindow: token?.rateLimit?.window ?? "1m",
    metadata: token && Object.keys(token.metadata).length > 0 ? JSON.stringify(token.metadata, null, 2) : "",
  };
}

/** Blank stays blank (the API names the missing field); anything else becomes a number. */
const numberOf = (text: string): number => (text.trim() === "" ? Number.NaN : Number(text));

function limitsOf(s: FormState) {
  return {
    credits: s.creditsOn
      ? {
          remaining: numberOf(s.creditsRemaining),
          ...(s.refillOn ? { refill: { amount: numberOf(s.refillAmount), interval: s.refillInterval } } : {}),
        }
      : null,
    rateLimit: s.rateOn ? { limit: numberOf(s.rateLimit), window: s.rateWindow.trim() } : null,
  };
}

/** The metadata text as an object; blank is `{}`. Not JSON is refused here, as the API would. */
function metadataOf(s: FormState): Record<string, JsonValue> {
  if (s.metadata.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(s.metadata);
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProblemError({
      type: "about:blank",
      title: "Invalid request",
      status: 422,
      errors: [{ field: "metadata", message: 'must be a JSON object, such as {"team": "shop"}' }],
    });
  }
  return value as Record<string, JsonValue>;
}

/** "date" → the end of that day, local time; else the named duration. */
function expiryOf(s: FormState): { duration?: string; expiresAt?: string } {
  if (s.expiry === "keep") return {};
  if (s.expiry !== "date") return { duration: s.expiry };
  const end = new Date(`${s.expiryDate}T23:59:59`);
  return Number.isNaN(end.getTime()) ? { expiresAt: s.expiryDate } : { expiresAt: end.toISOString() };
}

export function createBody(s: FormState): CreateAccessTokenBody {
  const { credits, rateLimit } = limitsOf(s);
  return {
    name: s.name,
    description: s.description,
    kind: s.kind,
    type: s.type,
    ...(s.type === "custom" ? { permissions: s.permissions } : {}),
    ...expiryOf(s),
    allowedDomains: listOf(s.allowedDomains),
    allowedIps: listOf(s.allowedIps),
    ...(credits ? { credits } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(s.signedRequests ? { signedRequests: true } : {}),
    ...(s.metadata.trim() ? { metadata: metadataOf(s) } : {}),
  };
}

export function updateBody(s: FormState): UpdateAccessTokenBody {
  return {
    name: s.name,
    description: s.description,
    type: s.type,
    ...(s.type === "custom" ? { permissions: s.permissions } : {}),
    ...expiryOf(s),
    allowedDomains: listOf(s.allowedDomains),
    allowedIps: listOf(s.allowedIps),
    ...limitsOf(s),
    metadata: metadataOf(s),
  };
}

/** Sets one field of the form's state. */
export type SetField = <K extends keyof FormState>(key: K, value: FormState[K]) => void;

/** What a group of fields needs: the state, a setter, and the API's errors by field. */
export interface FieldGroupProps {
  s: FormState;
  set: SetField;
  errors: FieldErrors;
}
