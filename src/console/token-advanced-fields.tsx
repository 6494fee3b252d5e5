import type { AccessToken } from "../api/index.js";
import { describedBy, Field } from "./fields.js";
import type { FieldGroupProps } from "./token-form-state.js";
import { CreditsFields, RateLimitFields } from "./token-limit-fields.js";

/** "More settings": where a token may be used from, its limits and metadata; open when a token has any. */
export function AdvancedFields({
  token,
  s,
  set,
  errors,
}: FieldGroupProps & { token?: AccessToken | undefined }) {
  const editing = token !== undefined;
  return (
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
        <CreditsFields s={s} set={set} errors={errors} />
        <RateLimitFields s={s} set={set} errors={errors} />
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
