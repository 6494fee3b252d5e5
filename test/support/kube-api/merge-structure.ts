/**
 * How an object's fields merge, per path: which lists are atomic, sets, or maps keyed by some
 * fields. Server-side apply, managedFields and strategic merge patch all need this; CRDs derive it
 * from `x-kubernetes-list-type` / `x-kubernetes-list-map-keys` / `x-kubernetes-map-type`, built-in
 * kinds from the small tables below (their Go struct tags).
 */
export interface StructureNode {
  /** Known fields of a struct. */
  fields?: Record<string, StructureNode>;
  /** Node for values of a map, or for unknown fields of a struct. */
  values?: StructureNode;
  /** Node for list items. */
  items?: StructureNode;
  listType?: "atomic" | "set" | "map";
  listMapKeys?: string[];
  mapType?: "granular" | "atomic";
}

/** Unknown territory: objects merge key by key, lists are atomic. */
export const ANY: StructureNode = {};

export function childNode(node: StructureNode, name: string): StructureNode {
  return (
    (node.fields && Object.hasOwn(node.fields, name) ? node.fields[name] : undefined) ?? node.values ?? ANY
  );
}

export function itemNode(node: StructureNode): StructureNode {
  return node.items ?? ANY;
}

export function listTypeOf(node: StructureNode): "atomic" | "set" | "map" {
  return node.listType ?? "atomic";
}

const mapList = (keys: string[], items: StructureNode = ANY): StructureNode => ({
  listType: "map",
  listMapKeys: keys,
  items,
});
const setList: StructureNode = { listType: "set" };

export const OBJECT_META: StructureNode = {
  fields: {
    finalizers: setList,
    ownerReferences: mapList(["uid"]),
  },
};

/** Adds `metadata` to a top-level structure. */
export function withObjectMeta(node: StructureNode): StructureNode {
  return { ...node, fields: { ...node.fields, metadata: OBJECT_META } };
}

const CONTAINER: StructureNode = {
  fields: {
    env: mapList(["name"]),
    ports: mapList(["containerPort", "protocol"]),
    volumeMounts: mapList(["mountPath"]),
    volumeDevices: mapList(["devicePath"]),
  },
};

const POD_SPEC: StructureNode = {
  fields: {
    containers: mapList(["name"], CONTAINER),
    initContainers: mapList(["name"], CONTAINER),
    ephemeralContainers: mapList(["name"], CONTAINER),
    volumes: mapList(["name"]),
    imagePullSecrets: mapList(["name"]),
  },
};

const CONDITIONS = mapList(["type"]);

/** Deployments, StatefulSets and DaemonSets share the pod template and condition lists. */
export const WORKLOAD: StructureNode = withObjectMeta({
  fields: {
    spec: {
      fields: {
        template: { fields: { metadata: OBJECT_META, spec: POD_SPEC } },
      },
    },
    status: { fields: { conditions: CONDITIONS } },
  },
});

export const NAMESPACE: StructureNode = withObjectMeta({
  fields: { status: { fields: { conditions: CONDITIONS } } },
});

export const PLAIN: StructureNode = withObjectMeta(ANY);

export const CRD_STRUCTURE: StructureNode = withObjectMeta({
  fields: {
    spec: { fields: { versions: mapList(["name"]) } },
    status: { fields: { conditions: CONDITIONS } },
  },
});
