import { allows, type Action } from "../../core/index.js";
import type { Actor } from "../store/store.js";
import { forbidden } from "./errors.js";
import type { UserRecord } from "./model.js";
import type { ResolvedToken } from "./principal.js";

/** An authenticated management caller: the token presented and the user owning it. */
export interface Caller {
  user: UserRecord;
  token: ResolvedToken;
  actor: Actor;
}

export function callerOf(user: UserRecord, token: ResolvedToken): Caller {
  return {
    user,
    token,
    actor: { userId: user.id, tokenId: token.tokenId, displayPrefix: token.token.displayPrefix },
  };
}

/** The calling token must hold `resource:action` (management is governed like any resource). */
export function requirePermission(caller: Caller, resource: string, action: Action): void {
  if (!allows(caller.token.permissions, resource, action)) {
    throw forbidden(`this token lacks the permission ${resource}:${action}`);
  }
}

/** Global management (users, the registry, settings) needs an admin user and the permission. */
export function requireAdmin(caller: Caller, resource: string, action: Action): void {
  if (!caller.user.admin) throw forbidden(`only admins may ${action} ${resource}`);
  requirePermission(caller, resource, action);
}

/**
 * A user manages their own tokens with the `tokens:<action>` permission; another user's
 * tokens additionally need the caller to be an admin.
 */
export function requireTokenAccess(caller: Caller, ownerId: string, action: Action): void {
  if (ownerId !== caller.user.id && !caller.user.admin) {
    throw forbidden("you may only manage your own tokens");
  }
  requirePermission(caller, "tokens", action);
}
