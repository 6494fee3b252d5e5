import { timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import { inspectToken } from "../../core/index.js";
import type { Store } from "../store/store.js";
import { hashSecret, type Peppers } from "./peppers.js";
import { resolveToken, type ResolvedToken } from "./principal.js";
import { createTokenCache } from "./token-cache.js";

export interface CredentialResolver {
  /** The live token behind a presented credential, or null (unknown, malformed, revoked). */
  resolve(credential: string): Promise<ResolvedToken | null>;
  readonly cacheSize: number;
  close(): void;
}

const MAX_CREDENTIAL_LENGTH = 4096;

/**
 * Turns a presented credential into its token. Well-formed tokens are checked offline
 * (prefix + checksum) before anything else; the only other credential accepted is the
 * configured admin token, compared in constant time. Hits are cached and the cache is
 * invalidated through the store's change feed, which reaches every replica.
 */
export function createCredentialResolver(
  store: Store,
  peppers: Peppers,
  log: Logger,
  options: { adminToken?: string | undefined; cacheSize?: number } = {},
): CredentialResolver {
  const cache = createTokenCache<ResolvedToken>(options.cacheSize ?? 200_000);
  const adminHash = options.adminToken ? hashSecret(peppers, options.adminToken) : undefined;
  const olderVersions = [...peppers.keys.keys()].filter((v) => v !== peppers.current).sort((a, b) => b - a);

  const unsubscribe = store.onChange((change) => {
    if (change.entity === "token") cache.invalidateToken(change.id);
    else if (change.entity === "all") cache.clear();
  });

  async function lookup(credential: string, hash: Buffer, key: string): Promise<ResolvedToken | null> {
    const epoch = cache.epoch();
    let found = await store.tokens.findBySecretHash(hash);
    if (!found) {
      // Secrets hashed under an older pepper move to the current one on first use.
      for (const version of olderVersions) {
        const oldHash = hashSecret(peppers, credential, version);
        const old = await store.tokens.findBySecretHash(oldHash);
        if (old) {
          await store.tokens.rehashSecret(oldHash, hash, peppers.current);
          log.info(
            { tokenId: old.token.id, from: version, to: peppers.current },
            "secret re-hashed under the current pepper",
          );
          found = { token: old.token, secret: { ...old.secret, hash, pepperVersion: peppers.current } };
          break;
        }
      }
    }
    if (!found) return null;
    const resolved = resolveToken(found.token, found.secret);
    cache.set(key, resolved, epoch);
    return resolved;
  }

  return {
    async resolve(credential) {
      if (credential.length > MAX_CREDENTIAL_LENGTH) return null;
      const shape = inspectToken(credential);
      // Our prefix with a bad length, alphabet or checksum: rejected without hashing or storage.
      if (!shape.ok && shape.reason !== "prefix") return null;
      const hash = hashSecret(peppers, credential);
      if (!shape.ok) {
        // Not our format: only the configured admin token can match.
        if (!adminHash || !timingSafeEqual(hash, adminHash)) return null;
      }
      const key = hash.toString("base64");
      const hit = cache.get(key);
      const resolved = hit ?? (await lookup(credential, hash, key));
      if (!resolved) return null;
      // A superseded secret works only until its grace period ends.
      const graceEnd = resolved.secret.expiresAt;
      if (graceEnd && graceEnd.getTime() <= Date.now()) return null;
      // The map lookup found the entry by hash; confirm it in constant time all the same.
      return timingSafeEqual(resolved.secret.hash, hash) ? resolved : null;
    },
    get cacheSize() {
      return cache.size;
    },
    close: unsubscribe,
  };
}
