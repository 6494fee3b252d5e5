import { useEffect, useState } from "preact/hooks";
import type { Resource } from "../api/index.js";
import { fieldErrorsOf, ProblemBanner } from "./fields.js";
import { PermissionGrid } from "./permission-grid.js";
import { mayAdminister, useSession } from "./session-context.js";
import { detached } from "./detached.js";

/** What anonymous requests may do through forward auth (Canonic's public permissions). */
export function DefaultPermissionsPage() {
  const session = useSession();
  const { api } = session;
  const [resources, setResources] = useState<Resource[]>([]);
  const [permissions, setPermissions] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [saved, setSaved] = useState(false);
  const editable = mayAdminister(session, "settings", "update");

  useEffect(() => {
    Promise.all([api.listResources(), api.defaultPermissions()]).then(
      ([r, d]) => {
        // The server's own management API is never anonymous: only registered resources.
        setResources(r.items.filter((x) => !x.builtIn));
        setPermissions(d.permissions);
      },
      (err: unknown) => setError(err),
    );
  }, [api]);

  const errors = fieldErrorsOf(error).permissions;
  return (
    <section aria-labelledby="defaults-title">
      <div class="page-header">
        <div>
          <h1 id="defaults-title">Default permissions</h1>
          <p class="subtitle">
            What requests without a token may do, checked by forward auth at your ingress. Empty: nothing.
          </p>
        </div>
      </div>
      <form
        noValidate
        onSubmit={detached(async (e) => {
          e.preventDefault();
          setSaved(false);
          try {
            const next = await api.setDefaultPermissions({ permissions });
            setPermissions(next.permissions);
            setError(undefined);
            setSaved(true);
          } catch (err) {
            setError(err);
          }
        })}
      >
        <ProblemBanner error={error} />
        <fieldset class="field" disabled={!editable}>
          <legend>Public permissions</legend>
          {resources.length === 0 && <p class="hint">Register a resource first.</p>}
          <PermissionGrid id="defaults" resources={resources} value={permissions} onChange={setPermissions} />
          {errors && (
            <p class="field-error" role="alert">
              {errors.join("; ")}
            </p>
          )}
        </fieldset>
        {editable && (
          <div class="form-actions">
            <button type="submit" class="primary">
              Save
            </button>
            <span role="status">{saved ? "Saved." : ""}</span>
          </div>
        )}
      </form>
    </section>
  );
}
