import { Field } from "./fields.js";
import type { FieldGroupProps, Interval } from "./token-form-state.js";

/** Credits: how many uses are left, and an optional periodic refill. */
export function CreditsFields({ s, set, errors }: FieldGroupProps) {
  return (
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
  );
}

/** Rate limit: requests per time window. */
export function RateLimitFields({ s, set, errors }: FieldGroupProps) {
  return (
    <Field id="token-rate" label="Rate limit" group errors={errors.rateLimit}>
      <label class="inline">
        <input type="checkbox" checked={s.rateOn} onChange={(e) => set("rateOn", e.currentTarget.checked)} />
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
  );
}
