import type { TokenKind, TokenType } from "../../core/index.js";
import type { AuditEntry } from "./audit-entry.js";
import type {
  AuditRecord,
  Change,
  Credits,
  Page,
  PageRequest,
  ResourceRecord,
  SecretRecord,
  TokenRecord,
  UserRecord,
} from "./model.js";

/**
 * The storage the domain needs, implemented by src/server/store (PostgreSQL / PGlite).
 * Refusals are `StoreError`s (store-faults.ts): facts, not sentences.
 */
export interface Store {
  readonly tokens: TokenStore;
  readonly users: UserStore;
  readonly registry: RegistryStore;
  readonly audit: AuditStore;
  readonly usage: UsageStore;
  /** Subscribes to committed changes from every replica sharing the database. */
  onChange(listener: (change: Change) => void): () => void;
  /** Resolves when storage answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a token list is narrowed to; every field optional. */
export interface TokenFilter {
  userId?: string | undefined;
  name?: string | undefined;
  displayPrefix?: string | undefined;
  /** Expired or not, at `now` (the server's clock), or revoked; revoked tokens only when asked for. */
  state?: "active" | "expired" | "revoked" | undefined;
  now?: Date | undefined;
}

/** The writable settings of a token, as stored. */
export interface TokenSettings {
  name: string;
  description: string;
  type: TokenType;
  permissions: string[];
  duration: string | null;
  expiresAt: Date | null;
  allowedDomains: string[];
  allowedIps: string[];
  credits: Omit<Credits, "refilledAt"> | null;
  rateLimit: { limit: number; window: string } | null;
  metadata: Record<string, unknown>;
  externalId: string | null;
}

export interface NewToken extends TokenSettings {
  id: string;
  /** When credits with a refill were last (re)filled: creation time, by the server's clock. */
  refilledAt: Date | null;
  userId: string;
  kind: TokenKind;
  signedRequests: boolean;
  displayPrefix: string;
}

export interface NewSecret {
  hash: Buffer;
  pepperVersion: number;
  publicKey: string | null;
}

export interface TokenStore {
  /** Refused: `external-id-taken` (with the holder's id), `unregistered-resources`. */
  create(token: NewToken, secret: NewSecret, audit: AuditEntry): Promise<TokenRecord>;
  get(id: string): Promise<TokenRecord | null>;
  findByExternalId(userId: string, externalId: string): Promise<TokenRecord | null>;
  list(userId: string, page: PageRequest, filter?: Omit<TokenFilter, "userId">): Promise<Page<TokenRecord>>;
  /** Every user's tokens (the admins' inventory), oldest first, narrowed by `filter`. */
  search(filter: TokenFilter, page: PageRequest): Promise<Page<TokenRecord>>;
  /**
   * Read-modify-write under a row lock: `change` gets the current token and returns its
   * new settings (or throws to abort). Bumps the revision. Null when the token is gone.
   */
  update(
    id: string,
    change: (current: TokenRecord) => TokenSettings | Promise<TokenSettings>,
    audit: AuditEntry,
    options?: { refilledAt?: Date },
  ): Promise<TokenRecord | null>;
  /**
   * Issues a new secret. Earlier secrets stop working at `graceUntil` (now when null);
   * `kind`, `signedRequests` and the display prefix follow the new secret.
   */
  replaceSecret(
    id: string,
    secret: NewSecret,
    next: { kind: TokenKind; signedRequests: boolean; displayPrefix: string },
    graceUntil: Date | null,
    audit: AuditEntry,
  ): Promise<TokenRecord | null>;
  /** Revokes: kept as revoked, without its secrets. False when it was already gone. */
  delete(id: string, audit: AuditEntry): Promise<boolean>;
  /** The token a secret hash belongs to; the caller checks the secret's grace period. */
  findBySecretHash(hash: Buffer): Promise<{ token: TokenRecord; secret: SecretRecord } | null>;
  /** Moves a secret to the current pepper (on its first use after a pepper rotation). */
  rehashSecret(oldHash: Buffer, newHash: Buffer, pepperVersion: number): Promise<void>;
  /** Records a use; never moves lastUsedAt backwards. */
  touchLastUsed(id: string, at: Date): Promise<void>;
  /** Whether any token's custom permissions name `resource`. */
  anyUsesResource(resource: string): Promise<boolean>;
}

export interface UserStore {
  /** Refused: `user-name-taken`. */
  create(user: { id: string; name: string; admin: boolean }, audit: AuditEntry): Promise<UserRecord>;
  get(id: string): Promise<UserRecord | null>;
  findByName(name: string): Promise<UserRecord | null>;
  list(page: PageRequest, name?: string): Promise<Page<UserRecord>>;
  /** Deletes the user and all their tokens. False when there was no such user. */
  delete(id: string, audit: AuditEntry): Promise<boolean>;
}

export type ResourceChanges = Partial<Pick<ResourceRecord, "description" | "routes">>;

/** The resource registry and the default (anonymous) permissions that refer to it. */
export interface RegistryStore {
  list(): Promise<ResourceRecord[]>;
  get(name: string): Promise<ResourceRecord | null>;
  /** Refused: `resource-exists`. */
  create(
    resource: Pick<ResourceRecord, "name" | "description" | "routes">,
    audit: AuditEntry,
  ): Promise<ResourceRecord>;
  /** Changing nothing writes nothing. Null when there is no such resource; refused: `resource-built-in`. */
  update(name: string, changes: ResourceChanges, audit: AuditEntry): Promise<ResourceRecord | null>;
  /**
   * False when there is no such resource. Refused: `resource-built-in`, `resource-in-use`,
   * `resource-in-default-permissions`.
   */
  delete(name: string, audit: AuditEntry): Promise<boolean>;
  defaultPermissions(): Promise<string[]>;
  /** Refused: `unregistered-resources`. */
  setDefaultPermissions(permissions: string[], audit: AuditEntry): Promise<string[]>;
}

export interface AuditFilter {
  actorUserId?: string | undefined;
  tokenId?: string | undefined;
  /** Restricts to events a non-admin may see: their own actions and their own tokens. */
  visibleTo?: string | undefined;
}

export interface AuditStore {
  /** Newest first. Refused: `unknown-cursor`. */
  list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditRecord>>;
}

export interface Spend {
  ok: boolean;
  /** Credits left after this spend (or, when refused, what is available). */
  remaining: number;
}

/** Per-use writes: credits, replay protection. */
export interface UsageStore {
  /** Spends `cost` credits atomically, refilling first when a new period has begun; null without a limit. */
  spendCredits(tokenId: string, cost: number, now: Date): Promise<Spend | null>;
  /** The credits a token could spend at `now`, without spending any; null when it has no limit. */
  creditsLeft(tokenId: string, now: Date): Promise<number | null>;
  /** Records a signature; false when it was seen before (a replay). */
  rememberSignature(digest: Buffer, expiresAt: Date): Promise<boolean>;
  forgetSignaturesBefore(now: Date): Promise<void>;
}
