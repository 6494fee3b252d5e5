import { useState } from "preact/hooks";
import { Dialog } from "./dialog.js";
import { describedBy, Field, type FieldErrors, fieldErrorsOf, ProblemBanner } from "./fields.js";
import { dateTime } from "./format.js";
import { onLinkClick } from "./router.js";
import { mayAdminister, useSession } from "./session-context.js";
import { usePaged } from "./use-paged.js";
import { detached } from "./detached.js";

export function UsersPage() {
  const session = useSession();
  const users = usePaged((cursor) => session.api.listUsers({ cursor }), "users");
  const [creating, setCreating] = useState(false);
  return (
    <section aria-labelledby="users-title">
      <div class="page-header">
        <div>
          <h1 id="users-title">Users</h1>
          <p class="subtitle">Everyone who owns tokens. Open a user to see and manage their tokens.</p>
        </div>
        {mayAdminister(session, "users", "create") && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            + Create user
          </button>
        )}
      </div>
      <ProblemBanner error={users.error} />
      <div class="table-wrap">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Id</th>
            </tr>
          </thead>
          <tbody>
            {users.items.map((u) => (
              <tr key={u.id}>
                <td data-label="Name">
                  <a href={`/console/?user=${u.id}`} onClick={(e) => onLinkClick(e, `/?user=${u.id}`)}>
                    {u.name}
                  </a>
                </td>
                <td data-label="Role">{u.admin ? <span class="badge admin">admin</span> : "user"}</td>
                <td data-label="Created">{dateTime(u.createdAt)}</td>
                <td data-label="Id">
                  <code>{u.id}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {users.hasMore && (
        <button type="button" class="secondary" onClick={() => void users.more()} disabled={users.loading}>
          Load more
        </button>
      )}
      {creating && (
        <Dialog title="Create user" onClose={() => setCreating(false)}>
          <CreateUserForm
            onDone={() => {
              setCreating(false);
              void users.reload();
            }}
          />
        </Dialog>
      )}
    </section>
  );
}

function CreateUserForm({ onDone }: { onDone: () => void }) {
  const { api } = useSession();
  const [name, setName] = useState("");
  const [admin, setAdmin] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<unknown>(undefined);
  return (
    <form
      noValidate
      onSubmit={detached(async (e) => {
        e.preventDefault();
        try {
          await api.createUser({ name, admin });
          onDone();
        } catch (err) {
          setErrors(fieldErrorsOf(err));
          setFailure(err);
        }
      })}
    >
      {failure !== undefined && !errors.name && <ProblemBanner error={failure} />}
      <Field id="user-name" label="Name" errors={errors.name}>
        <input
          {...describedBy("user-name", errors.name)}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <label class="inline">
        <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />
        Admin (may manage every user's tokens, users, resources and settings)
      </label>
      <footer class="dialog-actions">
        <button type="submit" class="primary">
          Create user
        </button>
      </footer>
    </form>
  );
}
