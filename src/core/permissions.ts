/**
 * Permissions are `resource:action`. `*` as resource means every resource, `*` as action
 * every action. The patterns are shared with the CRD schema (RE2-compatible).
 */
export const ACTIONS = ["create", "read", "update", "delete"] as const;
export type Action = (typeof ACTIONS)[number];

export const RESOURCE_NAME_PATTERN = "^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$";
export const PERMISSION_PATTERN =
  "^(?:\\*|[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?):(?:create|read|update|delete|\\*)$";

const permissionRegex = new RegExp(PERMISSION_PATTERN);
const resourceRegex = new RegExp(RESOURCE_NAME_PATTERN);

export const TOKEN_TYPES = ["read-only", "full-access", "custom"] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export const TOKEN_KINDS = ["secret", "publishable"] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export interface Permission {
  resource: string;
  action: Action | "*";
}

export function isPermission(value: string): boolean {
  return permissionRegex.test(value);
}

export function isResourceName(value: string): boolean {
  return resourceRegex.test(value);
}

/**
 * `resource:action` split at its last colon, without checking the grammar: for permissions
 * already validated (stored, granted). Every split of a permission goes through here.
 */
export function splitPermission(value: string): { resource: string; action: string } {
  const i = value.lastIndexOf(":");
  return { resource: value.slice(0, i), action: value.slice(i + 1) };
}

/** The resource a (validated) permission names. */
export const resourceOf = (permission: string): string => splitPermission(permission).resource;

/** A permission checked against the grammar, as its parts; undefined when it is not one. */
export function parsePermission(value: string): Permission | undefined {
  if (!permissionRegex.test(value)) return undefined;
  const { resource, action } = splitPermission(value);
  return { resource, action: action as Action | "*" };
}

/** The permissions a token of `type` actually holds. */
export function effectivePermissions(type: TokenType, permissions: readonly string[]): string[] {
  switch (type) {
    case "read-only":
      return ["*:read"];
    case "full-access":
      return ["*:*"];
    case "custom":
      return [...permissions];
  }
}

/**
 * Whether `granted` (a list of permissions) allows `resource:action`. Splits inline, as
 * `splitPermission` does, without an object per permission: forward auth's hot path.
 */
export function allows(granted: readonly string[], resource: string, action: Action): boolean {
  for (const p of granted) {
    const i = p.lastIndexOf(":");
    const r = p.slice(0, i);
    const a = p.slice(i + 1);
    if ((r === "*" || r === resource) && (a === "*" || a === action)) return true;
  }
  return false;
}

/** Whether every permission in `wanted` is implied by `granted` (no privilege escalation). */
export function covers(granted: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((w) => {
    const p = parsePermission(w);
    if (!p) return false;
    const resources = p.resource === "*" ? ["*"] : [p.resource];
    const actions: readonly Action[] = p.action === "*" ? ACTIONS : [p.action];
    return resources.every((r) => actions.every((a) => allows(granted, r, a)));
  });
}
