import { type CtyType, ctyTypeJson, listOf, objectOf, setOf } from "./cty-type.js";
import type { Value } from "./cty-value.js";

/** One attribute of a provider, resource, data source or ephemeral resource schema. */
export interface AttributeSpec {
  /** The value type; absent for nested attributes. */
  type?: CtyType;
  /** Nested attributes (protocol 6): one object, or a list or set of objects. */
  nested?: { nesting: "single" | "list" | "set"; attributes: Record<string, AttributeSpec> };
  description: string;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  /** Accepted in configuration, never stored in plan or state (Terraform >= 1.11). */
  writeOnly?: boolean;
  /** For optional+computed attributes: the planned value when the configuration leaves it out. */
  default?: Value;
  /** A change to it destroys and recreates the object (there is no API to change it in place). */
  requiresReplace?: boolean;
}

export interface BlockSpec {
  description: string;
  attributes: Record<string, AttributeSpec>;
  /** Schema version, for UpgradeResourceState. */
  version?: number;
}

/** The cty type of one attribute's value. */
export function attributeType(spec: AttributeSpec): CtyType {
  if (spec.type) return spec.type;
  if (!spec.nested) throw new Error("attribute without type or nested attributes");
  const object = objectOf(
    Object.fromEntries(Object.entries(spec.nested.attributes).map(([k, a]) => [k, attributeType(a)])),
  );
  if (spec.nested.nesting === "list") return listOf(object);
  if (spec.nested.nesting === "set") return setOf(object);
  return object;
}

/** The object type of a whole block: what every DynamicValue for it decodes as. */
export function blockType(block: BlockSpec): CtyType {
  return objectOf(
    Object.fromEntries(Object.entries(block.attributes).map(([k, a]) => [k, attributeType(a)])),
  );
}

/** The wire form of Schema.Attribute / Schema.Object (protocol 6 message shapes). */
export interface ProtoAttribute {
  name: string;
  type: Buffer;
  nested_type: { attributes: ProtoAttribute[]; nesting: "SINGLE" | "LIST" | "SET" } | null;
  description: string;
  description_kind: "MARKDOWN";
  required: boolean;
  optional: boolean;
  computed: boolean;
  sensitive: boolean;
  write_only: boolean;
}

export interface ProtoSchema {
  version: number;
  block: {
    version: number;
    attributes: ProtoAttribute[];
    block_types: never[];
    description: string;
    description_kind: "MARKDOWN";
  };
}

function protoAttribute(name: string, spec: AttributeSpec): ProtoAttribute {
  return {
    name,
    type: spec.nested ? Buffer.alloc(0) : Buffer.from(ctyTypeJson(attributeType(spec))),
    nested_type: spec.nested
      ? {
          attributes: Object.entries(spec.nested.attributes).map(([k, a]) => protoAttribute(k, a)),
          nesting:
            spec.nested.nesting === "single" ? "SINGLE" : spec.nested.nesting === "list" ? "LIST" : "SET",
        }
      : null,
    description: spec.description,
    description_kind: "MARKDOWN",
    required: spec.required ?? false,
    optional: spec.optional ?? false,
    computed: spec.computed ?? false,
    sensitive: spec.sensitive ?? false,
    write_only: spec.writeOnly ?? false,
  };
}

export function protoSchema(block: BlockSpec): ProtoSchema {
  const version = block.version ?? 0;
  return {
    version,
    block: {
      version,
      attributes: Object.entries(block.attributes).map(([k, a]) => protoAttribute(k, a)),
      block_types: [],
      description: block.description,
      description_kind: "MARKDOWN",
    },
  };
}
