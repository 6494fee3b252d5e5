import type { ApiContext, WriteResult } from "./api-context.js";
import { conflict, notFound } from "./api-error.js";
import { type JsonObject } from "./json.js";
import {
  finalizersOf,
  generationOf,
  isDeleting,
  nameOf,
  resourceVersionOf,
  uidOf,
  withMeta,
} from "./object-meta.js";
import { toStored, toView } from "./object-view.js";
import type { ResourceDef } from "./resource.js";

export const ORPHAN_FINALIZER = "orphan";
export const FOREGROUND_FINALIZER = "foregroundDeletion";

export interface DeleteOptions {
  dryRun: boolean;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** deletionFinalizersForGarbageCollection: the policy becomes the orphan/foreground finalizer. */
function finalizersAfterPolicy(obj: JsonObject, opts: DeleteOptions): string[] {
  const current = finalizersOf(obj);
  const policy = opts.propagationPolicy;
  let orphan = current.includes(ORPHAN_FINALIZER);
  let foreground = current.includes(FOREGROUND_FINALIZER);
  if (opts.orphanDependents !== undefined) {
    orphan = opts.orphanDependents;
    foreground = false;
  } else if (policy) {
    orphan = policy === "Orphan";
    foreground = policy === "Foreground";
  }
  const out = current.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (orphan) out.push(ORPHAN_FINALIZER);
  if (foreground) out.push(FOREGROUND_FINALIZER);
  return out;
}

function successStatus(def: ResourceDef, obj: JsonObject): JsonObject {
  const details: JsonObject = { name: nameOf(obj) };
  if (def.group) details.group = def.group;
  details.kind = def.resource;
  details.uid = uidOf(obj);
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
}

/**
 * DELETE: objects with finalizers (including the ones the propagation policy adds) get
 * deletionTimestamp and stay; others are removed at once. Namespaces always wait for their
 * namespace finalizer, like the real namespace lifecycle.
 */
export function deleteObject(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  name: string,
  opts: DeleteOptions,
): WriteResult {
  const ns = def.namespaced ? namespace : "";
  const stored = ctx.store.get(def.storageKey, ns, name);
  if (!stored) throw notFound(def, name);
  const view = toView(def, stored);
  const pre = opts.preconditions ?? {};
  if (pre.uid && pre.uid !== uidOf(view)) {
    throw conflict(
      def,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${uidOf(view)}`,
    );
  }
  if (pre.resourceVersion && pre.resourceVersion !== resourceVersionOf(view)) {
    throw conflict(
      def,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${resourceVersionOf(view)}`,
    );
  }
  if (isDeleting(view)) return { code: 200, body: view, warnings: [] };

  const isNamespace = def.group === "" && def.resource === "namespaces";
  const finalizers = finalizersAfterPolicy(view, opts);
  if (finalizers.length > 0 || isNamespace) {
    let next = withMeta(view, {
      deletionTimestamp: ctx.now(),
      deletionGracePeriodSeconds: 0,
      finalizers: finalizers.length > 0 ? finalizers : undefined,
    });
    if (generationOf(view) > 0) next = withMeta(next, { generation: generationOf(view) + 1 });
    if (isNamespace)
      next = { ...next, status: { ...(next.status as JsonObject | undefined), phase: "Terminating" } };
    if (opts.dryRun) return { code: 200, body: next, warnings: [] };
    const saved = ctx.store.update(def.storageKey, toStored(def, next));
    return { code: 200, body: toView(def, saved), warnings: [] };
  }
  if (!opts.dryRun) ctx.store.delete(def.storageKey, ns, name);
  return {
    code: 200,
    body: def.strategy.returnDeletedObject ? view : successStatus(def, view),
    warnings: [],
  };
}
