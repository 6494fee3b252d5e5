import { useState } from "preact/hooks";
import type { AccessToken, CreateAccessTokenBody, Resource, UpdateAccessTokenBody } from "../api/index.js";
import type { TokenKind, TokenType } from "../core/index.js";
import { describedBy, Field, type FieldErrors, fieldErrorsOf, listOf, ProblemBanner } from "./fields.js";
import { dateTime } from "./format.js";
import { PermissionGrid } from "./permission-grid.js";
import { ProblemError } from "./api-client.js";
import { detached } from "./detached.js";

type JsonValue = AccessToken["metadata"][string];

type Expiry = "keep" | "7d" | "30d" | "90d" | "unlimited" | "date";
type Interval = "daily" | "weekly" | "monthly";

interface FormState {
  name: string;
  description: string;
  expiry: Expiry;
  expiryDate: string;
  type: TokenType;
  permissions: string[];
  kind: TokenKind;
  signedRequests: boolean;
  allowedDomains: string;
  allowedIps: string;
  creditsOn: boolean;
  creditsRemaining: string;
  refillOn: boolean;
  refillAmount: string;
  refillInterval: Interval;
  rateOn: boolean;
  rateLimit: string;
  rateWindow: string;
  metadata: string;
}

function initialState(token?: AccessToken): FormState {
  return {
    name: token?.name ?? "",
    description: token?.description ?? "",
    expiry: token ? "keep" : "30d",
    expiryDate: "",
    type: token?.type ?? "read-only",
    permissions: token?.type === "custom" ? [...token.permissions] : [],
    kind: token?.kind ?? "secret",
    signedRequests: token?.signedRequests ?? false,
    allowedDomains: token?.allowedDomains.join("\n") ?? "",
    allowedIps: token?.allowedIps.join("\n") ?? "",
    creditsOn: Boolean(token?.credits),
    creditsRemaining: String(token?.credits?.remaining ?? 1000),
    refillOn: Boolean(token?.credits?.refill),
    refillAmount: String(token?.credits?.refill?.amount ?? 1000),
    refillInterval: token?.credits?.refill?.interval ?? "monthly",
    rateOn: Boolean(token?.rateLimit),
    rateLimit: String(token?.rateLimit?.limit ?? 100),
    rateWindow: token?.rateLimit?.window ?? "1m",
    metadata: token && Object.keys(token.metadata).length > 0 ? JSON.stringify(token.metadata, null, 2) : "",
  };
}

/** Blank stays blank (the API names the missing field); anything else becomes a number. */
const numberOf = (text: string): number => (text.trim() === "" ? Number.NaN : Number(text));

function limitsOf(s: FormState) {
  return {
    credits: s.creditsOn
      ? {
          remaining: numberOf(s.creditsRemaining),
          ...(s.refillOn ? { refill: { amount: numberOf(s.refillAmount), interval: s.refillInterval } } : {}),
        }
      : null,
    rateLimit: s.rateOn ? { limit: numberOf(s.rateLimit), window: s.rateWindow.trim() } : null,
  };
}

/** The metadata text as an object; blank is `{}`. Not JSON is refused here, as the API would. */
function metadataOf(s: FormState): Record<string, JsonValue> {
  if (s.metadata.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(s.metadata);
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProblemError({
      type: "about:blank",
      title: "Invalid request",
      status: 422,
      errors: [{ field: "metadata", message: 'must be a JSON object, such as {"team": "shop"}' }],
    });
  }
  return value as Record<string, JsonValue>;
}

/** "date" → the end of that day, local time; else the named duration. */
function expiryOf(s: FormState): { duration?: string; expiresAt?: string } {
  if (s.expiry === "keep") return {};
  if (s.expiry !== "date") return { duration: s.expiry };
  const end = new Date(`${s.expiryDate}T23:59:59`);
  return Number.isNaN(end.getTime()) ? { expiresAt: s.expiryDate } : { expiresAt: end.toISOString() };
}

export function createBody(s: FormState): CreateAccessTokenBody {
  const { credits, rateLimit } = limitsOf(s);
  return {
    name: s.name,
    description: s.description,
    kind: s.kind,
    type: s.type,
    ...(s.type === "custom" ? { permissions: s.permissions } : {}),
    ...expiryOf(s),
    allowedDomains: listOf(s.allowedDomains),
    allowedIps: listOf(s.allowedIps),
    ...(credits ? { credits } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(s.signedRequests ? { signedRequests: true } : {}),
    ...(s.metadata.trim() ? { metadata: metadataOf(s) } : {}),
  };
}

export function updateBody(s: FormState): UpdateAccessTokenBody {
  return {
    name: s.name,
    description: s.description,
    type: s.type,
    ...(s.type === "custom" ? { permissions: s.permissions } : {}),
    ...expiryOf(s),
    allowedDomains: listOf(s.allowedDomains),
    allowedIps: listOf(s.allowedIps),
    ...limitsOf(s),
    metadata: metadataOf(s),
  };
}

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
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) =>
    setState((p) => ({ ...p, [key]: value }));
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

      <details class="advanced" open={editing && hasRestrictions(token)}>
        <summary>More settings: allowed domains and IPs, credits, rate limit, metadata</summary>
        <div class="form-columns">
          <Field
            id="token-domains"
            label="Allowed domains"
            hint="One per line, e.g. shop.example.com or *.example.com. Empty: any."
            errors={errors.allowedDomains}
          >
            <textarea
              {...describedBy("token-domains", errors.allowedDomains, true)}
              rows={3}
              value={s.allowedDomains}
              onInput={(e) => set("allowedDomains", e.currentTarget.value)}
            />
          </Field>
          <Field
            id="token-ips"
            label="Allowed IP ranges"
            hint="One per line, e.g. 10.0.0.0/8 or 2001:db8::/32. Empty: any."
            errors={errors.allowedIps}
          >
            <textarea
              {...describedBy("token-ips", errors.allowedIps, true)}
              rows={3}
              value={s.allowedIps}
              onInput={(e) => set("allowedIps", e.currentTarget.value)}
            />
          </Field>
        </div>
        <div class="form-columns">
          <Field id="token-credits" label="Credits" group errors={errors.credits}>
            <label class="inline">
              <input
                type="checkbox"
                checked={s.creditsOn}
                onChange={(e) => set("creditsOn", e.currentTarget.checked)}
              />
              Limit the number of uses
            </label>
            {s.creditsOn && (
              <div class="row">
                <label>
                  Remaining
                  <input
                    type="number"
                    min={0}
                    aria-label="Credits remaining"
                    value={s.creditsRemaining}
                    onInput={(e) => set("creditsRemaining", e.currentTarget.value)}
                  />
                </label>
                <label class="inline">
                  <input
                    type="checkbox"
                    checked={s.refillOn}
                    onChange={(e) => set("refillOn", e.currentTarget.checked)}
                  />
                  Refill
                </label>
                {s.refillOn && (
                  <>
                    <label>
                      to
                      <input
                        type="number"
                        min={1}
                        aria-label="Refill amount"
                        value={s.refillAmount}
                        onInput={(e) => set("refillAmount", e.currentTarget.value)}
                      />
                    </label>
                    <label>
                      every
                      <select
                        aria-label="Refill interval"
                        value={s.refillInterval}
                        onChange={(e) => set("refillInterval", e.currentTarget.value as Interval)}
                      >
                        <option value="daily">day</option>
                        <option value="weekly">week</option>
                        <option value="monthly">month</option>
                      </select>
                    </label>
                  </>
                )}
              </div>
            )}
          </Field>
          <Field id="token-rate" label="Rate limit" group errors={errors.rateLimit}>
            <label class="inline">
              <input
                type="checkbox"
                checked={s.rateOn}
                onChange={(e) => set("rateOn", e.currentTarget.checked)}
              />
              Limit requests per time window
            </label>
            {s.rateOn && (
              <div class="row">
                <label>
                  Requests
                  <input
                    type="number"
                    min={1}
                    aria-label="Requests per window"
                    value={s.rateLimit}
                    onInput={(e) => set("rateLimit", e.currentTarget.value)}
                  />
                </label>
                <label>
                  per
                  <input
                    aria-label="Rate limit window"
                    value={s.rateWindow}
                    size={6}
                    onInput={(e) => set("rateWindow", e.currentTarget.value)}
                  />
                </label>
              </div>
            )}
          </Field>
        </div>
        <Field
          id="token-metadata"
          label="Metadata"
          hint="A JSON object returned by the verify API with every valid check (at most 8 KiB)."
          errors={errors.metadata}
        >
          <textarea
            {...describedBy("token-metadata", errors.metadata, true)}
            class="mono"
            rows={3}
            placeholder='{"team": "shop"}'
            spellcheck={false}
            value={s.metadata}
            onInput={(e) => set("metadata", e.currentTarget.value)}
          />
        </Field>
        {!editing && (
          <Field id="token-signed" label="Signed requests" group errors={errors.signedRequests}>
            <label class="inline">
              <input
                type="checkbox"
                checked={s.signedRequests}
                onChange={(e) => set("signedRequests", e.currentTarget.checked)}
              />
              Require requests signed with an Ed25519 key (the private key is shown once, with the token)
            </label>
          </Field>
        )}
      </details>

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

function hasRestrictions(t: AccessToken): boolean {
  return (
    t.allowedDomains.length > 0 ||
    t.allowedIps.length > 0 ||
    t.credits !== null ||
    t.rateLimit !== null ||
    Object.keys(t.metadata).length > 0
  );
}

export type { FormState as TokenFormState };
