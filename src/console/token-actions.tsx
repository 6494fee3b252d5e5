import { useState } from "preact/hooks";
import type { AccessToken, RegenerateAccessTokenBody } from "../api/index.js";
import { describedBy, Field, fieldErrorsOf, type FieldErrors, ProblemBanner } from "./fields.js";
import { detached } from "./detached.js";

const GRACE: { value: string; label: string }[] = [
  { value: "", label: "None: the current token stops working at once" },
  { value: "1h", label: "1 hour" },
  { value: "24h", label: "24 hours" },
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
  { value: "custom", label: "Custom…" },
];

/** Confirm a regeneration, with an optional grace period for the current secret. */
export function RegenerateForm({
  token,
  onSubmit,
  onCancel,
}: {
  token: AccessToken;
  onSubmit: (body: RegenerateAccessTokenBody) => Promise<void>;
  onCancel: () => void;
}) {
  const [grace, setGrace] = useState("");
  const [custom, setCustom] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const gracePeriod = grace === "custom" ? custom.trim() : grace;
  return (
    <form
      noValidate
      onSubmit={detached(async (e) => {
        e.preventDefault();
        setBusy(true);
        setFailure(undefined);
        setErrors({});
        try {
          await onSubmit(gracePeriod ? { gracePeriod } : {});
        } catch (err) {
          setErrors(fieldErrorsOf(err));
          setFailure(err);
          setBusy(false);
        }
      })}
    >
      <p>
        <strong>{token.name}</strong> gets a new secret; its id, permissions and settings stay. Services must
        switch to the new token.
      </p>
      {failure !== undefined && !errors.gracePeriod && <ProblemBanner error={failure} />}
      <Field id="grace-period" label="Grace period for the current token" errors={errors.gracePeriod}>
        <select
          {...describedBy("grace-period", errors.gracePeriod)}
          value={grace}
          onChange={(e) => setGrace(e.currentTarget.value)}
        >
          {GRACE.map((g) => (
            <option key={g.value} value={g.value}>
              {g.label}
            </option>
          ))}
        </select>
        {grace === "custom" && (
          <input
            class="stacked"
            aria-label="Custom grace period"
            placeholder="e.g. 2h or 3d (at most 30d)"
            value={custom}
            onInput={(e) => setCustom(e.currentTarget.value)}
          />
        )}
      </Field>
      <footer class="dialog-actions">
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Regenerating…" : "Regenerate"}
        </button>
      </footer>
    </form>
  );
}

/** Confirm a revocation: it takes effect at once, everywhere. */
export function RevokeConfirm({
  token,
  onConfirm,
  onCancel,
}: {
  token: AccessToken;
  onConfirm: () => Promise<void>;
  onCancel: () => void;
}) {
  const [failure, setFailure] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <div>
      <p>
        Revoke <strong>{token.name}</strong> (<code>{token.displayPrefix}…</code>)? Every service using it is
        refused from now on. This cannot be undone.
      </p>
      <ProblemBanner error={failure} />
      <footer class="dialog-actions">
        <button type="button" class="secondary" onClick={onCancel} autoFocus>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={detached(async () => {
            setBusy(true);
            setFailure(undefined);
            try {
              await onConfirm();
            } catch (err) {
              setFailure(err);
              setBusy(false);
            }
          })}
        >
          {busy ? "Revoking…" : "Revoke token"}
        </button>
      </footer>
    </div>
  );
}
