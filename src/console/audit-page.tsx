import { useState } from "preact/hooks";
import { ProblemBanner } from "./fields.js";
import { dateTime } from "./format.js";
import { useSession } from "./session-context.js";
import { usePaged } from "./use-paged.js";

const AUDIT_ACTIONS = [
  "token.create",
  "token.update",
  "token.regenerate",
  "token.revoke",
  "user.create",
  "user.delete",
  "resource.create",
  "resource.delete",
  "settings.default-permissions",
];

/**
 * Management actions, newest first. Actor and token filter on the server; the action filter
 * narrows the loaded events (the API has no action parameter).
 */
export function AuditPage() {
  const { api } = useSession();
  const [actor, setActor] = useState("");
  const [tokenId, setTokenId] = useState("");
  const [action, setAction] = useState("");
  const [applied, setApplied] = useState({ actor: "", tokenId: "" });
  const events = usePaged(
    (cursor) =>
      api.auditEvents({ actor: applied.actor || undefined, tokenId: applied.tokenId || undefined, cursor }),
    `${applied.actor}|${applied.tokenId}`,
  );
  const shown = action ? events.items.filter((e) => e.action.includes(action.trim())) : events.items;
  return (
    <section aria-labelledby="audit-title">
      <div class="page-header">
        <div>
          <h1 id="audit-title">Audit log</h1>
          <p class="subtitle">Every management action, newest first. Tokens appear only by display prefix.</p>
        </div>
      </div>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ actor: actor.trim(), tokenId: tokenId.trim() });
        }}
      >
        <label>
          Actor (user id)
          <input value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
        </label>
        <label>
          Token id
          <input value={tokenId} onInput={(e) => setTokenId(e.currentTarget.value)} />
        </label>
        <label>
          Action
          <input
            value={action}
            placeholder="e.g. token.revoke"
            list="audit-actions"
            onInput={(e) => setAction(e.currentTarget.value)}
          />
        </label>
        <datalist id="audit-actions">
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <button type="submit" class="secondary">
          Apply filters
        </button>
      </form>
      <ProblemBanner error={events.error} />
      <div class="table-wrap">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td colSpan={5} class="empty">
                  {events.loading ? "Loading…" : "No events."}
                </td>
              </tr>
            )}
            {shown.map((e) => (
              <tr key={e.id}>
                <td data-label="When">
                  <time dateTime={e.at}>{dateTime(e.at)}</time>
                </td>
                <td data-label="Actor">
                  {e.actor.displayPrefix && <code>{e.actor.displayPrefix}…</code>}
                  <small class="muted block">{e.actor.userId}</small>
                </td>
                <td data-label="Action">
                  <span class="badge">{e.action}</span>
                </td>
                <td data-label="Target">
                  {e.target.type}
                  <small class="muted block">{e.target.id}</small>
                </td>
                <td data-label="Details">
                  <code class="details">{JSON.stringify(e.details)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {events.hasMore && (
        <button type="button" class="secondary" onClick={() => void events.more()} disabled={events.loading}>
          Load more
        </button>
      )}
    </section>
  );
}
