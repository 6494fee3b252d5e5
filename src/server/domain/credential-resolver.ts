import { hash, timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import { inspectToken } from "../../core/index.js";
import type { Store } from "./store.js";
import { hashSecret, type Peppers } from "./peppers.js";
import { resolveToken, type ResolvedToken } from "./principal.js";
import { createTokenCache } from "./token-cache.js";

/** `cached()` could not answer without storage: call `resolve()`. */
export const MISS = Symbol("miss");

export interface CredentialResolver {
  /**
   * The answer this replica can give without storage: the live token, null when the
   * credential is refused offline (malformed, bad checksum, not the admin token), or MISS.
   */
  cached(credential: string): ResolvedToken | null | typeof MISS;
  /** The live token behind a credential, or null (unknown, malformed, revoked, expired grace). */
  resolve(credential: string): Promise<ResolvedToken | null>;
  readonly cacheSize: number;
  close(): void;
}

const MAX_CREDENTIAL_LENGTH = 4096;

/**
 * Turns a presented credential into its token. Well-formed tokens are checked offline
 * (prefix + checksum) first; the only other credential accepted is the configured admin
 * token, compared in constant time. Storage is looked up by the HMAC under the pepper;
 * hits are cached in memory under a plain SHA-256 of the credential (cheaper than the
 * HMAC, and as unguessable), and the cache follows the store's change feed, which
 * reaches every replica.
 */
export function createCredentialResolver(
  store: Store,
  peppers: Peppers,
  log: Logger,
  options: { adminToken?: string | undefined; cacheSize?: number; now?: () => number } = {},
): CredentialResolver {
  const now = options.now ?? Date.now;
  const cache = createTokenCache<ResolvedToken>(options.cacheSize ?? 200_000);
  const adminHash = options.adminToken ? hashSecret(peppers, options.adminToken) : undefined;
  const olderVersions = [...peppers.keys.keys()].filter((v) => v !== peppers.current).sort((a, b) => b - a);

  const unsubscribe = store.onChange((change) => {
    if (change.entity === "token") cache.invalidateToken(change.id);
    else if (change.entity === "all") cache.clear();
  });

  /** Whether a credential that is not cached may be looked up in storage at all. */
  function admissible(credential: string): boolean {
    const shape = inspectToken(credential);
    if (shape.ok) return true;
    // Our prefix with a bad length, alphabet or checksum: refused without touching storage.
    if (shape.reason !== "prefix" || !adminHash) return false;
    // Not our format: only the configured admin token can match.
    return timingSafeEqual(hashSecret(peppers, credential), adminHash);
  }

  /**
   * Cache first: a cached credential passed every offline check when it was first looked
   * up, so a hit needs only the SHA-256. Null for what is refused offline.
   */
  function keyOf(credential: string): string | null {
    return credential.length > MAX_CREDENTIAL_LENGTH ? null : hash("sha256", credential, "base64");
  }

  /** A superseded secret works only until its grace period ends. */
  const live = (resolved: ResolvedToken): ResolvedToken | null => {
    const graceEnd = resolved.secret.expiresAt;
    return graceEnd && graceEnd.getTime() <= now() ? null : resolved;
  };

  async function lookup(credential: string, key: string): Promise<ResolvedToken | null> {
    const epoch = cache.epoch();
    const current = hashSecret(peppers, credential);
    let found = await store.tokens.findBySecretHash(current);
    if (!found) {
      // Secrets hashed under an older pepper move to the current one on first use.
      for (const version of olderVersions) {
        const oldHash = hashSecret(peppers, credential, version);
        const old = await store.tokens.findBySecretHash(oldHash);
        if (old) {
          await store.tokens.rehashSecret(oldHash, current, peppers.current);
          log.info(
            { tokenId: old.token.id, from: version, to: peppers.current },
            "secret re-hashed under the current pepper",
          );
          found = {
            token: old.token,
            secret: { ...old.secret, hash: current, pepperVersion: peppers.current },
          };
          break;
        }
      }
    }
    // Storage found the row by its hash; confirm the hash in constant time all the same.
    if (!found || !timingSafeEqual(found.secret.hash, current)) return null;
    const resolved = resolveToken(found.token, found.secret);
    cache.set(key, resolved, epoch);
    return resolved;
  }

  return {
    cached(credential) {
      const key = keyOf(credential);
      if (key === null) return null;
      const hit = cache.get(key);
      if (hit) return live(hit);
      return admissible(credential) ? MISS : null;
    },
    async resolve(credential) {
      const key = keyOf(credential);
      if (key === null) return null;
      const hit = cache.get(key) ?? (admissible(credential) ? await lookup(credential, key) : null);
      return hit ? live(hit) : null;
    },
    get cacheSize() {
      return cache.size;
    },
    close: unsubscribe,
  };
}
