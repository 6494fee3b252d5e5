import { isObject, type Json, type JsonObject } from "./json.js";
import { withObjectMeta, type StructureNode } from "./merge-structure.js";

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/** The subset of JSONSchemaProps a structural CRD schema uses. */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: Json[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  default?: Json;
  nullable?: boolean;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "granular" | "atomic";
  "x-kubernetes-validations"?: ValidationRule[];
}

/** The schema's view as a JSON object (it arrives inside a CRD body). */
export function asSchema(value: Json | undefined): Schema {
  return isObject(value) ? value : {};
}

export function additionalSchema(schema: Schema): Schema | undefined {
  return isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
}

export const preservesUnknown = (schema: Schema): boolean =>
  schema["x-kubernetes-preserve-unknown-fields"] === true;

/** Merge semantics of a custom resource, read from its schema's x-kubernetes-* extensions. */
export function structureOf(root: Schema): StructureNode {
  const convert = (s: Schema): StructureNode => {
    const node: StructureNode = {};
    if (s.properties) {
      node.fields = {};
      for (const [name, prop] of Object.entries(s.properties)) node.fields[name] = convert(prop);
    }
    const extra = additionalSchema(s);
    if (extra) node.values = convert(extra);
    if (s.items) node.items = convert(s.items);
    if (s["x-kubernetes-list-type"]) node.listType = s["x-kubernetes-list-type"];
    if (s["x-kubernetes-list-map-keys"]) node.listMapKeys = s["x-kubernetes-list-map-keys"];
    if (s["x-kubernetes-map-type"]) node.mapType = s["x-kubernetes-map-type"];
    if (s["x-kubernetes-embedded-resource"]) return withObjectMeta(node);
    return node;
  };
  return withObjectMeta(convert(root));
}

/** ObjectMeta fields kept when pruning a custom resource's (or embedded resource's) metadata. */
export const OBJECT_META_FIELDS = new Set([
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);

export type { JsonObject };
