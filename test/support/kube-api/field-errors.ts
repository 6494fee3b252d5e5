import { isObject, type Json } from "./json.js";

/** k8s.io/apimachinery field.Error: one problem with one field of a request. */
export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueTypeInvalid"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueNotFound";

export interface FieldError {
  type: FieldErrorType;
  /** Dotted path with indexes, e.g. `spec.permissions[0]`; "<nil>" for object-level errors. */
  field: string;
  /** Omitted from the message for Required, Forbidden and TooLong, like the real server. */
  value?: Json;
  detail: string;
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueRequired: "Required value",
  FieldValueInvalid: "Invalid value",
  FieldValueTypeInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  FieldValueNotFound: "Not found",
};

export const childPath = (path: string, name: string): string => (path ? `${path}.${name}` : name);
export const indexPath = (path: string, i: number): string => `${path}[${i}]`;
export const keyPath = (path: string, key: string): string => `${path}[${key}]`;

export const required = (field: string, detail = ""): FieldError => ({
  type: "FieldValueRequired",
  field,
  detail,
});
export const forbidden = (field: string, detail: string): FieldError => ({
  type: "FieldValueForbidden",
  field,
  detail,
});
export const invalid = (field: string, value: Json, detail: string): FieldError => ({
  type: "FieldValueInvalid",
  field,
  value,
  detail,
});
export const typeInvalid = (field: string, value: Json, detail: string): FieldError => ({
  type: "FieldValueTypeInvalid",
  field,
  value,
  detail,
});
export const duplicate = (field: string, value: Json): FieldError => ({
  type: "FieldValueDuplicate",
  field,
  value,
  detail: "",
});
export const tooLong = (field: string, max: number): FieldError => ({
  type: "FieldValueTooLong",
  field,
  detail: `may not be more than ${max} bytes`,
});
export const tooMany = (field: string, actual: number, max: number): FieldError => ({
  type: "FieldValueTooMany",
  field,
  value: actual,
  detail: `must have at most ${max} items`,
});
export function notSupported(field: string, value: Json, supported: Json[]): FieldError {
  const list = supported
    .map((v) => (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)))
    .join(", ");
  return { type: "FieldValueNotSupported", field, value, detail: `supported values: ${list}` };
}

/** Go's %#v for the JSON values that reach messages. */
export function formatGoValue(value: Json | undefined): string {
  if (value === undefined || value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(formatGoValue).join(", ")}}`;
  if (isObject(value)) {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${formatGoValue(v)}`);
    return `map[string]interface {}{${entries.join(", ")}}`;
  }
  return String(value);
}

/** field.Error.ErrorBody(): the cause message, without the field. */
export function errorBody(err: FieldError): string {
  const omitValue =
    err.type === "FieldValueRequired" ||
    err.type === "FieldValueForbidden" ||
    err.type === "FieldValueTooLong" ||
    !("value" in err);
  let text = TYPE_TEXT[err.type];
  if (!omitValue) text += `: ${formatGoValue(err.value)}`;
  if (err.detail) text += `: ${err.detail}`;
  return text;
}

export function errorText(err: FieldError): string {
  return `${err.field}: ${errorBody(err)}`;
}

/** utilerrors.NewAggregate(...).Error(): one error plain, several in brackets. */
export function aggregateText(errors: FieldError[]): string {
  const texts = [...new Set(errors.map(errorText))];
  return texts.length === 1 ? (texts[0] ?? "") : `[${texts.join(", ")}]`;
}
