import type { AccessToken } from "../api/index.js";
import { dateTime, fromNow, type TokenState, tokenState } from "./format.js";

interface TokenTableProps {
  tokens: readonly AccessToken[];
  loading: boolean;
  empty: string;
  /** When each regenerated token's previous secret stops working, if it still works. */
  /** Absent when the signed-in token may not do it: the button is not shown. */
  onEdit?: ((t: AccessToken) => void) | undefined;
  onRegenerate?: ((t: AccessToken) => void) | undefined;
  onRevoke?: ((t: AccessToken) => void) | undefined;
}

const STATE_LABEL: Record<TokenState, string> = {
  active: "Active",
  expired: "Expired",
  "in grace": "In grace",
};

const TYPE_LABEL: Record<AccessToken["type"], string> = {
  "read-only": "Read-only",
  "full-access": "Full access",
  custom: "Custom",
};

function When({ iso, none }: { iso: string | null; none: string }) {
  if (!iso) return <span class="muted">{none}</span>;
  return (
    <time dateTime={iso} title={iso}>
      {fromNow(iso)}
      <small>{dateTime(iso)}</small>
    </time>
  );
}

const ICONS = {
  edit: "M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4",
  regenerate: "M20 11a8 8 0 0 0-14.9-3M4 4v4h4M4 13a8 8 0 0 0 14.9 3M20 20v-4h-4",
  revoke: "M5 7h14M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
};

/** An icon button; its label is its accessible name and its tooltip. */
function IconButton({
  icon,
  label,
  onClick,
}: {
  icon: keyof typeof ICONS;
  label: string;
  onClick: () => void;
}) {
  return (
    <button type="button" class={`icon-action ${icon}`} aria-label={label} title={label} onClick={onClick}>
      <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <path d={ICONS[icon]} />
      </svg>
    </button>
  );
}

export function TokenTable({ tokens, loading, empty, onEdit, onRegenerate, onRevoke }: TokenTableProps) {
  const actions = onEdit || onRegenerate || onRevoke;
  return (
    <div class="table-wrap">
      <table class="data tokens" aria-busy={loading ? "true" : undefined}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">State</th>
            {actions && (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {tokens.length === 0 && (
            <tr>
              <td colSpan={7} class="empty">
                {loading ? "Loading tokens…" : empty}
              </td>
            </tr>
          )}
          {tokens.map((t) => {
            const grace = t.previousSecretExpiresAt;
            const state = tokenState(t);
            return (
              <tr key={t.id} data-token-id={t.id}>
                <td data-label="Name">
                  <span class="token-name">{t.name}</span>
                  <code class="prefix" title="display prefix">
                    {t.displayPrefix}…
                  </code>
                  {t.description && <span class="description">{t.description}</span>}
                </td>
                <td data-label="Type">
                  <span class="type-line">
                    {TYPE_LABEL[t.type]}
                    <span class={`badge ${t.kind}`}>{t.kind}</span>
                  </span>
                  {t.type === "custom" && (
                    <span class="permissions">
                      {t.permissions.map((p) => (
                        <code key={p}>{p}</code>
                      ))}
                    </span>
                  )}
                </td>

                <td data-label="Created">
                  <When iso={t.createdAt} none="" />
                </td>
                <td data-label="Last used">
                  <When iso={t.lastUsedAt} none="never" />
                </td>
                <td data-label="Expires">
                  <When iso={t.expiresAt} none="never" />
                </td>
                <td data-label="State">
                  <span class={`state ${state.replace(" ", "-")}`}>{STATE_LABEL[state]}</span>
                  {state === "in grace" && grace && (
                    <small class="block muted" title={grace}>
                      previous secret until {dateTime(grace)}
                    </small>
                  )}
                </td>
                {actions && (
                  <td class="actions">
                    {onEdit && <IconButton icon="edit" label={`Edit ${t.name}`} onClick={() => onEdit(t)} />}
                    {onRegenerate && (
                      <IconButton
                        icon="regenerate"
                        label={`Regenerate ${t.name}`}
                        onClick={() => onRegenerate(t)}
                      />
                    )}
                    {onRevoke && (
                      <IconButton icon="revoke" label={`Revoke ${t.name}`} onClick={() => onRevoke(t)} />
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
