import { useEffect, useState } from "preact/hooks";
import type { CreateResourceBody, Resource } from "../api/index.js";
import { Dialog } from "./dialog.js";
import { describedBy, Field, type FieldErrors, fieldErrorsOf, ProblemBanner } from "./fields.js";
import { mayAdminister, useSession } from "./session-context.js";
import { detached } from "./detached.js";

type Route = NonNullable<CreateResourceBody["routes"]>[number];
type Method = NonNullable<Route["methods"]>[number];

/** `/orders GET,POST` per line → routes. Unknown methods go to the API, which names them. */
function routesOf(text: string): Route[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [pathPrefix = "", methods] = line.split(/\s+/, 2);
      return methods
        ? { pathPrefix, methods: methods.split(",").map((m) => m.trim().toUpperCase() as Method) }
        : { pathPrefix };
    });
}

export function ResourcesPage() {
  const session = useSession();
  const [resources, setResources] = useState<Resource[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [dialog, setDialog] = useState<{ kind: "create" } | { kind: "delete"; resource: Resource }>();
  const load = () =>
    session.api.listResources().then(
      (r) => {
        setResources(r.items);
        setError(undefined);
      },
      (err: unknown) => setError(err),
    );
  useEffect(() => void load(), [session.api]);
  const close = () => setDialog(undefined);

  return (
    <section aria-labelledby="resources-title">
      <div class="page-header">
        <div>
          <h1 id="resources-title">Resources</h1>
          <p class="subtitle">
            What permissions name. Routes map request paths to a resource for forward auth at ingress.
          </p>
        </div>
        {mayAdminister(session, "resources", "create") && (
          <button type="button" class="primary" onClick={() => setDialog({ kind: "create" })}>
            + Register resource
          </button>
        )}
      </div>
      <ProblemBanner error={error} />
      <div class="table-wrap">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Routes</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {resources.map((r) => (
              <tr key={r.name}>
                <td data-label="Name">
                  <code>{r.name}</code> {r.builtIn && <span class="badge">built-in</span>}
                </td>
                <td data-label="Description">{r.description}</td>
                <td data-label="Routes">
                  {r.routes.length === 0 && <span class="muted">none</span>}
                  {r.routes.map((x) => (
                    <code key={x.pathPrefix}>
                      {x.pathPrefix}
                      {x.methods ? ` ${x.methods.join(",")}` : ""}
                    </code>
                  ))}
                </td>
                <td class="actions">
                  {!r.builtIn && mayAdminister(session, "resources", "delete") && (
                    <button
                      type="button"
                      class="danger small"
                      aria-label={`Delete resource ${r.name}`}
                      onClick={() => setDialog({ kind: "delete", resource: r })}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {dialog?.kind === "create" && (
        <Dialog title="Register resource" onClose={close}>
          <ResourceForm
            onDone={() => {
              close();
              void load();
            }}
          />
        </Dialog>
      )}
      {dialog?.kind === "delete" && (
        <Dialog title={`Delete ${dialog.resource.name}`} onClose={close}>
          <DeleteResource
            resource={dialog.resource}
            onCancel={close}
            onDone={() => {
              close();
              void load();
            }}
          />
        </Dialog>
      )}
    </section>
  );
}

function ResourceForm({ onDone }: { onDone: () => void }) {
  const { api } = useSession();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [routes, setRoutes] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<unknown>(undefined);
  const known = ["name", "description", "routes"];
  return (
    <form
      noValidate
      onSubmit={detached(async (e) => {
        e.preventDefault();
        try {
          await api.createResource({ name, description, routes: routesOf(routes) });
          onDone();
        } catch (err) {
          setErrors(fieldErrorsOf(err));
          setFailure(err);
        }
      })}
    >
      {failure !== undefined && !known.some((k) => errors[k]) && <ProblemBanner error={failure} />}
      <Field id="resource-name" label="Name" errors={errors.name} hint="Letters, digits, '.', '_' or '-'.">
        <input
          {...describedBy("resource-name", errors.name, true)}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <Field id="resource-description" label="Description" errors={errors.description}>
        <input
          {...describedBy("resource-description", errors.description)}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <Field
        id="resource-routes"
        label="Routes"
        errors={errors.routes}
        hint="One path prefix per line, optionally followed by methods: /orders GET,POST"
      >
        <textarea
          {...describedBy("resource-routes", errors.routes, true)}
          rows={3}
          value={routes}
          onInput={(e) => setRoutes(e.currentTarget.value)}
        />
      </Field>
      <footer class="dialog-actions">
        <button type="submit" class="primary">
          Register
        </button>
      </footer>
    </form>
  );
}

function DeleteResource({
  resource,
  onCancel,
  onDone,
}: {
  resource: Resource;
  onCancel: () => void;
  onDone: () => void;
}) {
  const { api } = useSession();
  const [failure, setFailure] = useState<unknown>(undefined);
  return (
    <div>
      <p>
        Delete <code>{resource.name}</code>? The server refuses while tokens or the default permissions use
        it.
      </p>
      <ProblemBanner error={failure} />
      <footer class="dialog-actions">
        <button type="button" class="secondary" onClick={onCancel} autoFocus>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          onClick={() =>
            void api.deleteResource(resource.name).then(onDone, (err: unknown) => setFailure(err))
          }
        >
          Delete resource
        </button>
      </footer>
    </div>
  );
}
