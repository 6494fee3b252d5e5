import { canonical } from "../canonical.js";
import type { KubeObject } from "../kube/objects.js";
import type { Change } from "./informer.js";

/** Whether an update is only the status (and resourceVersion) changing: the operator's own status writes. */
export function onlyStatusChanged(c: Change<KubeObject>): boolean {
  if (c.type !== "updated" || !c.old) return false;
  const strip = (o: KubeObject) => {
    const { resourceVersion: _rv, managedFields: _mf, ...metadata } = o.metadata;
    const { status: _status, ...rest } = o;
    return canonical({ ...rest, metadata });
  };
  return strip(c.old) === strip(c.object);
}

/** Whether an update left the labels as they were. */
export function labelsUnchanged(c: Change<KubeObject>): boolean {
  return (
    c.type === "updated" &&
    canonical(c.old?.metadata.labels ?? {}) === canonical(c.object.metadata.labels ?? {})
  );
}
