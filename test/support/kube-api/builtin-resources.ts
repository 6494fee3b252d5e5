import {
  prepareSecret,
  validateConfigMap,
  validateLease,
  validateSecret,
  validateWorkload,
} from "./builtin-validation.js";
import { defaultCrd, prepareCrdForCreate, validateCrd } from "./crd.js";
import { coreToEventsV1, eventsV1ToCore } from "./event-conversion.js";
import { validateCoreEvent, validateEventsV1 } from "./event-validation.js";
import { isObject, type Json, type JsonObject } from "./json.js";
import { CRD_STRUCTURE, NAMESPACE, PLAIN, WORKLOAD } from "./merge-structure.js";
import { nameOf } from "./object-meta.js";
import type { ResourceDef, Strategy } from "./resource.js";

const BASE: Strategy = {
  generation: "none",
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  returnDeletedObject: false,
  strategicMerge: true,
  nameRule: "subdomain",
  structure: PLAIN,
  selectableFields: {},
  validate: () => [],
};

function def(
  group: string,
  version: string,
  resource: string,
  kind: string,
  rest: Partial<Omit<ResourceDef, "strategy">> & { strategy?: Partial<Strategy> },
): ResourceDef {
  return {
    group,
    version,
    resource,
    kind,
    singular: kind.toLowerCase(),
    listKind: `${kind}List`,
    namespaced: true,
    shortNames: [],
    categories: [],
    statusSubresource: false,
    custom: false,
    storageKey: `${group}/${resource}`,
    ...rest,
    strategy: { ...BASE, ...rest.strategy },
  };
}

const field =
  (...path: string[]) =>
  (obj: JsonObject): string | undefined => {
    let cur: Json | undefined = obj;
    for (const p of path) cur = isObject(cur) ? cur[p] : undefined;
    return cur === undefined || cur === null || typeof cur === "object" ? undefined : String(cur);
  };

const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

function namespaceLabels(obj: JsonObject): JsonObject {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const labels = isObject(meta.labels) ? meta.labels : {};
  return { ...obj, metadata: { ...meta, labels: { ...labels, [NAMESPACE_NAME_LABEL]: nameOf(obj) } } };
}

const workload = (resource: string, kind: string, shortNames: string[]): ResourceDef =>
  def("apps", "v1", resource, kind, {
    shortNames,
    categories: ["all"],
    statusSubresource: true,
    strategy: {
      generation: "spec",
      structure: WORKLOAD,
      prepareForCreate: (obj) => ({ ...obj, status: {} }),
      validate: validateWorkload,
    },
  });

/** The built-in kinds the operator touches, with the strategies of their real registries. */
export function builtinResources(): ResourceDef[] {
  return [
    def("", "v1", "namespaces", "Namespace", {
      namespaced: false,
      shortNames: ["ns"],
      statusSubresource: true,
      strategy: {
        nameRule: "label",
        structure: NAMESPACE,
        returnDeletedObject: true,
        selectableFields: { "status.phase": field("status", "phase") },
        prepareForCreate: (obj) => ({
          ...namespaceLabels(obj),
          spec: { finalizers: ["kubernetes"] },
          status: { phase: "Active" },
        }),
        prepareForUpdate: (obj, old) => ({ ...namespaceLabels(obj), spec: old.spec ?? {} }),
      },
    }),
    def("", "v1", "secrets", "Secret", {
      strategy: {
        selectableFields: { type: field("type") },
        prepareForCreate: prepareSecret,
        prepareForUpdate: prepareSecret,
        validate: validateSecret,
      },
    }),
    def("", "v1", "configmaps", "ConfigMap", {
      shortNames: ["cm"],
      strategy: { validate: validateConfigMap },
    }),
    def("", "v1", "events", "Event", {
      shortNames: ["ev"],
      storageKey: "/events",
      strategy: {
        allowCreateOnUpdate: true,
        validate: validateCoreEvent,
        selectableFields: {
          "involvedObject.kind": field("involvedObject", "kind"),
          "involvedObject.namespace": field("involvedObject", "namespace"),
          "involvedObject.name": field("involvedObject", "name"),
          "involvedObject.uid": field("involvedObject", "uid"),
          "involvedObject.apiVersion": field("involvedObject", "apiVersion"),
          "involvedObject.resourceVersion": field("involvedObject", "resourceVersion"),
          "involvedObject.fieldPath": field("involvedObject", "fieldPath"),
          reason: field("reason"),
          reportingComponent: field("reportingComponent"),
          source: field("source", "component"),
          type: field("type"),
        },
      },
    }),
    def("events.k8s.io", "v1", "events", "Event", {
      shortNames: ["ev"],
      storageKey: "/events",
      strategy: {
        allowCreateOnUpdate: true,
        strategicMerge: true,
        validate: validateEventsV1,
        toStorage: eventsV1ToCore,
        fromStorage: coreToEventsV1,
        selectableFields: {
          "regarding.kind": field("regarding", "kind"),
          "regarding.namespace": field("regarding", "namespace"),
          "regarding.name": field("regarding", "name"),
          "regarding.uid": field("regarding", "uid"),
          reason: field("reason"),
          reportingController: field("reportingController"),
          type: field("type"),
        },
      },
    }),
    def("coordination.k8s.io", "v1", "leases", "Lease", {
      strategy: { allowCreateOnUpdate: true, allowUnconditionalUpdate: false, validate: validateLease },
    }),
    workload("deployments", "Deployment", ["deploy"]),
    workload("statefulsets", "StatefulSet", ["sts"]),
    workload("daemonsets", "DaemonSet", ["ds"]),
    def("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", {
      namespaced: false,
      shortNames: ["crd", "crds"],
      categories: ["api-extensions"],
      statusSubresource: true,
      strategy: {
        generation: "spec",
        allowUnconditionalUpdate: false,
        strategicMerge: false,
        structure: CRD_STRUCTURE,
        prepareForCreate: prepareCrdForCreate,
        prepareForUpdate: (obj) => defaultCrd(obj),
        validate: (obj, old) => validateCrd(obj, old),
      },
    }),
  ];
}
