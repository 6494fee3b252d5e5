import { allows, type Action } from "../../core/index.js";
import type { Actor } from "../store/store.js";
import { forbidden } from "./errors.js";
import type { UserRecord } from "./model.js";
import type { ResolvedToken } from "./principal.js";

/** An authenticated management caller: the user and what the presented token may do. */
export interface Caller {
  user: UserRecord;
  /** The presented token; null for the in-process system caller (the embedded operator). */
  tokenId: string | null;
  permissions: readonly string[];
  actor: Actor;
}

export function callerOf(user: UserRecord, token: ResolvedToken): Caller {
  return {
    user,
    tokenId: token.tokenId,
    permissions: token.permissions,
    actor: { userId: user.id, tokenId: token.tokenId, displayPrefix: token.token.displayPrefix },
  };
}

/** The server acting for itself (e.g. the embedded operator) as an admin with full access. */
export function systemCaller(admin: UserRecord, label: string): Caller {
  return {
    user: admin,
    tokenId: null,
    permissions: ["*:*"],
    actor: { userId: admin.id, tokenId: null, displayPrefix: label },
  };
}

/** The calling token must hold `resource:action` (management is governed like any resource). */
export function requirePermission(caller: Caller, resource: string, action: Action): void {
  if (!allows(caller.permissions, resource, action)) {
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
