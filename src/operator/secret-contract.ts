import { createHash } from "node:crypto";
import { AccessToken as ServerTokenSchema } from "../api/index.js";
import {
  ACCESS_TOKEN_LABEL,
  API_GROUP,
  GROUP_VERSION,
  MANAGED_BY_LABEL,
  ROTATION_REASONS,
  type ResolvedAccessTokenSpec,
  type RotationReason,
} from "../crd/index.js";
import type { ObjectMeta, Secret } from "./kube/objects.js";

const TokenId = ServerTokenSchema.shape.id;
/** How `issuedAt` is written (toISOString). */
const ISSUED_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

/*
 * The Secret an AccessToken's token is written to, and how the operator reads its own
 * Secrets back. The Secret is the durable record of an issuance: its annotations say which
 * token (id, server) the value belongs to, which revision it is and why it was issued, so the
 * operator can rebuild its status after any crash without trusting memory or status.
 */

export const MANAGED_BY_VALUE = "tokenplane";
/** The key holding the Ed25519 private key of a token with signedRequests. */
export const PRIVATE_KEY_KEY = "private-key";

export const SECRET_ANNOTATIONS = {
  tokenId: `${API_GROUP}/token-id`,
  /** First 32 hex digits of SHA-256 of the token: tells an edited value from ours without the server. */
  fingerprint: `${API_GROUP}/token-sha256`,
  revision: `${API_GROUP}/revision`,
  issuedAt: `${API_GROUP}/issued-at`,
  reason: `${API_GROUP}/rotation-reason`,
  /** The rotate annotation value this issuance acted on. */
  rotateHandled: `${API_GROUP}/rotate-handled`,
  server: `${API_GROUP}/server`,
  /** The secretTemplate label and annotation keys last applied, so removing one from the template removes it. */
  templateKeys: `${API_GROUP}/template-keys`,
} as const;

export function fingerprint(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 32);
}

/** What a managed Secret records about the token value it holds. */
export interface Issuance {
  token: string;
  tokenId: string;
  privateKey?: string;
  revision: number;
  issuedAt: string;
  reason: RotationReason;
  rotateHandled?: string;
  server: string;
}

export interface AccessTokenRef {
  name: string;
  namespace: string;
  uid: string;
}

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
const unb64 = (text: string): string => Buffer.from(text, "base64").toString("utf8");

/**
 * The `tokenplane.dev/access-token` label value for an AccessToken: its name. A label value
 * holds at most 63 characters and an AccessToken's name up to 253, so a longer name is
 * shortened and made unique with a hash of it (the Secret's ownerReference names the
 * AccessToken in full).
 */
export function accessTokenLabel(name: string): string {
  if (name.length <= 63) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 10);
  return `${name.slice(0, 52).replace(/[-.]+$/, "")}-${hash}`;
}

/** The labels every managed Secret carries (and the operator's Secret watch selects on). */
export function managedLabels(accessTokenName: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [ACCESS_TOKEN_LABEL]: accessTokenLabel(accessTokenName) };
}

/** The label selector of the operator's Secret watch. */
export const MANAGED_SECRET_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${ACCESS_TOKEN_LABEL}`;

export type SecretState =
  | { state: "missing" }
  /** Not tokenplane's, or another AccessToken's: never overwritten. */
  | { state: "conflict"; message: string }
  /** Labelled for this AccessToken but owned by none (or a previous incarnation): adopt, re-issue. */
  | { state: "adoptable" }
  | { state: "owned"; issuance: Issuance | undefined; problem?: string };

export function ownerOf(secret: Secret): { uid: string; name: string } | undefined {
  const ref = secret.metadata.ownerReferences?.find((r) => r.controller);
  return ref ? { uid: ref.uid, name: ref.name } : undefined;
}

/** Finds the value whose fingerprint the Secret records: it survives renamed keys. */
function readIssuance(secret: Secret): { issuance?: Issuance; problem?: string } {
  const a = secret.metadata.annotations ?? {};
  const print = a[SECRET_ANNOTATIONS.fingerprint];
  const tokenId = a[SECRET_ANNOTATIONS.tokenId];
  const revisionText = a[SECRET_ANNOTATIONS.revision] ?? "";
  const issuedAt = a[SECRET_ANNOTATIONS.issuedAt];
  const reason = a[SECRET_ANNOTATIONS.reason] as RotationReason | undefined;
  const server = a[SECRET_ANNOTATIONS.server];
  // Anyone who may edit the Secret may edit these: they are read as what the operator writes
  // (a token id as the token server's API defines it, a revision count, a time) or not at all.
  if (
    !print ||
    !tokenId ||
    !TokenId.safeParse(tokenId).success ||
    !/^\d{1,15}$/.test(revisionText) ||
    !issuedAt ||
    !ISSUED_AT.test(issuedAt) ||
    Number.isNaN(Date.parse(issuedAt)) ||
    !server
  )
    return { problem: "the Secret's tokenplane annotations are missing or were changed" };
  const revision = Number(revisionText);
  const values = Object.values(secret.data ?? {}).map(unb64);
  const token = values.find((v) => fingerprint(v) === print);
  if (token === undefined) return { problem: "the token in the Secret was changed or removed" };
  const privateKey = values.find((v) => v.startsWith("-----BEGIN PRIVATE KEY-----"));
  return {
    issuance: {
      token,
      tokenId,
      ...(privateKey ? { privateKey } : {}),
      revision,
      issuedAt,
      reason: reason && (ROTATION_REASONS as readonly string[]).includes(reason) ? reason : "Initial",
      ...(a[SECRET_ANNOTATIONS.rotateHandled] !== undefined
        ? { rotateHandled: a[SECRET_ANNOTATIONS.rotateHandled] }
        : {}),
      server,
    },
  };
}

/**
 * How the Secret found under the template's name relates to this AccessToken. `secret` comes
 * from the operator's cache, which holds only Secrets labelled as tokenplane's.
 */
export function classifySecret(secret: Secret | undefined, at: AccessTokenRef): SecretState {
  if (!secret) return { state: "missing" };
  const labels = secret.metadata.labels ?? {};
  const owner = ownerOf(secret);
  const name = secret.metadata.name;
  if (labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE)
    return { state: "conflict", message: `Secret ${name} exists and is not managed by tokenplane` };
  if (labels[ACCESS_TOKEN_LABEL] !== accessTokenLabel(at.name) && owner?.uid !== at.uid)
    return {
      state: "conflict",
      message: `Secret ${name} belongs to AccessToken ${labels[ACCESS_TOKEN_LABEL] ?? owner?.name ?? "(unknown)"}`,
    };
  if (owner?.uid !== at.uid) return { state: "adoptable" };
  const read = readIssuance(secret);
  return { state: "owned", issuance: read.issuance, ...(read.problem ? { problem: read.problem } : {}) };
}

function templateKeysOf(secret: Secret | undefined): { labels: string[]; annotations: string[] } {
  const text = secret?.metadata.annotations?.[SECRET_ANNOTATIONS.templateKeys];
  if (!text) return { labels: [], annotations: [] };
  try {
    const parsed = JSON.parse(text) as { labels?: unknown; annotations?: unknown };
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === "string") : []);
    return { labels: strings(parsed.labels), annotations: strings(parsed.annotations) };
  } catch {
    return { labels: [], annotations: [] };
  }
}

/** `current` with `desired` set and the template keys applied before but no longer wanted removed. */
function mergeMap(
  current: Record<string, string> | undefined,
  desired: Record<string, string>,
  previouslyApplied: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(current ?? {})) {
    if (!(previouslyApplied.includes(k) && !(k in desired)) && !k.startsWith(`${API_GROUP}/`)) out[k] = v;
  }
  return { ...out, ...desired };
}

/**
 * The Secret holding `issuance` (and the token's current expiry) as the spec templates it. Labels and annotations other tools
 * added to an existing Secret are kept; the template's are set, and ones removed from the
 * template are removed.
 */
export function desiredSecret(
  at: AccessTokenRef,
  spec: ResolvedAccessTokenSpec,
  issuance: Issuance,
  expiresAt: string | null,
  existing: Secret | undefined,
): Secret {
  const { keys } = spec.secret;
  const data: Record<string, string> = {
    [keys.token]: b64(issuance.token),
    [keys.tokenId]: b64(issuance.tokenId),
  };
  if (expiresAt) data[keys.expiresAt] = b64(expiresAt);
  if (issuance.privateKey) data[PRIVATE_KEY_KEY] = b64(issuance.privateKey);
  const previous = templateKeysOf(existing);
  const ours: Record<string, string> = {
    [SECRET_ANNOTATIONS.tokenId]: issuance.tokenId,
    [SECRET_ANNOTATIONS.fingerprint]: fingerprint(issuance.token),
    [SECRET_ANNOTATIONS.revision]: String(issuance.revision),
    [SECRET_ANNOTATIONS.issuedAt]: issuance.issuedAt,
    [SECRET_ANNOTATIONS.reason]: issuance.reason,
    [SECRET_ANNOTATIONS.server]: issuance.server,
    [SECRET_ANNOTATIONS.templateKeys]: JSON.stringify({
      labels: Object.keys(spec.secret.labels).sort(),
      annotations: Object.keys(spec.secret.annotations).sort(),
    }),
    ...(issuance.rotateHandled !== undefined
      ? { [SECRET_ANNOTATIONS.rotateHandled]: issuance.rotateHandled }
      : {}),
  };
  const metadata: ObjectMeta = {
    name: spec.secret.name,
    namespace: at.namespace,
    labels: mergeMap(
      existing?.metadata.labels,
      { ...spec.secret.labels, ...managedLabels(at.name) },
      previous.labels,
    ),
    annotations: mergeMap(
      existing?.metadata.annotations,
      { ...spec.secret.annotations, ...ours },
      previous.annotations,
    ),
    ownerReferences: [
      ...(existing?.metadata.ownerReferences ?? []).filter((r) => !r.controller && r.uid !== at.uid),
      {
        apiVersion: GROUP_VERSION,
        kind: "AccessToken",
        name: at.name,
        uid: at.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
    ...(existing?.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
  };
  return { apiVersion: "v1", kind: "Secret", metadata, type: existing?.type ?? spec.secret.type, data };
}

const sameMap = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  const ea = Object.entries(a ?? {});
  if (ea.length !== Object.keys(b ?? {}).length) return false;
  return ea.every(([k, v]) => (b ?? {})[k] === v);
};

/** Whether writing `desired` would change `current` (so a write can be skipped). */
export function secretDiffers(current: Secret, desired: Secret): boolean {
  const owners = (s: Secret) => JSON.stringify(s.metadata.ownerReferences ?? []);
  return (
    !sameMap(current.data, desired.data) ||
    !sameMap(current.metadata.labels, desired.metadata.labels) ||
    !sameMap(current.metadata.annotations, desired.metadata.annotations) ||
    owners(current) !== owners(desired)
  );
}
