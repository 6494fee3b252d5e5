import type {
  AccessToken as ServerToken,
  CreateAccessTokenBody,
  UpdateAccessTokenBody,
} from "../api/index.js";
import { parseDuration } from "../core/index.js";
import type { ResolvedAccessTokenSpec } from "../crd/index.js";
import { serverTokenName } from "./naming.js";

/*
 * What the token on the server should look like for an AccessToken, and the smallest PATCH
 * that gets it there. Pure functions: the reconciler decides, the executor calls the server.
 */

/**
 * The server keeps `credits.remaining`, which use counts down; the declared `limit` is kept in
 * the token's metadata so a changed limit can be told from spent credits.
 */
export const CREDITS_LIMIT_METADATA = "tokenplane.dev/credits-limit";

export interface TokenIdentity {
  namespace: string;
  name: string;
  uid: string;
}

function metadataFor(spec: ResolvedAccessTokenSpec): Record<string, number> {
  return spec.credits ? { [CREDITS_LIMIT_METADATA]: spec.credits.limit } : {};
}

function creditsFor(spec: ResolvedAccessTokenSpec): CreateAccessTokenBody["credits"] {
  if (!spec.credits) return undefined;
  return {
    remaining: spec.credits.limit,
    ...(spec.credits.refill ? { refill: { ...spec.credits.refill } } : {}),
  };
}

/** The create request for an AccessToken's token. */
export function createBody(at: TokenIdentity, spec: ResolvedAccessTokenSpec): CreateAccessTokenBody {
  const credits = creditsFor(spec);
  return {
    name: serverTokenName(at.namespace, at.name),
    description: spec.description,
    type: spec.type,
    ...(spec.type === "custom" ? { permissions: [...spec.permissions] } : {}),
    kind: spec.kind,
    duration: spec.duration,
    signedRequests: spec.signedRequests,
    externalId: at.uid,
    allowedDomains: [...spec.allowedDomains],
    allowedIps: [...spec.allowedIps],
    ...(credits ? { credits } : {}),
    ...(spec.rateLimit ? { rateLimit: { ...spec.rateLimit } } : {}),
    metadata: metadataFor(spec),
  };
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
};

const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase());

/**
 * The fields of `current` that differ from the spec, as a PATCH body; undefined when the token
 * already matches. `kind` and `signedRequests` are not here: they need a new secret (see
 * `needsNewSecret`). `duration` is compared as declared, so it is patched only when the spec
 * changes it (a PATCH with a duration also restarts the expiry from now).
 */
export function settingsPatch(
  current: ServerToken,
  at: TokenIdentity,
  spec: ResolvedAccessTokenSpec,
): UpdateAccessTokenBody | undefined {
  const patch: UpdateAccessTokenBody = {};
  const name = serverTokenName(at.namespace, at.name);
  if (current.name !== name) patch.name = name;
  if (current.description !== spec.description) patch.description = spec.description;
  if (current.type !== spec.type) patch.type = spec.type;
  if (
    spec.type === "custom" &&
    (current.type !== "custom" || !sameSet(current.permissions, spec.permissions))
  )
    patch.permissions = [...spec.permissions];
  if (current.type === "custom" && spec.type !== "custom") patch.permissions = [];
  if (current.duration !== spec.duration) patch.duration = spec.duration;
  if (!sameSet(lower(current.allowedDomains), lower(spec.allowedDomains)))
    patch.allowedDomains = [...spec.allowedDomains];
  if (!sameSet(current.allowedIps, spec.allowedIps)) patch.allowedIps = [...spec.allowedIps];
  if (current.externalId !== at.uid) patch.externalId = at.uid;

  const wantedRate = spec.rateLimit;
  const rateDiffers = wantedRate
    ? !current.rateLimit ||
      current.rateLimit.limit !== wantedRate.limit ||
      parseDuration(current.rateLimit.window) !== parseDuration(wantedRate.window)
    : current.rateLimit !== null;
  if (rateDiffers) patch.rateLimit = wantedRate ? { ...wantedRate } : null;

  const wantedCredits = spec.credits;
  const appliedLimit = current.metadata[CREDITS_LIMIT_METADATA];
  const creditsDiffer = wantedCredits
    ? !current.credits ||
      appliedLimit !== wantedCredits.limit ||
      current.credits.refill?.amount !== wantedCredits.refill?.amount ||
      current.credits.refill?.interval !== wantedCredits.refill?.interval
    : current.credits !== null;
  if (creditsDiffer) patch.credits = creditsFor(spec) ?? null;

  const metadata = metadataFor(spec);
  if (JSON.stringify(current.metadata) !== JSON.stringify(metadata)) patch.metadata = metadata;

  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Changing the kind or turning signed requests on or off needs a new secret (a rotation). */
export function needsNewSecret(current: ServerToken, spec: ResolvedAccessTokenSpec): boolean {
  return current.kind !== spec.kind || current.signedRequests !== spec.signedRequests;
}

/** When the token should be rotated: `renewBefore` ahead of its expiry; undefined if it never expires. */
export function renewalTime(
  expiresAt: string | null | undefined,
  spec: ResolvedAccessTokenSpec,
): number | undefined {
  if (!expiresAt || spec.renewBeforeMs === undefined) return undefined;
  return Date.parse(expiresAt) - spec.renewBeforeMs;
}
