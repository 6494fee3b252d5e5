import { useRef, useState } from "preact/hooks";
import type { IssuedAccessToken } from "../api/index.js";

/**
 * The plain token (and private key) exactly once. It lives only in this component's props:
 * closing the dialog, navigating or reloading drops it, and nothing stores it.
 */
export function PlainToken({
  issued,
  note,
  onDone,
}: {
  issued: IssuedAccessToken;
  /** What happened to the previous secret, after a regeneration. */
  note?: string | undefined;
  onDone: () => void;
}) {
  return (
    <div class="plain-token">
      <div class="banner warning" role="status">
        <strong>Copy this token now.</strong> You will not see it again: tokenplane keeps only a keyed hash of
        it.
      </div>
      {note && <p class="note">{note}</p>}
      <Secret label="Token" id="plain-token" value={issued.token} />
      {issued.privateKey && (
        <Secret
          label="Private key (Ed25519, for signing requests)"
          id="plain-private-key"
          value={issued.privateKey}
          multiline
        />
      )}
      <dl class="facts">
        <dt>Name</dt>
        <dd>{issued.name}</dd>
        <dt>Permissions</dt>
        <dd>
          {issued.permissions.map((p) => (
            <code key={p}>{p}</code>
          ))}
        </dd>
      </dl>
      <footer class="dialog-actions">
        <button type="button" class="primary" onClick={onDone}>
          I have copied it
        </button>
      </footer>
    </div>
  );
}

function Secret({
  label,
  id,
  value,
  multiline,
}: {
  label: string;
  id: string;
  value: string;
  multiline?: boolean;
}) {
  const [copied, setCopied] = useState(false);
  const field = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // No clipboard permission: select it so Ctrl+C works.
      field.current?.select();
      document.execCommand("copy");
    }
    setCopied(true);
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <div class="secret">
        {multiline ? (
          <textarea ref={field} id={id} readOnly rows={4} value={value} spellcheck={false} />
        ) : (
          <input
            ref={field}
            id={id}
            readOnly
            value={value}
            spellcheck={false}
            autoComplete="off"
            onFocus={(e) => e.currentTarget.select()}
          />
        )}
        <button type="button" class="secondary" onClick={() => void copy()}>
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <p class="visually-hidden" aria-live="polite">
        {copied ? `${label} copied to the clipboard` : ""}
      </p>
    </div>
  );
}
