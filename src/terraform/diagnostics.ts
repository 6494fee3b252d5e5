import { ApiError } from "../api/index.js";

/** A step into a value: an attribute name, or an element index of a list. */
export type PathStep = string | number;

export interface Diagnostic {
  severity: "ERROR" | "WARNING";
  summary: string;
  detail: string;
  /** The attribute the problem is about: Terraform points at it in the configuration. */
  attribute?: readonly PathStep[];
}

export const errorAt = (
  attribute: readonly PathStep[] | undefined,
  summary: string,
  detail = "",
): Diagnostic => ({
  severity: "ERROR",
  summary,
  detail,
  ...(attribute ? { attribute } : {}),
});

/** Thrown inside a handler to answer with these diagnostics instead of a result. */
export class DiagnosticsError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.summary).join("; "));
  }
}

export interface ProtoDiagnostic {
  severity: "ERROR" | "WARNING";
  summary: string;
  detail: string;
  attribute: { steps: ({ attribute_name: string } | { element_key_int: number })[] } | null;
}

export function protoDiagnostic(d: Diagnostic): ProtoDiagnostic {
  return {
    severity: d.severity,
    summary: d.summary,
    detail: d.detail,
    attribute: d.attribute
      ? {
          steps: d.attribute.map((s) =>
            typeof s === "number" ? { element_key_int: s } : { attribute_name: s },
          ),
        }
      : null,
  };
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The attribute path of an API field such as `permissions[1]` or `credits.refill.amount`.
 * `sets` names attributes that are sets: Terraform addresses their elements by value, not
 * index, so the path stops at the set.
 */
export function fieldPath(field: string, sets: ReadonlySet<string> = new Set()): PathStep[] {
  const steps: PathStep[] = [];
  for (const part of field.split(/\.|(?=\[)/)) {
    const index = /^\[(\d+)\]$/.exec(part);
    if (index) {
      if (sets.has(String(steps.at(-1)))) break;
      steps.push(Number(index[1]));
    } else if (part !== "") steps.push(snake(part));
  }
  return steps;
}

/**
 * A refusal from the server as diagnostics, each naming the attribute it is about. `where`
 * says what was being done ("creating the access token").
 */
export function apiDiagnostics(err: unknown, where: string, sets?: ReadonlySet<string>): Diagnostic[] {
  if (!(err instanceof ApiError)) {
    return [errorAt(undefined, `Error ${where}`, err instanceof Error ? err.message : String(err))];
  }
  const summary = `Error ${where}: the server answered ${err.status} ${err.problem.title}`;
  const fields = err.problem.errors ?? [];
  if (fields.length === 0) return [errorAt(undefined, summary, err.problem.detail ?? "")];
  return fields.map((f) => errorAt(fieldPath(f.field, sets), summary, `${f.field}: ${f.message}`));
}
