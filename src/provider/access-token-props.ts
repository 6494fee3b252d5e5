import type { Action, TokenKind, TokenType } from "../core/index.js";
import type { DeletionPolicy, RefillInterval, RolloutTargetKind, ServerKind } from "../crd/index.js";

/*
 * The AccessToken spec as construct props: the CRD's field names and types, with the CRD's
 * descriptions as doc comments (zod's inferred types carry no comments, so they are written out
 * here). test/provider/props.test.ts keeps this in step with the CRD: same fields, assignable to
 * the CRD's input type, every field documented.
 */

/** `resource:action`, e.g. `orders:read`, `orders:*` or `*:read`. */
export type PermissionString = `${string}:${Action | "*"}`;

/** Which token server issues a token: `server.ref` of a TokenServer or ClusterTokenServer construct, or a plain reference. */
export interface ServerRefProps {
  /** ClusterTokenServer, or TokenServer (only from its own namespace). */
  readonly kind: ServerKind;
  /** Name of the TokenServer or ClusterTokenServer. */
  readonly name: string;
}

/** When and how the token is rotated. Besides the schedule, every new value of the `tokenplane.dev/rotate` annotation (`rotate` in the token options) rotates the token once. */
export interface RotationProps {
  /**
   * How long before expiry the token is rotated, e.g. `10d`. Must be shorter than `duration`; only
   * for tokens that expire. Defaults to a third of the duration.
   */
  readonly renewBefore?: string;
  /**
   * How long the previous token keeps working after a rotation, so every reader of the Secret can
   * pick up the new one, e.g. `1h`. Must be shorter than `duration`. Defaults to `0s`.
   */
  readonly gracePeriod?: string;
}

/** Periodic refill of a token's credits. */
export interface CreditsRefillProps {
  /** Credits the token is refilled to (at least 1). */
  readonly amount: number;
  /** How often: `daily`, `weekly` or `monthly`. */
  readonly interval: RefillInterval;
}

/** A usage limit: the token is refused once its credits are spent. */
export interface CreditsProps {
  /** How many credits the token starts with; each use spends one. */
  readonly limit: number;
  /** Periodic refill of the credits. Without it, a token whose credits are spent stops working. */
  readonly refill?: CreditsRefillProps;
}

/** Throttling: at most `limit` requests per `window`. */
export interface RateLimitProps {
  /** Requests allowed per window (at least 1). */
  readonly limit: number;
  /** Length of the window, e.g. `1m`. */
  readonly window: string;
}

/** Names of the keys in the Secret. */
export interface SecretKeysProps {
  /** Key holding the token. Defaults to `token`. */
  readonly token?: string;
  /** Key holding the token's id. Defaults to `token-id`. */
  readonly tokenId?: string;
  /** Key holding the expiry time (RFC 3339; absent for unlimited tokens). Defaults to `expires-at`. */
  readonly expiresAt?: string;
}

/** The Secret the token is written to, in the AccessToken's namespace. */
export interface SecretTemplateProps {
  /** Name of the Secret. Defaults to the AccessToken's name. Cannot be changed after creation. */
  readonly name?: string;
  /** Type of the Secret. Defaults to `Opaque`. */
  readonly type?: string;
  /** Names of the keys in the Secret. */
  readonly keys?: SecretKeysProps;
  /**
   * Labels for the Secret. Only these are set: the AccessToken's own labels are never copied. The
   * operator adds `app.kubernetes.io/managed-by: tokenplane` and `tokenplane.dev/access-token: <name>`,
   * so these may not set them.
   */
  readonly labels?: Record<string, string>;
  /** Annotations for the Secret. Only these are set: the AccessToken's own annotations are never copied. */
  readonly annotations?: Record<string, string>;
}

/** A workload restarted after each rotation. */
export interface RolloutRestartTargetProps {
  /** `Deployment`, `StatefulSet` or `DaemonSet`. */
  readonly kind: RolloutTargetKind;
  /** Name of the workload, in the AccessToken's namespace. */
  readonly name: string;
}

/** The token to issue and the Secret to write it to: an AccessToken's spec. */
export interface AccessTokenProps {
  /**
   * The token server that issues the token. Defaults to the operator's embedded server,
   * ClusterTokenServer `embedded` (or the `serverRef` of the TokenplaneTokens group).
   */
  readonly serverRef?: ServerRefProps;
  /** What the token is for; shown on the token server. */
  readonly description?: string;
  /**
   * `read-only` (every resource, read only), `full-access` (everything) or `custom` (exactly the
   * listed permissions). Defaults to `read-only`.
   */
  readonly type?: TokenType;
  /**
   * Permissions as `resource:action`, action one of create, read, update, delete or `*`; resource `*`
   * means every resource. Required with type `custom`, and only allowed with it.
   */
  readonly permissions?: PermissionString[];
  /**
   * `secret` (for servers) or `publishable` (safe to embed in a browser or app). Changing it rotates
   * the token. Defaults to `secret`.
   */
  readonly kind?: TokenKind;
  /**
   * Lifetime of each issued token: `7d`, `30d`, `90d`, `unlimited` or any duration such as `12h` or
   * `1d12h` (units w, d, h, m, s, ms; largest first, each at most once). Defaults to `unlimited`.
   */
  readonly duration?: string;
  /** When and how the token is rotated. */
  readonly rotation?: RotationProps;
  /**
   * Origins or Referers the token may be used from, e.g. `shop.example.com` or `*.example.com`.
   * Empty or absent: any.
   */
  readonly allowedDomains?: string[];
  /** Client IP ranges (CIDR) the token may be used from, e.g. `10.0.0.0/8`. Empty or absent: any. */
  readonly allowedIps?: string[];
  /** A usage limit: the token is refused once its credits are spent. */
  readonly credits?: CreditsProps;
  /** Throttling: at most `limit` requests per `window`. */
  readonly rateLimit?: RateLimitProps;
  /**
   * Require every request made with the token to be signed (HTTP Message Signatures). Changing it
   * rotates the token. Defaults to `false`.
   */
  readonly signedRequests?: boolean;
  /** The Secret the token is written to, in the AccessToken's namespace. */
  readonly secretTemplate?: SecretTemplateProps;
  /**
   * What happens to the token when the AccessToken is deleted: `Revoke` it on the server, or
   * `Retain` it. Defaults to `Revoke`.
   */
  readonly deletionPolicy?: DeletionPolicy;
  /** Workloads in the same namespace to restart (like `kubectl rollout restart`) after each rotation. */
  readonly rolloutRestartTargets?: RolloutRestartTargetProps[];
}
