import { useEffect, useMemo, useState } from "preact/hooks";
import type { AccessToken, IssuedAccessToken, Resource, User } from "../api/index.js";
import { Dialog } from "./dialog.js";
import { ProblemBanner } from "./fields.js";
import { byCreation, dateTime, durationMs } from "./format.js";
import { PlainToken } from "./plain-token.js";
import { RegenerateForm, RevokeConfirm } from "./token-actions.js";
import { TokenForm } from "./token-form.js";
import { createBody, updateBody } from "./token-form-state.js";
import { TokenTable } from "./token-table.js";
import { useTokenWatch, type WatchStatus } from "./token-watch.js";
import { navigate, useRoute } from "./router.js";
import { may, mayAdminister, useSession } from "./session-context.js";

type DialogState =
  | { kind: "create" }
  | { kind: "edit"; token: AccessToken }
  | { kind: "regenerate"; token: AccessToken }
  | { kind: "revoke"; token: AccessToken }
  | { kind: "issued"; title: string; issued: IssuedAccessToken; note?: string };

const PAGE_SIZES = [10, 25, 50, 100];

const STATUS_TEXT: Record<WatchStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  refused: "Not available",
};

export function TokensPage() {
  const session = useSession();
  const { api, user } = session;
  const { query } = useRoute();
  const owner = query.get("user") ?? user.id;
  const watch = useTokenWatch(api, owner);
  const [dialog, setDialog] = useState<DialogState | undefined>(undefined);
  const [filter, setFilter] = useState("");
  const [pageSize, setPageSize] = useState(25);
  const [page, setPage] = useState(0);
  const [resources, setResources] = useState<Resource[]>([]);
  const [users, setUsers] = useState<User[]>([]);
  const [, tick] = useState(0);

  useEffect(() => {
    if (may(session, "resources", "read")) {
      api.listResources().then(
        (r) => setResources(r.items),
        () => setResources([]),
      );
    }
    if (mayAdminister(session, "users", "read")) {
      api.listUsers().then(
        (p) => setUsers(p.items),
        () => setUsers([]),
      );
    }
    // Relative times ("5 minutes ago") stay true.
    const timer = setInterval(() => tick((t) => t + 1), 30_000);
    return () => clearInterval(timer);
  }, [api, session]);

  const all = useMemo(() => [...watch.tokens.values()].sort(byCreation), [watch.tokens, watch.version]);
  const needle = filter.trim().toLowerCase();
  const shown = needle ? all.filter((t) => t.name.toLowerCase().includes(needle)) : all;
  const pages = Math.max(1, Math.ceil(shown.length / pageSize));
  const current = Math.min(page, pages - 1);
  const visible = shown.slice(current * pageSize, (current + 1) * pageSize);
  const ownerName = owner === user.id ? user.name : (users.find((u) => u.id === owner)?.name ?? owner);
  const close = () => setDialog(undefined);

  return (
    <section aria-labelledby="tokens-title">
      <div class="page-header">
        <div>
          <h1 id="tokens-title">API tokens</h1>
          <p class="subtitle">
            {owner === user.id ? "Your tokens" : `Tokens of ${ownerName}`}, oldest first.{" "}
            <span class={`live ${watch.status}`} role="status">
              <span class="dot" aria-hidden="true" />
              {STATUS_TEXT[watch.status]}
            </span>
          </p>
        </div>
        {may(session, "tokens", "create") && watch.status !== "refused" && (
          <button type="button" class="primary" onClick={() => setDialog({ kind: "create" })}>
            + Create new API token
          </button>
        )}
      </div>

      <div class="toolbar">
        <label class="search">
          <span class="visually-hidden">Filter by name</span>
          <input
            type="search"
            placeholder="Filter by name"
            value={filter}
            onInput={(e) => {
              setFilter(e.currentTarget.value);
              setPage(0);
            }}
          />
        </label>
        {users.length > 0 && (
          <label class="owner">
            Owner
            <select
              value={owner}
              onChange={(e) => {
                const id = e.currentTarget.value;
                setPage(0);
                navigate(id === user.id ? "/" : `/?user=${encodeURIComponent(id)}`);
              }}
            >
              {!users.some((u) => u.id === owner) && <option value={owner}>{ownerName}</option>}
              {users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                  {u.id === user.id ? " (you)" : ""}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>

      <ProblemBanner error={watch.error} />
      <TokenTable
        tokens={visible}
        loading={watch.status === "connecting"}
        empty={needle ? `No token's name contains “${filter.trim()}”.` : "No tokens yet."}
        onEdit={may(session, "tokens", "update") ? (token) => setDialog({ kind: "edit", token }) : undefined}
        onRegenerate={
          may(session, "tokens", "update") ? (token) => setDialog({ kind: "regenerate", token }) : undefined
        }
        onRevoke={
          may(session, "tokens", "delete") ? (token) => setDialog({ kind: "revoke", token }) : undefined
        }
      />

      <nav class="pager" aria-label="Pages">
        <span>
          {shown.length === 0
            ? "0 tokens"
            : `${current * pageSize + 1}–${current * pageSize + visible.length} of ${shown.length} tokens`}
        </span>
        <label>
          Per page
          <select
            value={pageSize}
            onChange={(e) => {
              setPageSize(Number(e.currentTarget.value));
              setPage(0);
            }}
          >
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          class="secondary small"
          disabled={current === 0}
          onClick={() => setPage(current - 1)}
        >
          Previous
        </button>
        <span aria-current="page">
          Page {current + 1} of {pages}
        </span>
        <button
          type="button"
          class="secondary small"
          disabled={current >= pages - 1}
          onClick={() => setPage(current + 1)}
        >
          Next
        </button>
      </nav>

      {dialog?.kind === "create" && (
        <Dialog title="Create API token" onClose={close} wide>
          <TokenForm
            resources={resources}
            held={session.permissions}
            submitLabel="Create token"
            onCancel={close}
            onSubmit={async (s) => {
              const issued = await api.createToken(owner, createBody(s));
              setDialog({ kind: "issued", title: "Token created", issued });
            }}
          />
        </Dialog>
      )}
      {dialog?.kind === "edit" && (
        <Dialog title={`Edit ${dialog.token.name}`} onClose={close} wide>
          <TokenForm
            token={dialog.token}
            resources={resources}
            held={session.permissions}
            submitLabel="Save"
            onCancel={close}
            onSubmit={async (s) => {
              await api.updateToken(owner, dialog.token.id, updateBody(s));
              close();
            }}
          />
        </Dialog>
      )}
      {dialog?.kind === "regenerate" && (
        <Dialog title={`Regenerate ${dialog.token.name}`} onClose={close}>
          <RegenerateForm
            token={dialog.token}
            onCancel={close}
            onSubmit={async (body) => {
              const issued = await api.regenerateToken(owner, dialog.token.id, body);
              const note = body.gracePeriod
                ? `The previous token keeps working for ${body.gracePeriod} (until ${dateTime(
                    new Date(Date.now() + durationMs(body.gracePeriod)).toISOString(),
                  )}).`
                : "The previous token has stopped working.";
              setDialog({ kind: "issued", title: "Token regenerated", issued, note });
            }}
          />
        </Dialog>
      )}
      {dialog?.kind === "revoke" && (
        <Dialog title={`Revoke ${dialog.token.name}`} onClose={close}>
          <RevokeConfirm
            token={dialog.token}
            onCancel={close}
            onConfirm={async () => {
              await api.revokeToken(owner, dialog.token.id);
              close();
            }}
          />
        </Dialog>
      )}
      {dialog?.kind === "issued" && (
        <Dialog title={dialog.title} onClose={close}>
          <PlainToken issued={dialog.issued} note={dialog.note} onDone={close} />
        </Dialog>
      )}
    </section>
  );
}
