import type { FieldError } from "./field-errors.js";
import type { JsonObject } from "./json.js";
import type { StructureNode } from "./merge-structure.js";

/** What the real registry's per-kind strategy decides; one per served resource. */
export interface Strategy {
  /** Which changes bump metadata.generation: none, `.spec` only, or anything outside metadata. */
  generation: "none" | "spec" | "non-metadata";
  allowCreateOnUpdate: boolean;
  allowUnconditionalUpdate: boolean;
  /** DELETE answers with the deleted object instead of a Status. */
  returnDeletedObject: boolean;
  /** Whether `application/strategic-merge-patch+json` is accepted (built-in kinds only). */
  strategicMerge: boolean;
  nameRule: "subdomain" | "label";
  structure: StructureNode;
  /** Field selector fields beyond metadata.name / metadata.namespace. */
  selectableFields: Record<string, (obj: JsonObject) => string | undefined>;
  /** Custom resources: prune unknown fields and apply defaults; returns the pruned paths. */
  decode?: (obj: JsonObject) => { obj: JsonObject; unknownFields: string[] };
  prepareForCreate?: (obj: JsonObject) => JsonObject;
  prepareForUpdate?: (obj: JsonObject, old: JsonObject) => JsonObject;
  /** Kind-specific validation (schema and CEL for custom resources). `old` is set on update. */
  validate: (obj: JsonObject, old: JsonObject | undefined, subresource: string) => FieldError[];
  /** Views that share storage with another representation (events.k8s.io/v1 over core/v1). */
  toStorage?: (obj: JsonObject) => JsonObject;
  fromStorage?: (obj: JsonObject) => JsonObject;
}

export interface ResourceDef {
  group: string;
  version: string;
  /** Plural, lower case: the URL segment. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  statusSubresource: boolean;
  /** Served from a CustomResourceDefinition. */
  custom: boolean;
  /** Resources with the same storage key are views of the same objects. */
  storageKey: string;
  strategy: Strategy;
}

export const apiVersionOf = (def: ResourceDef): string =>
  def.group ? `${def.group}/${def.version}` : def.version;

export const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/** Registry of served resources; custom resources come and go with their CRDs. */
export class ResourceRegistry {
  private readonly defs = new Map<string, ResourceDef>();

  private static key(group: string, version: string, resource: string): string {
    return `${group}/${version}/${resource}`;
  }

  add(def: ResourceDef): void {
    this.defs.set(ResourceRegistry.key(def.group, def.version, def.resource), def);
  }

  remove(group: string, resource: string): void {
    for (const [key, def] of this.defs) {
      if (def.group === group && def.resource === resource) this.defs.delete(key);
    }
  }

  lookup(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.defs.get(ResourceRegistry.key(group, version, resource));
  }

  all(): ResourceDef[] {
    return [...this.defs.values()];
  }

  /** `secrets`, `deployments.apps` or `accesstokens.tokenplane.dev`, as kubectl spells them. */
  resolve(name: string): ResourceDef | undefined {
    const dot = name.indexOf(".");
    const resource = dot < 0 ? name : name.slice(0, dot);
    const group = dot < 0 ? "" : name.slice(dot + 1);
    return this.all().find((d) => d.group === group && (d.resource === resource || d.kind === resource));
  }

  groupVersions(): { group: string; versions: string[] }[] {
    const groups = new Map<string, Set<string>>();
    for (const def of this.defs.values()) {
      if (!groups.has(def.group)) groups.set(def.group, new Set());
      groups.get(def.group)?.add(def.version);
    }
    return [...groups].map(([group, versions]) => ({ group, versions: [...versions] }));
  }
}
