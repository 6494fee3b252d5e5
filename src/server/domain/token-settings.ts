import type { CreateAccessTokenBody, UpdateAccessTokenBody } from "../../api/index.js";
import { effectivePermissions, parseDuration, type TokenKind } from "../../core/index.js";
import type { TokenSettings } from "./store.js";
import { conflict, type FieldError, invalid } from "./errors.js";
import type { TokenRecord } from "./model.js";

const MAX_LIFETIME_MS = 100 * 365 * 86_400_000;
const MIN_RATE_WINDOW_MS = 1_000;
const MAX_RATE_WINDOW_MS = 86_400_000;

type SettingsInput = Partial<CreateAccessTokenBody> | UpdateAccessTokenBody;

/**
 * The settings a create (no `current`) or a PATCH (`current` given) results in, or a 422
 * naming every field that is wrong. Pure: it runs inside the store's transaction.
 */
export function buildSettings(
  input: SettingsInput,
  current: TokenRecord | undefined,
  now: number,
): TokenSettings {
  const errors: FieldError[] = [];
  const type = input.type ?? current?.type ?? "read-only";

  let permissions: string[];
  if (input.permissions !== undefined) {
    permissions = input.permissions;
    if (type !== "custom" && permissions.length > 0) {
      errors.push({ field: "permissions", message: `only allowed with type custom (type is ${type})` });
    }
  } else {
    permissions = type === "custom" ? (current?.permissions ?? []) : [];
  }
  if (type === "custom" && permissions.length === 0) {
    errors.push({ field: "permissions", message: "at least one permission is required with type custom" });
  }

  if (current?.expiresAt && current.expiresAt.getTime() <= now) {
    if (input.duration !== undefined || input.expiresAt !== undefined) {
      // Renewing would silently bring back a secret that may have been discarded as dead.
      throw conflict(
        `the token expired at ${current.expiresAt.toISOString()} and stays expired; create a new token`,
      );
    }
  }
  let duration = current?.duration ?? (current ? null : "unlimited");
  let expiresAt = current?.expiresAt ?? null;
  if (input.duration !== undefined && input.expiresAt !== undefined) {
    errors.push({ field: "expiresAt", message: "give either duration or expiresAt, not both" });
  } else if (input.duration !== undefined) {
    duration = input.duration;
    const ms = input.duration === "unlimited" ? undefined : parseDuration(input.duration);
    if (ms !== undefined && ms > MAX_LIFETIME_MS) {
      errors.push({ field: "duration", message: "must be at most 100 years" });
    }
    if (ms !== undefined && ms < 1000) errors.push({ field: "duration", message: "must be at least 1s" });
    expiresAt = ms === undefined ? null : new Date(now + Math.min(ms, MAX_LIFETIME_MS));
  } else if (input.expiresAt !== undefined) {
    duration = null;
    expiresAt = input.expiresAt === null ? null : new Date(input.expiresAt);
    if (expiresAt && expiresAt.getTime() <= now)
      errors.push({ field: "expiresAt", message: "must be in the future" });
    if (expiresAt && expiresAt.getTime() > now + MAX_LIFETIME_MS) {
      errors.push({ field: "expiresAt", message: "must be at most 100 years from now" });
    }
  }

  const rateLimit = input.rateLimit === undefined ? (current?.rateLimit ?? null) : input.rateLimit;
  if (input.rateLimit) {
    const ms = parseDuration(input.rateLimit.window) ?? 0;
    if (ms < MIN_RATE_WINDOW_MS || ms > MAX_RATE_WINDOW_MS) {
      errors.push({ field: "rateLimit.window", message: "must be between 1s and 1d" });
    }
  }

  const credits =
    input.credits === undefined
      ? current?.credits
        ? { remaining: current.credits.remaining, refill: current.credits.refill }
        : null
      : input.credits === null
        ? null
        : { remaining: input.credits.remaining, refill: input.credits.refill ?? null };

  if (errors.length > 0) throw invalid(errors);
  return {
    name: input.name ?? current?.name ?? "",
    description: input.description ?? current?.description ?? "",
    type,
    permissions,
    duration,
    expiresAt,
    allowedDomains: (input.allowedDomains ?? current?.allowedDomains ?? []).map((d) => d.toLowerCase()),
    allowedIps: input.allowedIps ?? current?.allowedIps ?? [],
    credits,
    rateLimit,
    metadata: (input.metadata as Record<string, unknown> | undefined) ?? current?.metadata ?? {},
    externalId: input.externalId === undefined ? (current?.externalId ?? null) : input.externalId,
  };
}

/**
 * Publishable tokens are meant to be seen (browsers, mobile apps), so they may only read.
 */
export function requireKindFits(
  kind: TokenKind,
  settings: Pick<TokenSettings, "type" | "permissions">,
): void {
  if (kind !== "publishable") return;
  if (settings.type === "full-access") {
    throw invalid([
      {
        field: "type",
        message: "publishable tokens can only read; use read-only or custom read permissions",
      },
    ]);
  }
  const errors = effectivePermissions(settings.type, settings.permissions).flatMap((p, i) =>
    p.endsWith(":read")
      ? []
      : [{ field: `permissions[${i}]`, message: "publishable tokens can only hold read permissions" }],
  );
  if (errors.length > 0) throw invalid(errors);
}
