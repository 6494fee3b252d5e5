import type { ComponentChildren } from "preact";
import { ProblemError } from "./api-client.js";

/** Field errors from a problem+json, by the top-level field they name ("permissions[1]" → "permissions"). */
export type FieldErrors = Record<string, string[]>;

export function fieldErrorsOf(err: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (!(err instanceof ProblemError)) return out;
  for (const e of err.problem.errors ?? []) {
    const key = e.field.split(/[.[]/)[0] ?? e.field;
    const index = e.field.slice(key.length);
    (out[key] ??= []).push(index ? `${index.replace(/^\./, "")}: ${e.message}` : e.message);
  }
  return out;
}

interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  errors?: string[] | undefined;
  children: ComponentChildren;
  /** For groups (radios, the grid): labelled by a legend instead of a <label for>. */
  group?: boolean;
}

/** A labelled control, its hint, and the API's errors for it right below. */
export function Field({ id, label, hint, errors, children, group }: FieldProps) {
  const body = (
    <>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children}
      {errors && errors.length > 0 && (
        <p class="field-error" id={`${id}-error`} role="alert">
          {errors.join("; ")}
        </p>
      )}
    </>
  );
  if (group) {
    return (
      <fieldset class={errors?.length ? "field invalid" : "field"} id={id}>
        <legend>{label}</legend>
        {body}
      </fieldset>
    );
  }
  return (
    <div class={errors?.length ? "field invalid" : "field"}>
      <label for={id}>{label}</label>
      {body}
    </div>
  );
}

/** aria attributes tying a control to its hint and error. */
export function describedBy(id: string, errors: string[] | undefined, hint = false) {
  const ids = [hint ? `${id}-hint` : "", errors?.length ? `${id}-error` : ""].filter(Boolean).join(" ");
  return {
    id,
    "aria-invalid": errors?.length ? ("true" as const) : undefined,
    "aria-describedby": ids || undefined,
  };
}

/** The problem's title and detail, for errors no field explains. */
export function ProblemBanner({ error, detail }: { error: unknown; detail?: string | undefined }) {
  if (!error) return null;
  const p = error instanceof ProblemError ? error.problem : undefined;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- an Error shows as "Name: message"
  const text = detail ?? (p ? p.detail : String(error));
  return (
    <div class="banner error" role="alert">
      <strong>{p ? p.title : "Something went wrong"}</strong>
      {text && <span> — {text}</span>}
    </div>
  );
}

/** Lines or commas → a list, blanks dropped. */
export const listOf = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
