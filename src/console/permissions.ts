import type { Action } from "../core/index.js";

/** The four actions of the permission grammar, in grid order. */
export const ACTIONS: readonly Action[] = ["create", "read", "update", "delete"];

/**
 * Whether `granted` covers `resource:action` — the same rule the server applies, used only
 * to hide what the API would refuse anyway; the API stays the authority.
 */
export function allows(granted: readonly string[], resource: string, action: Action | "*"): boolean {
  return granted.some((p) => {
    const i = p.lastIndexOf(":");
    const r = p.slice(0, i);
    const a = p.slice(i + 1);
    return (r === "*" || r === resource) && (a === "*" || a === action);
  });
}
