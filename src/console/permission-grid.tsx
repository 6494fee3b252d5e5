import type { Resource } from "../api/index.js";
// The file, not core's entry: the entry also holds the token format, which needs node:crypto.
import { ACTIONS, type Action, allows, resourceOf, splitPermission } from "../core/permissions.js";

interface GridProps {
  /** Used for ids and accessible names; unique on the page. */
  id: string;
  resources: readonly Resource[];
  value: readonly string[];
  onChange: (permissions: string[]) => void;
  /** What the signed-in token holds: cells beyond it are disabled (the API would refuse them). */
  held?: readonly string[] | undefined;
  describedBy?: string | undefined;
}

function actionsOf(value: readonly string[], resource: string): Set<Action> {
  const out = new Set<Action>();
  for (const p of value) {
    const { resource: r, action: a } = splitPermission(p);
    if (r !== resource) continue;
    if (a === "*") ACTIONS.forEach((x) => out.add(x));
    else out.add(a as Action);
  }
  return out;
}

/** One resource's permissions: `name:*` when it has every action, else one per action. */
function permissionsFor(resource: string, actions: Set<Action>): string[] {
  if (ACTIONS.every((a) => actions.has(a))) return [`${resource}:*`];
  return ACTIONS.filter((a) => actions.has(a)).map((a) => `${resource}:${a}`);
}

/**
 * Registered resources × create/read/update/delete, as in Strapi's custom-token screen.
 * Permissions naming something outside the grid (`*:read`) are kept as they are.
 */
export function PermissionGrid({ id, resources, value, onChange, held, describedBy }: GridProps) {
  const names = new Set(resources.map((r) => r.name));
  const outside = value.filter((p) => !names.has(resourceOf(p)));

  const set = (resource: string, actions: Set<Action>) => {
    const next: string[] = [...outside];
    for (const r of resources) {
      next.push(...permissionsFor(r.name, r.name === resource ? actions : actionsOf(value, r.name)));
    }
    onChange(next);
  };
  const canGrant = (resource: string, action: Action) => !held || allows(held, resource, action);

  return (
    <div class="grid-wrap">
      <table class="permission-grid" aria-describedby={describedBy}>
        <thead>
          <tr>
            <th scope="col">Resource</th>
            {ACTIONS.map((a) => (
              <th scope="col" key={a}>
                {a}
              </th>
            ))}
            <th scope="col">all</th>
          </tr>
        </thead>
        <tbody>
          {resources.map((r) => {
            const actions = actionsOf(value, r.name);
            const all = ACTIONS.every((a) => actions.has(a));
            const allAllowed = ACTIONS.every((a) => canGrant(r.name, a));
            return (
              <tr key={r.name}>
                <th scope="row">
                  <span class="resource-name">{r.name}</span>
                  {r.description && <span class="resource-description">{r.description}</span>}
                </th>
                {ACTIONS.map((a) => (
                  <td key={a}>
                    <input
                      type="checkbox"
                      id={`${id}-${r.name}-${a}`}
                      aria-label={`${r.name} ${a}`}
                      checked={actions.has(a)}
                      disabled={!canGrant(r.name, a) && !actions.has(a)}
                      title={canGrant(r.name, a) ? undefined : "your token does not hold this"}
                      onChange={(e) => {
                        const next = new Set(actions);
                        if (e.currentTarget.checked) next.add(a);
                        else next.delete(a);
                        set(r.name, next);
                      }}
                    />
                  </td>
                ))}
                <td>
                  <input
                    type="checkbox"
                    aria-label={`${r.name} all actions`}
                    checked={all}
                    disabled={!allAllowed && !all}
                    onChange={(e) => set(r.name, new Set(e.currentTarget.checked ? ACTIONS : []))}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {outside.length > 0 && (
        <p class="hint">
          Also holds:{" "}
          {outside.map((p) => (
            <code key={p}>{p}</code>
          ))}{" "}
          <button
            type="button"
            class="link"
            onClick={() => onChange(value.filter((p) => !outside.includes(p)))}
          >
            remove
          </button>
        </p>
      )}
    </div>
  );
}
