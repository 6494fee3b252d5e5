import { matchesFields, parseFieldSelector } from "./field-selector.js";
import type { JsonObject } from "./json.js";
import { matchesLabels, parseLabelSelector } from "./label-selector.js";
import { labelsOf, nameOf, namespaceOf } from "./object-meta.js";
import type { ResourceDef } from "./resource.js";

export type Predicate = (view: JsonObject) => boolean;

/** The fields `fieldSelector` may name for this resource. */
export function selectableFields(def: ResourceDef): Set<string> {
  const fields = new Set(["metadata.name", ...Object.keys(def.strategy.selectableFields)]);
  if (def.namespaced) fields.add("metadata.namespace");
  return fields;
}

/** labelSelector + fieldSelector as one predicate over objects as the resource presents them. */
export function selectionPredicate(def: ResourceDef, labelSelector = "", fieldSelector = ""): Predicate {
  const labels = parseLabelSelector(labelSelector);
  const fields = parseFieldSelector(fieldSelector, selectableFields(def));
  if (labels.length === 0 && fields.length === 0) return () => true;
  return (view) => {
    if (!matchesLabels(labels, labelsOf(view))) return false;
    if (fields.length === 0) return true;
    const values: Record<string, string | undefined> = {
      "metadata.name": nameOf(view),
      "metadata.namespace": namespaceOf(view),
    };
    for (const [field, get] of Object.entries(def.strategy.selectableFields)) values[field] = get(view);
    return matchesFields(fields, values);
  };
}

/** The object name a fieldSelector pins down, which RBAC treats as the request's resource name. */
export function selectedName(fieldSelector: string): string | undefined {
  const m = /(?:^|,)\s*metadata\.name\s*==?\s*([^,]+)/.exec(fieldSelector);
  return m?.[1]?.trim();
}
