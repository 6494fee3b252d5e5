import { badRequest } from "./api-error.js";
import { childPath, forbidden, indexPath, invalid, required, type FieldError } from "./field-errors.js";
import { isObject, type Json, type JsonObject } from "./json.js";

const DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE = `(${QUALIFIED_NAME})?`;

const full = (re: string): RegExp => new RegExp(`^(?:${re})$`);

/** Messages from k8s.io/apimachinery/pkg/util/validation, returned as detail strings. */
export function dnsSubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push("must be no more than 253 characters");
  if (!full(DNS1123_SUBDOMAIN).test(value)) {
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errs;
}

/** IsDNS1035Label: an RFC 1035 label (names of CRD resources, kinds, versions). */
export function dns1035LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push("must be no more than 63 characters");
  if (!/^[a-z](?:[-a-z0-9]*[a-z0-9])?$/.test(value)) {
    errs.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return errs;
}

export function dnsLabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push("must be no more than 63 characters");
  if (!full(DNS1123_LABEL).test(value)) {
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return errs;
}

export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split("/");
  let name = value;
  const errs: string[] = [];
  if (parts.length === 2) {
    const prefix = parts[0] ?? "";
    name = parts[1] ?? "";
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else errs.push(...dnsSubdomainErrors(prefix).map((e) => `prefix part ${e}`));
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > 63) errs.push("name part must be no more than 63 characters");
  if (name.length > 0 && !full(QUALIFIED_NAME).test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  }
  return errs;
}

export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push("must be no more than 63 characters");
  if (!full(LABEL_VALUE).test(value)) {
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  }
  return errs;
}

const STRING_FIELDS = [
  "name",
  "generateName",
  "namespace",
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "deletionTimestamp",
  "selfLink",
];

/**
 * Type checks the real server's JSON decoder makes on ObjectMeta; failures are 400s there, not
 * 422s, because the body cannot be decoded at all.
 */
export function checkMetadataTypes(obj: JsonObject): void {
  const meta = obj.metadata;
  if (meta === undefined || meta === null) return;
  const fail = (field: string, want: string): never => {
    throw badRequest(`json: cannot unmarshal metadata.${field}: expected ${want}`);
  };
  if (!isObject(meta)) throw badRequest("json: cannot unmarshal metadata: expected an object");
  for (const f of STRING_FIELDS)
    if (meta[f] !== undefined && meta[f] !== null && typeof meta[f] !== "string") fail(f, "a string");
  for (const f of ["generation", "deletionGracePeriodSeconds"]) {
    if (meta[f] !== undefined && meta[f] !== null && !Number.isInteger(meta[f])) fail(f, "an integer");
  }
  for (const f of ["labels", "annotations"]) {
    const v = meta[f];
    if (v === undefined || v === null) continue;
    if (!isObject(v) || Object.values(v).some((x) => typeof x !== "string")) fail(f, "a map of strings");
  }
  const fin = meta.finalizers;
  if (fin !== undefined && fin !== null && (!Array.isArray(fin) || fin.some((x) => typeof x !== "string"))) {
    fail("finalizers", "a list of strings");
  }
  for (const f of ["ownerReferences", "managedFields"]) {
    const v = meta[f];
    if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((x) => !isObject(x))))
      fail(f, "a list of objects");
  }
}

function str(value: Json | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** ValidateObjectMeta: name, namespace, labels, annotations, finalizers, ownerReferences. */
export function validateObjectMeta(
  obj: JsonObject,
  opts: { namespaced: boolean; nameRule: "subdomain" | "label" },
): FieldError[] {
  const errs: FieldError[] = [];
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const name = str(meta.name) ?? "";
  if (!name) {
    errs.push(required("metadata.name", "name or generateName is required"));
  } else {
    const nameErrs = opts.nameRule === "label" ? dnsLabelErrors(name) : dnsSubdomainErrors(name);
    for (const e of nameErrs) errs.push(invalid("metadata.name", name, e));
  }
  const namespace = str(meta.namespace) ?? "";
  if (opts.namespaced) {
    if (!namespace) errs.push(required("metadata.namespace"));
    else for (const e of dnsLabelErrors(namespace)) errs.push(invalid("metadata.namespace", namespace, e));
  } else if (namespace) {
    errs.push(forbidden("metadata.namespace", "not allowed on this type"));
  }
  errs.push(...validateLabels(meta.labels, "metadata.labels"));
  const annotations = isObject(meta.annotations) ? meta.annotations : {};
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const e of qualifiedNameErrors(key.toLowerCase()))
      errs.push(invalid("metadata.annotations", key, e));
    annotationBytes += key.length + (typeof value === "string" ? Buffer.byteLength(value) : 0);
  }
  if (annotationBytes > 262144) {
    errs.push({
      type: "FieldValueTooLong",
      field: "metadata.annotations",
      detail: "must have at most 262144 bytes",
    });
  }
  const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
  finalizers.forEach((f, i) => {
    if (typeof f !== "string") return;
    for (const e of qualifiedNameErrors(f)) errs.push(invalid(indexPath("metadata.finalizers", i), f, e));
  });
  errs.push(...validateOwnerReferences(meta.ownerReferences));
  return errs;
}

export function validateLabels(labels: Json | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObject(labels)) return errs;
  for (const [key, value] of Object.entries(labels)) {
    for (const e of qualifiedNameErrors(key)) errs.push(invalid(path, key, e));
    if (typeof value === "string")
      for (const e of labelValueErrors(value)) errs.push(invalid(path, value, e));
  }
  return errs;
}

function validateOwnerReferences(refs: Json | undefined): FieldError[] {
  if (!Array.isArray(refs)) return [];
  const errs: FieldError[] = [];
  const controllers: string[] = [];
  refs.forEach((ref, i) => {
    if (!isObject(ref)) return;
    const path = indexPath("metadata.ownerReferences", i);
    for (const field of ["apiVersion", "kind", "name", "uid"]) {
      if (typeof ref[field] !== "string" || ref[field] === "") {
        const what = field === "apiVersion" ? "version" : field;
        errs.push(invalid(childPath(path, field), ref[field] ?? "", `${what} must not be empty`));
      }
    }
    if (ref.controller === true) controllers.push(`${String(ref.kind)}/${String(ref.name)}`);
  });
  if (controllers.length > 1) {
    errs.push(
      invalid(
        "metadata.ownerReferences",
        null,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(" and ")}`,
      ),
    );
  }
  return errs;
}

/** ValidateObjectMetaUpdate: what may not change after creation. */
export function validateObjectMetaUpdate(obj: JsonObject, old: JsonObject): FieldError[] {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const oldMeta = isObject(old.metadata) ? old.metadata : {};
  const errs: FieldError[] = [];
  for (const field of ["name", "namespace", "uid", "creationTimestamp"]) {
    if (meta[field] !== oldMeta[field]) {
      errs.push(invalid(`metadata.${field}`, meta[field] ?? null, "field is immutable"));
    }
  }
  return errs;
}
