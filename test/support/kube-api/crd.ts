import { evaluateRules } from "./cel-rules.js";
import { celErrors } from "./crd-cel.js";
import { defaultErrors, openApiSchemaErrors } from "./crd-openapi-schema.js";
import { structuralErrors } from "./crd-structural.js";
import { childPath, indexPath, invalid, notSupported, required, type FieldError } from "./field-errors.js";
import { isObject, type Json, type JsonObject } from "./json.js";
import { dns1035LabelErrors, dnsSubdomainErrors } from "./metadata-validation.js";
import { nameOf } from "./object-meta.js";
import type { ResourceDef, Strategy } from "./resource.js";
import { asSchema, structureOf, type Schema } from "./schema.js";
import { applyDefaults } from "./schema-default.js";
import { prune } from "./schema-prune.js";
import { validateSchema } from "./schema-validate.js";

export const CRD_CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";

interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

const str = (v: Json | undefined): string => (typeof v === "string" ? v : "");
const strings = (v: Json | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

export function specOf(crd: JsonObject): JsonObject {
  return isObject(crd.spec) ? crd.spec : {};
}

export function namesOf(crd: JsonObject): CrdNames {
  const names = isObject(specOf(crd).names) ? (specOf(crd).names as JsonObject) : {};
  const kind = str(names.kind);
  return {
    plural: str(names.plural),
    singular: str(names.singular) || kind.toLowerCase(),
    kind,
    listKind: str(names.listKind) || `${kind}List`,
    shortNames: strings(names.shortNames),
    categories: strings(names.categories),
  };
}

function versionsOf(crd: JsonObject): JsonObject[] {
  const versions = specOf(crd).versions;
  return Array.isArray(versions) ? versions.filter(isObject) : [];
}

function schemaOf(version: JsonObject): Schema | undefined {
  const schema = isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
  return isObject(schema) ? asSchema(schema) : undefined;
}

/** CRD defaults the real server applies: singular, listKind, conversion strategy. */
export function defaultCrd(crd: JsonObject): JsonObject {
  const spec: JsonObject = { ...specOf(crd) };
  if (isObject(spec.names)) {
    const names = namesOf(crd);
    spec.names = { ...spec.names, singular: names.singular, listKind: names.listKind };
  }
  if (!isObject(spec.conversion)) spec.conversion = { strategy: "None" };
  return { ...crd, spec };
}

export function prepareCrdForCreate(crd: JsonObject): JsonObject {
  const storage = versionsOf(crd).find((v) => v.storage === true);
  const meta = isObject(crd.metadata) ? crd.metadata : {};
  const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
  return {
    ...defaultCrd(crd),
    metadata: {
      ...meta,
      finalizers: finalizers.includes(CRD_CLEANUP_FINALIZER)
        ? finalizers
        : [...finalizers, CRD_CLEANUP_FINALIZER],
    },
    status: {
      acceptedNames: { plural: "", kind: "" },
      conditions: [],
      storedVersions: storage ? [str(storage.name)] : [],
    },
  };
}

/** What the real CRD controllers write shortly after creation: names accepted, established. */
export function establishedStatus(crd: JsonObject, now: string): JsonObject {
  const names = namesOf(crd);
  const status = isObject(crd.status) ? crd.status : {};
  const condition = (type: string, reason: string, message: string): JsonObject => ({
    type,
    status: "True",
    lastTransitionTime: now,
    reason,
    message,
  });
  const acceptedNames: JsonObject = {
    plural: names.plural,
    singular: names.singular,
    kind: names.kind,
    listKind: names.listKind,
  };
  if (names.shortNames.length > 0) acceptedNames.shortNames = names.shortNames;
  if (names.categories.length > 0) acceptedNames.categories = names.categories;
  return {
    ...status,
    acceptedNames,
    conditions: [
      condition("NamesAccepted", "NoConflicts", "no conflicts found"),
      condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
    ],
  };
}

/** ValidateCustomResourceDefinitionNames: RFC 1035 labels (kinds in any case), kind ≠ listKind. */
function namesErrors(crd: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  const raw = isObject(specOf(crd).names) ? (specOf(crd).names as JsonObject) : {};
  const label = (field: string, value: string, lower = false): void => {
    const msgs = dns1035LabelErrors(lower ? value.toLowerCase() : value);
    if (value && msgs.length > 0) {
      const why = msgs.join(",");
      errs.push(
        invalid(
          `spec.names.${field}`,
          value,
          lower ? `may have mixed case, but should otherwise match: ${why}` : why,
        ),
      );
    }
  };
  label("plural", str(raw.plural));
  label("singular", str(raw.singular));
  label("kind", str(raw.kind), true);
  label("listKind", str(raw.listKind), true);
  strings(raw.shortNames).forEach((n, i) => label(`shortNames[${i}]`, n));
  if (str(raw.kind) && raw.kind === raw.listKind) {
    errs.push(invalid("spec.names.listKind", str(raw.listKind), "kind and listKind may not be the same"));
  }
  strings(raw.categories).forEach((n, i) => label(`categories[${i}]`, n));
  return errs;
}

const COLUMN_TYPES = ["boolean", "date", "integer", "number", "string"];
const COLUMN_FORMATS = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"];

/** ValidateCustomResourceColumnDefinition for each additionalPrinterColumns entry. */
function printerColumnErrors(version: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const columns = Array.isArray(version.additionalPrinterColumns) ? version.additionalPrinterColumns : [];
  columns.forEach((col, i) => {
    const p = `${path}.additionalPrinterColumns[${i}]`;
    const c = isObject(col) ? col : {};
    if (!str(c.name)) errs.push(required(`${p}.name`));
    const type = str(c.type);
    if (!type) errs.push(required(`${p}.type`, `must be one of ${COLUMN_TYPES.join(",")}`));
    else if (!COLUMN_TYPES.includes(type)) errs.push(notSupported(`${p}.type`, type, COLUMN_TYPES));
    const format = str(c.format);
    if (format && !COLUMN_FORMATS.includes(format))
      errs.push(notSupported(`${p}.format`, format, COLUMN_FORMATS));
    const jsonPath = str(c.jsonPath);
    if (!jsonPath) errs.push(required(`${p}.JSONPath`));
    else if (!jsonPath.startsWith(".")) {
      errs.push(invalid(`${p}.JSONPath`, jsonPath, "must be a simple json path starting with ."));
    }
  });
  return errs;
}

/**
 * validateCustomResourceDefinitionValidation: structural rules first (and defaults only for a
 * structural schema), then the keyword checks, then CEL, only when nothing else was wrong.
 */
function versionSchemaErrors(schema: Schema, path: string, statusSubresource: boolean): FieldError[] {
  const schemaPath = `${path}.openAPIV3Schema`;
  const structural = structuralErrors(schema, schemaPath);
  const defaults = structural.length === 0 ? defaultErrors(schema, schemaPath) : [];
  const keywords = openApiSchemaErrors(schema, path, statusSubresource);
  const errs = [...structural, ...defaults, ...keywords];
  return errs.length === 0 ? celErrors(schema, schemaPath) : errs;
}

export function validateCrd(crd: JsonObject, old: JsonObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const spec = specOf(crd);
  const group = str(spec.group);
  const names = namesOf(crd);
  if (!group) errs.push(required("spec.group"));
  else if (!group.includes("."))
    errs.push(invalid("spec.group", group, "should be a domain with at least one dot"));
  else for (const e of dnsSubdomainErrors(group)) errs.push(invalid("spec.group", group, e));
  if (!names.plural) errs.push(required("spec.names.plural"));
  if (!names.kind) errs.push(required("spec.names.kind"));
  errs.push(...namesErrors(crd));
  if (names.plural && group && nameOf(crd) !== `${names.plural}.${group}`) {
    errs.push(invalid("metadata.name", nameOf(crd), 'must be spec.names.plural+"."+spec.group'));
  }
  const scope = spec.scope;
  if (scope === undefined || scope === null || scope === "") errs.push(required("spec.scope"));
  else if (scope !== "Namespaced" && scope !== "Cluster")
    errs.push(notSupported("spec.scope", scope, ["Cluster", "Namespaced"]));
  const versions = versionsOf(crd);
  if (versions.length === 0)
    errs.push(required("spec.versions", "must have exactly one version marked as storage version"));
  if (versions.length > 0 && versions.filter((v) => v.storage === true).length !== 1) {
    errs.push(invalid("spec.versions", null, "must have exactly one version marked as storage version"));
  }
  versions.forEach((version, i) => {
    const path = indexPath("spec.versions", i);
    const name = str(version.name);
    if (!name) errs.push(required(childPath(path, "name")));
    else for (const e of dns1035LabelErrors(name)) errs.push(invalid(childPath(path, "name"), name, e));
    if (name && versions.slice(0, i).some((v) => v.name === name)) {
      errs.push(invalid("spec.versions", null, "must contain unique version names"));
    }
    errs.push(...printerColumnErrors(version, path));
    const schema = schemaOf(version);
    const schemaPath = `${path}.schema.openAPIV3Schema`;
    if (!schema) {
      errs.push(required(schemaPath, "schemas are required"));
      return;
    }
    const subresources = isObject(version.subresources) ? version.subresources : {};
    errs.push(...versionSchemaErrors(schema, `${path}.schema`, isObject(subresources.status)));
  });
  if (old) {
    const oldSpec = specOf(old);
    if (oldSpec.scope !== spec.scope)
      errs.push(invalid("spec.scope", spec.scope ?? null, "field is immutable"));
    if (oldSpec.group !== spec.group)
      errs.push(invalid("spec.group", spec.group ?? null, "field is immutable"));
  }
  return errs;
}

function selectableFields(version: JsonObject): Strategy["selectableFields"] {
  const out: Strategy["selectableFields"] = {};
  const fields = Array.isArray(version.selectableFields) ? version.selectableFields.filter(isObject) : [];
  for (const f of fields) {
    const jsonPath = str(f.jsonPath);
    if (!jsonPath.startsWith(".")) continue;
    const segments = jsonPath.slice(1).split(".");
    out[jsonPath.slice(1)] = (obj) => {
      let cur: Json | undefined = obj;
      for (const s of segments) cur = isObject(cur) ? cur[s] : undefined;
      return cur === undefined || cur === null || typeof cur === "object" ? undefined : String(cur);
    };
  }
  return out;
}

/** Errors that stop CEL from running, as in apiextensions-apiserver's hasBlockingErr. */
function blocking(errs: FieldError[]): boolean {
  return errs.some((e) =>
    [
      "FieldValueNotSupported",
      "FieldValueRequired",
      "FieldValueTooLong",
      "FieldValueTooMany",
      "FieldValueTypeInvalid",
    ].includes(e.type),
  );
}

function customStrategy(schema: Schema, version: JsonObject): Strategy {
  const contentSchema: Schema = { ...schema, properties: { ...schema.properties } };
  for (const key of ["apiVersion", "kind", "metadata"]) delete contentSchema.properties?.[key];
  const hasRules = JSON.stringify(schema).includes('"x-kubernetes-validations"');
  return {
    generation: "non-metadata",
    allowCreateOnUpdate: false,
    allowUnconditionalUpdate: false,
    returnDeletedObject: false,
    strategicMerge: false,
    nameRule: "subdomain",
    structure: structureOf(schema),
    selectableFields: selectableFields(version),
    decode: (obj) => {
      const pruned = prune(obj, schema);
      return { obj: applyDefaults(pruned.obj, schema) as JsonObject, unknownFields: pruned.unknownFields };
    },
    validate: (obj, old) => {
      const content: JsonObject = { ...obj };
      for (const key of ["apiVersion", "kind", "metadata"]) delete content[key];
      const errs = validateSchema(content, contentSchema, "");
      if (blocking(errs)) {
        if (hasRules) {
          errs.push(
            invalid(
              "<nil>",
              null,
              "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
            ),
          );
        }
        return errs;
      }
      return [...errs, ...evaluateRules(obj, old, schema)];
    },
  };
}

/** The served resources one CRD defines: one per served version, all sharing storage. */
export function customResourceDefs(crd: JsonObject): ResourceDef[] {
  const spec = specOf(crd);
  const names = namesOf(crd);
  const group = str(spec.group);
  return versionsOf(crd)
    .filter((v) => v.served === true)
    .map((version) => {
      const schema = schemaOf(version) ?? { type: "object", "x-kubernetes-preserve-unknown-fields": true };
      const subresources = isObject(version.subresources) ? version.subresources : {};
      return {
        group,
        version: str(version.name),
        resource: names.plural,
        singular: names.singular,
        kind: names.kind,
        listKind: names.listKind,
        namespaced: spec.scope === "Namespaced",
        shortNames: names.shortNames,
        categories: names.categories,
        statusSubresource: isObject(subresources.status),
        custom: true,
        storageKey: `${group}/${names.plural}`,
        strategy: customStrategy(schema, version),
      };
    });
}
