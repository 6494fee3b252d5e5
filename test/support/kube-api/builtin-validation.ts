import { badRequest } from "./api-error.js";
import {
  childPath,
  forbidden,
  indexPath,
  invalid,
  keyPath,
  required,
  type FieldError,
} from "./field-errors.js";
import { deepEqual, isObject, type Json, type JsonObject } from "./json.js";
import { checkMicroTime } from "./micro-time.js";
import { matchesLabels, type LabelRequirement } from "./label-selector.js";

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function configKeyErrors(path: string, key: string): FieldError[] {
  const errs: FieldError[] = [];
  if (key.length > 253) errs.push(invalid(keyPath(path, key), key, "must be no more than 253 characters"));
  if (!CONFIG_KEY.test(key)) {
    errs.push(
      invalid(
        keyPath(path, key),
        key,
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ),
    );
  } else if (key === "." || key === ".." || key.startsWith("..")) {
    errs.push(invalid(keyPath(path, key), key, "must not start with '..'"));
  }
  return errs;
}

/** []byte fields decode from base64 strings; anything else fails JSON decoding (a 400). */
function checkBytesMap(obj: JsonObject, field: string): void {
  const value = obj[field];
  if (value === undefined || value === null) return;
  if (!isObject(value))
    throw badRequest(`json: cannot unmarshal ${field}: expected an object of base64 strings`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string" || !BASE64.test(v)) {
      throw badRequest(`json: cannot unmarshal ${field}[${key}]: illegal base64 data`);
    }
  }
}

/** Secrets: `stringData` is write-only and merged into `data`; the type defaults to Opaque. */
export function prepareSecret(obj: JsonObject): JsonObject {
  checkBytesMap(obj, "data");
  const out: JsonObject = { ...obj };
  const stringData = obj.stringData;
  if (stringData !== undefined && stringData !== null) {
    if (!isObject(stringData) || Object.values(stringData).some((v) => typeof v !== "string")) {
      throw badRequest("json: cannot unmarshal stringData: expected a map of strings");
    }
    const data: JsonObject = isObject(obj.data) ? { ...obj.data } : {};
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v)).toString("base64");
    out.data = data;
  }
  delete out.stringData;
  if (out.type === undefined || out.type === null || out.type === "") out.type = "Opaque";
  if (typeof out.type !== "string") throw badRequest("json: cannot unmarshal type: expected a string");
  return out;
}

function immutableErrors(obj: JsonObject, old: JsonObject | undefined, fields: string[]): FieldError[] {
  if (!old) return [];
  const errs: FieldError[] = [];
  if (old.immutable === true) {
    for (const f of fields) {
      if (!deepEqual(obj[f] ?? null, old[f] ?? null))
        errs.push(forbidden(f, "field is immutable when `immutable` is set"));
    }
    if (obj.immutable !== true)
      errs.push(forbidden("immutable", "field is immutable when `immutable` is set"));
  }
  return errs;
}

function dataSize(obj: JsonObject, fields: string[]): number {
  let total = 0;
  for (const f of fields) {
    const m = obj[f];
    if (!isObject(m)) continue;
    for (const [k, v] of Object.entries(m)) total += k.length + (typeof v === "string" ? v.length : 0);
  }
  return total;
}

export function validateSecret(obj: JsonObject, old: JsonObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const data = isObject(obj.data) ? obj.data : {};
  for (const key of Object.keys(data)) errs.push(...configKeyErrors("data", key));
  if (dataSize(obj, ["data"]) > 1024 * 1024) {
    errs.push({ type: "FieldValueTooLong", field: "data", detail: "must have at most 1048576 bytes" });
  }
  if (obj.type === "kubernetes.io/tls") {
    for (const key of ["tls.crt", "tls.key"])
      if (!Object.hasOwn(data, key)) errs.push(required(keyPath("data", key)));
  }
  if (obj.type === "kubernetes.io/dockerconfigjson" && !Object.hasOwn(data, ".dockerconfigjson")) {
    errs.push(required(keyPath("data", ".dockerconfigjson")));
  }
  if (old && old.type !== obj.type) errs.push(invalid("type", obj.type ?? null, "field is immutable"));
  errs.push(...immutableErrors(obj, old, ["data"]));
  return errs;
}

export function validateConfigMap(obj: JsonObject, old: JsonObject | undefined): FieldError[] {
  checkBytesMap(obj, "binaryData");
  const errs: FieldError[] = [];
  const data = obj.data;
  if (data !== undefined && data !== null) {
    if (!isObject(data) || Object.values(data).some((v) => typeof v !== "string")) {
      throw badRequest("json: cannot unmarshal data: expected a map of strings");
    }
  }
  const binary = isObject(obj.binaryData) ? obj.binaryData : {};
  for (const key of Object.keys(isObject(data) ? data : {})) {
    errs.push(...configKeyErrors("data", key));
    if (Object.hasOwn(binary, key))
      errs.push(invalid(keyPath("data", key), key, "duplicate of key present in binaryData"));
  }
  for (const key of Object.keys(binary)) errs.push(...configKeyErrors("binaryData", key));
  if (dataSize(obj, ["data", "binaryData"]) > 1024 * 1024) {
    errs.push({ type: "FieldValueTooLong", field: "", detail: "must have at most 1048576 bytes" });
  }
  errs.push(...immutableErrors(obj, old, ["data", "binaryData"]));
  return errs;
}

export function validateLease(obj: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isObject(obj.spec) ? obj.spec : {};
  checkMicroTime(spec.acquireTime, "Lease", "coordination.k8s.io/v1");
  checkMicroTime(spec.renewTime, "Lease", "coordination.k8s.io/v1");
  const duration = spec.leaseDurationSeconds;
  if (duration !== undefined && duration !== null && (typeof duration !== "number" || duration <= 0)) {
    errs.push(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"));
  }
  const transitions = spec.leaseTransitions;
  if (
    transitions !== undefined &&
    transitions !== null &&
    (typeof transitions !== "number" || transitions < 0)
  ) {
    errs.push(invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"));
  }
  return errs;
}

function selectorRequirements(selector: JsonObject): LabelRequirement[] | undefined {
  const reqs: LabelRequirement[] = [];
  if (isObject(selector.matchLabels)) {
    for (const [key, value] of Object.entries(selector.matchLabels)) {
      reqs.push({ key, operator: "=", values: [String(value)] });
    }
  }
  if (Array.isArray(selector.matchExpressions)) {
    for (const expr of selector.matchExpressions) {
      if (!isObject(expr) || typeof expr.key !== "string") return undefined;
      const values = Array.isArray(expr.values) ? expr.values.map(String) : [];
      const op = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" }[String(expr.operator)];
      if (!op) return undefined;
      reqs.push({ key: expr.key, operator: op as LabelRequirement["operator"], values });
    }
  }
  return reqs;
}

/** Deployments, StatefulSets and DaemonSets: selector, template labels, containers. */
export function validateWorkload(obj: JsonObject, old: JsonObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isObject(obj.spec) ? obj.spec : undefined;
  if (!spec) return [required("spec")];
  const selector = isObject(spec.selector) ? spec.selector : undefined;
  const template = isObject(spec.template) ? spec.template : {};
  const templateMeta = isObject(template.metadata) ? template.metadata : {};
  const labels: Record<string, string> = {};
  if (isObject(templateMeta.labels)) {
    for (const [k, v] of Object.entries(templateMeta.labels)) if (typeof v === "string") labels[k] = v;
  }
  if (!selector) {
    errs.push(required("spec.selector"));
  } else {
    const reqs = selectorRequirements(selector);
    if (!reqs || reqs.length === 0) {
      errs.push(invalid("spec.selector", selector, "empty selector is invalid for deployment"));
    } else if (!matchesLabels(reqs, labels)) {
      errs.push(
        invalid(
          "spec.template.metadata.labels",
          templateMeta.labels ?? null,
          "`selector` does not match template `labels`",
        ),
      );
    }
  }
  const podSpec = isObject(template.spec) ? template.spec : {};
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers : [];
  if (containers.length === 0) errs.push(required("spec.template.spec.containers"));
  containers.forEach((c: Json, i) => {
    const path = indexPath("spec.template.spec.containers", i);
    if (!isObject(c) || typeof c.name !== "string" || c.name === "")
      errs.push(required(childPath(path, "name")));
    if (!isObject(c) || typeof c.image !== "string" || c.image === "")
      errs.push(required(childPath(path, "image")));
  });
  const replicas = spec.replicas;
  if (replicas !== undefined && replicas !== null && (typeof replicas !== "number" || replicas < 0)) {
    errs.push(invalid("spec.replicas", replicas, "must be greater than or equal to 0"));
  }
  if (old && isObject(old.spec) && !deepEqual(old.spec.selector ?? null, spec.selector ?? null)) {
    errs.push(invalid("spec.selector", spec.selector ?? null, `field is immutable`));
  }
  return errs;
}
