import { useState } from "preact/hooks";
import type { AccessToken, Resource } from "../api/index.js";
import type { TokenType } from "../core/index.js";
import { describedBy, Field, type FieldErrors, fieldErrorsOf, ProblemBanner } from "./fields.js";
import { dateTime } from "./format.js";
import { PermissionGrid } from "./permission-grid.js";
import { detached } from "./detached.js";
import { AdvancedFields } from "./token-advanced-fields.js";
import { type Expiry, type FormState, initialState, type SetField } from "./token-form-state.js";

interface TokenFormProps {
  /** The token being edited; undefined creates one. */
  token?: AccessToken;
  resources: readonly Resource[];
  /** The signed-in token's permissions, to disable grid cells it cannot grant. */
  held?: readonly string[] | undefined;
  submitLabel: string;
  onSubmit: (state: FormState) => Promise<void>;
  onCancel: () => void;
}

const TYPES: { value: TokenType; label: string; hint: string }[] = [
  { value: "read-only", label: "Read-only", hint: "read on every resource (*:read)" },
  { value: "full-access", label: "Full access", hint: "every action on every resource (*:*)" },
  { value: "custom", label: "Custom", hint: "exactly the permissions ticked below" },
];

const EXPIRIES: { value: Expiry; label: string }[] = [
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "unlimited", label: "Unlimited" },
  { value: "date", label: "Custom date" },
];

/** The fields this form shows errors next to; errors for others go to the banner. */
const SHOWN_FIELDS = [
  "name",
  "description",
  "duration",
  "expiresAt",
  "type",
  "permissions",
  "kind",
  "allowedDomains",
  "allowedIps",
  "credits",
  "rateLimit",
  "signedRequests",
  "metadata",
];

export function TokenForm({ token, resources, held, submitLabel, onSubmit, onCancel }: TokenFormProps) {
  const [s, setState] = useState<FormState>(() => initialState(token));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const set: SetField = (key, value) => setState((p) => ({ ...p, [key]: value }));
  const editing = token !== undefined;
  const expiryErrors = [...(errors.duration ?? []), ...(errors.expiresAt ?? [])];
  const shown = editing ? SHOWN_FIELDS.filter((f) => f !== "kind" && f !== "signedRequests") : SHOWN_FIELDS;
  const placed = Object.keys(errors).length > 0 && Object.keys(errors).every((f) => shown.includes(f));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(undefined);
    try {
      await onSubmit(s);
    } catch (err) {
      setErrors(fieldErrorsOf(err));
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="token-form" onSubmit={detached(submit)} noValidate>
      {failure !== undefined && (
        <ProblemBanner error={failure} detail={placed ? "check the fields marked below" : undefined} />
      )}
      <div class="form-columns">
        <Field id="token-name" label="Name" errors={errors.name}>
          <input
            {...describedBy("token-name", errors.name)}
            value={s.name}
            required
            maxLength={200}
            autoComplete="off"
            onInput={(e) => set("name", e.currentTarget.value)}
          />
        </Field>
        <Field id="token-expiry" label={editing ? "Expiry" : "Token duration"} errors={expiryErrors}>
          <select
            {...describedBy("token-expiry", expiryErrors)}
            value={s.expiry}
            onChange={(e) => set("expiry", e.currentTarget.value as Expiry)}
          >
            {editing && (
              <option value="keep">
                Keep ({token.expiresAt ? `expires ${dateTime(token.expiresAt)}` : "never expires"})
              </option>
            )}
            {EXPIRIES.map((x) => (
              <option key={x.value} value={x.value}>
                {editing && x.value !== "date" && x.value !== "unlimited" ? `${x.label} from now` : x.label}
              </option>
            ))}
          </select>
          {s.expiry === "date" && (
            <input
              type="date"
              aria-label="Expiry date"
              class="stacked"
              value={s.expiryDate}
              onInput={(e) => set("expiryDate", e.currentTarget.value)}
            />
          )}
        </Field>
      </div>
      <Field id="token-description" label="Description" errors={errors.description}>
        <textarea
          {...describedBy("token-description", errors.description)}
          rows={2}
          maxLength={2000}
          value={s.description}
          onInput={(e) => set("description", e.currentTarget.value)}
        />
      </Field>

      {!editing && (
        <Field id="token-kind" label="Kind" group errors={errors.kind}>
          <div class="choices">
            <label class="choice">
              <input
                type="radio"
                name="kind"
                value="secret"
                checked={s.kind === "secret"}
                onChange={() => set("kind", "secret")}
              />
              <span>
                <strong>Secret</strong>
                <small>for servers; never expose it</small>
              </span>
            </label>
            <label class="choice">
              <input
                type="radio"
                name="kind"
                value="publishable"
                checked={s.kind === "publishable"}
                onChange={() => set("kind", "publishable")}
              />
              <span>
                <strong>Publishable</strong>
                <small>may be seen in browsers and apps; read permissions only</small>
              </span>
            </label>
          </div>
        </Field>
      )}

      <Field id="token-type" label="Token type" group errors={errors.type}>
        <div class="choices">
          {TYPES.map((t) => (
            <label class="choice" key={t.value}>
              <input
                type="radio"
                name="type"
                value={t.value}
                checked={s.type === t.value}
                onChange={() => set("type", t.value)}
              />
              <span>
                <strong>{t.label}</strong>
                <small>{t.hint}</small>
              </span>
            </label>
          ))}
        </div>
      </Field>

      {s.type === "custom" && (
        <Field
          id="token-permissions"
          label="Permissions"
          group
          errors={errors.permissions}
          hint={
            resources.length === 0 ? "No resources are registered yet (or you may not read them)." : undefined
          }
        >
          <PermissionGrid
            id="token-permissions"
            resources={resources}
            value={s.permissions}
            held={held}
            describedBy={errors.permissions?.length ? "token-permissions-error" : undefined}
            onChange={(p) => set("permissions", p)}
          />
        </Field>
      )}

      <AdvancedFields token={token} s={s} set={set} errors={errors} />

      <footer class="dialog-actions">
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Saving…" : submitLabel}
        </button>
      </footer>
    </form>
  );
}

export type { FormState as TokenFormState };
