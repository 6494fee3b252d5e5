import { useState } from "preact/hooks";
import { describedBy, Field } from "./fields.js";
import { detached } from "./detached.js";

/** Paste a token: the admin token or any user's secret token. */
export function SignIn({ onSignIn }: { onSignIn: (token: string) => Promise<void> }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const errors =
    error === undefined ? undefined : [error instanceof Error ? error.message : "could not sign in"];
  return (
    <main class="sign-in" id="main">
      <form
        class="card"
        noValidate
        onSubmit={detached(async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            await onSignIn(token.trim());
          } catch (err) {
            setError(err);
            setBusy(false);
          }
        })}
      >
        <div class="brand large">
          <span class="logo" aria-hidden="true">
            t
          </span>
          tokenplane
        </div>
        <h1>Sign in to the console</h1>
        <p class="hint">
          Paste the admin token or one of your secret tokens. It is kept in this tab only (session storage)
          and sent only to this server, in the Authorization header.
        </p>
        <Field id="sign-in-token" label="Token" errors={errors}>
          <input
            {...describedBy("sign-in-token", errors)}
            type="password"
            autoComplete="off"
            spellcheck={false}
            required
            autoFocus
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="primary wide" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
