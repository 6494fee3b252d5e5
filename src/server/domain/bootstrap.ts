import { randomUUID } from "node:crypto";
import { displayPrefix, generateToken } from "../../core/index.js";
import { type AuditEntry, SYSTEM_ACTOR } from "./audit-entry.js";
import type { Store } from "./store.js";
import { StoreError } from "./store-faults.js";
import { hashSecret, type Peppers } from "./peppers.js";
import { adminTokenProblem } from "./secret-strength.js";

export const ADMIN_USER = "admin";
const ADMIN_TOKEN_EXTERNAL_ID = "tokenplane:bootstrap-admin";
/** Shown instead of a prefix for an admin token from the environment (not our format). */
const ENV_DISPLAY = "(env)";

export interface BootstrapResult {
  tokenId: string;
  /** Set only when this start generated the admin token: show it once, then forget it. */
  generated?: string;
}

/** Refuses a configured admin token that is short or plainly not random, saying what is required. */
export function assertAdminToken(configured: string | undefined): void {
  if (configured === undefined) return;
  const problem = adminTokenProblem(configured);
  if (problem) throw new Error(`TOKENPLANE_ADMIN_TOKEN ${problem}`);
}

/**
 * Makes sure the admin user and its full-access token exist. With `adminToken` (from
 * TOKENPLANE_ADMIN_TOKEN) that value is the admin token, and changing it rotates the
 * stored one on the next start. Without it, a token is generated on first start only.
 * Safe when several replicas start at once.
 */
export async function bootstrapAdmin(
  store: Store,
  peppers: Peppers,
  adminToken?: string,
): Promise<BootstrapResult> {
  assertAdminToken(adminToken);
  const audit = (action: string, targetType: string, targetId: string, details = {}): AuditEntry => ({
    actor: SYSTEM_ACTOR,
    action,
    targetType,
    targetId,
    targetUserId: targetType === "user" ? targetId : null,
    details,
  });

  let user = await store.users.findByName(ADMIN_USER);
  if (!user) {
    const id = randomUUID();
    try {
      user = await store.users.create(
        { id, name: ADMIN_USER, admin: true },
        audit("user.create", "user", id),
      );
    } catch (err) {
      if (!(err instanceof StoreError && err.fault.kind === "user-name-taken")) throw err;
      user = await store.users.findByName(ADMIN_USER);
    }
    if (!user) throw new Error("the admin user could not be created");
  }

  const existing = await store.tokens.findByExternalId(user.id, ADMIN_TOKEN_EXTERNAL_ID);
  const plain = adminToken ?? generateToken("secret");
  const secret = { hash: hashSecret(peppers, plain), pepperVersion: peppers.current, publicKey: null };
  const shown = adminToken ? ENV_DISPLAY : displayPrefix(plain);

  if (existing) {
    if (adminToken) {
      const current = await findUnderAnyPepper(store, peppers, adminToken);
      if (current === existing.id) return { tokenId: existing.id };
    } else if (existing.displayPrefix !== ENV_DISPLAY) {
      return { tokenId: existing.id };
    }
    // The configured admin token changed, or was removed: replace the stored secret.
    await store.tokens.replaceSecret(
      existing.id,
      secret,
      { kind: "secret", signedRequests: false, displayPrefix: shown },
      null,
      {
        ...audit("token.regenerate", "token", existing.id, { reason: "admin token configuration changed" }),
        targetUserId: user.id,
      },
    );
    return adminToken ? { tokenId: existing.id } : { tokenId: existing.id, generated: plain };
  }

  const id = randomUUID();
  try {
    await store.tokens.create(
      {
        id,
        userId: user.id,
        kind: "secret",
        signedRequests: false,
        displayPrefix: shown,
        refilledAt: null,
        name: "admin",
        description: "bootstrap admin token",
        type: "full-access",
        permissions: [],
        duration: "unlimited",
        expiresAt: null,
        allowedDomains: [],
        allowedIps: [],
        credits: null,
        rateLimit: null,
        metadata: {},
        externalId: ADMIN_TOKEN_EXTERNAL_ID,
      },
      secret,
      {
        ...audit("token.create", "token", id, { name: "admin", type: "full-access" }),
        targetUserId: user.id,
      },
    );
  } catch (err) {
    // Another replica bootstrapped first; its token is the admin token.
    if (err instanceof StoreError && err.fault.kind === "external-id-taken")
      return { tokenId: err.fault.existingId ?? "" };
    throw err;
  }
  return adminToken ? { tokenId: id } : { tokenId: id, generated: plain };
}

async function findUnderAnyPepper(
  store: Store,
  peppers: Peppers,
  plain: string,
): Promise<string | undefined> {
  for (const version of peppers.keys.keys()) {
    const found = await store.tokens.findBySecretHash(hashSecret(peppers, plain, version));
    if (found) return found.token.id;
  }
  return undefined;
}
