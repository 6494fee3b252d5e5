import { decodeBody, type ApiContext, type WriteOptions, type WriteResult } from "./api-context.js";
import { badRequest, conflict, invalid, notFound, OPTIMISTIC_LOCK_MESSAGE } from "./api-error.js";
import { createObject } from "./create.js";
import { forbidden, type FieldError } from "./field-errors.js";
import { deepEqual, isObject, type Json, type JsonObject } from "./json.js";
import { trackUpdate } from "./managed-fields.js";
import { checkMetadataTypes, validateObjectMeta, validateObjectMetaUpdate } from "./metadata-validation.js";
import {
  finalizersOf,
  generationOf,
  isDeleting,
  metaOf,
  resourceVersionOf,
  uidOf,
  withMeta,
} from "./object-meta.js";
import { checkTypeMeta, toStored, toView } from "./object-view.js";
import { apiVersionOf, type ResourceDef } from "./resource.js";

/** Metadata the server carries over from the stored object, whatever the request says. */
const CARRIED_METADATA = [
  "uid",
  "creationTimestamp",
  "generation",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "resourceVersion",
  "selfLink",
];

export interface UpdateMode {
  /** Server-side apply already computed managedFields. */
  appliedManagedFields?: Json;
  /** PATCH: the request's resourceVersion is whatever the patch left in the object. */
  patch?: boolean;
}

function withoutMetadata(obj: JsonObject): JsonObject {
  const out = { ...obj };
  delete out.metadata;
  return out;
}

function generationBumps(def: ResourceDef, next: JsonObject, old: JsonObject): boolean {
  switch (def.strategy.generation) {
    case "none":
      return false;
    case "spec":
      return !deepEqual(next.spec ?? null, old.spec ?? null);
    case "non-metadata":
      return !deepEqual(withoutMetadata(next), withoutMetadata(old));
  }
}

function newFinalizerErrors(next: JsonObject, old: JsonObject): FieldError[] {
  if (!isDeleting(old)) return [];
  const added = finalizersOf(next).filter((f) => !finalizersOf(old).includes(f));
  if (added.length === 0) return [];
  const list = added.map((f) => JSON.stringify(f)).join(", ");
  return [
    forbidden(
      "metadata.finalizers",
      `no new finalizers can be added if the object is being deleted, found new finalizers []string{${list}}`,
    ),
  ];
}

/**
 * PUT (and the second half of PATCH): optimistic concurrency on resourceVersion, the status
 * subresource split, generation, the finalizer rules, validation, managedFields, and deletion when
 * the last finalizer of a deleting object goes away. A write that changes nothing is not stored.
 */
export function updateObject(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  name: string,
  body: Json,
  subresource: string,
  opts: WriteOptions,
  mode: UpdateMode = {},
): WriteResult {
  if (!isObject(body)) throw badRequest("the body of the request must be a JSON object");
  checkMetadataTypes(body);
  let obj = checkTypeMeta(def, body);
  const bodyMeta = metaOf(obj);
  if (typeof bodyMeta.name === "string" && bodyMeta.name !== "" && bodyMeta.name !== name) {
    throw badRequest(
      `the name of the object (${bodyMeta.name}) does not match the name on the URL (${name})`,
    );
  }
  const bodyNamespace = typeof bodyMeta.namespace === "string" ? bodyMeta.namespace : "";
  if (def.namespaced && bodyNamespace && bodyNamespace !== namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  const stored = ctx.store.get(def.storageKey, def.namespaced ? namespace : "", name);
  if (!stored) {
    if (def.strategy.allowCreateOnUpdate && subresource === "" && !mode.patch) {
      return createObject(ctx, def, namespace, withMeta(obj, { name, resourceVersion: undefined }), opts);
    }
    throw notFound(def, name);
  }
  const old = toView(def, stored);

  const requestedRv = typeof bodyMeta.resourceVersion === "string" ? bodyMeta.resourceVersion : "";
  if (!requestedRv && !def.strategy.allowUnconditionalUpdate) {
    throw invalid({ group: def.group, kind: def.resource }, name, [
      {
        type: "FieldValueInvalid",
        field: "metadata.resourceVersion",
        value: 0,
        detail: "must be specified for an update",
      },
    ]);
  }
  if (requestedRv && requestedRv !== resourceVersionOf(old))
    throw conflict(def, name, OPTIMISTIC_LOCK_MESSAGE);
  if (typeof bodyMeta.uid === "string" && bodyMeta.uid !== "" && bodyMeta.uid !== uidOf(old)) {
    throw conflict(
      def,
      name,
      `Precondition failed: UID in precondition: ${bodyMeta.uid}, UID in object meta: ${uidOf(old)}`,
    );
  }

  const decoded = decodeBody(def, obj, opts);
  obj = decoded.obj;
  const carried: Record<string, Json | undefined> = {
    name,
    namespace: def.namespaced ? namespace : undefined,
  };
  for (const key of CARRIED_METADATA) carried[key] = metaOf(old)[key];
  obj = withMeta(obj, carried);

  if (subresource === "status") {
    // Only .status changes through /status; everything else comes from the stored object.
    const next: JsonObject = { ...old, metadata: { ...metaOf(old) } };
    if (obj.status === undefined) delete next.status;
    else next.status = obj.status;
    obj = next;
  } else {
    if (def.statusSubresource) {
      obj = { ...obj };
      if (old.status === undefined) delete obj.status;
      else obj.status = old.status;
    }
    if (def.strategy.prepareForUpdate) obj = def.strategy.prepareForUpdate(obj, old);
    if (generationBumps(def, obj, old)) obj = withMeta(obj, { generation: generationOf(old) + 1 });
  }

  const errors = [
    ...validateObjectMeta(obj, { namespaced: def.namespaced, nameRule: def.strategy.nameRule }),
    ...validateObjectMetaUpdate(obj, old),
    ...newFinalizerErrors(obj, old),
    ...def.strategy.validate(obj, old, subresource),
  ];
  if (errors.length > 0) throw invalid({ group: def.group, kind: def.kind }, name, errors);

  const managedFields =
    mode.appliedManagedFields !== undefined
      ? mode.appliedManagedFields
      : trackUpdate({
          old,
          next: obj,
          requested: subresource === "status" ? undefined : bodyMeta.managedFields,
          id: { manager: opts.manager, operation: "Update", subresource },
          apiVersion: apiVersionOf(def),
          structure: def.strategy.structure,
          now: ctx.now(),
        });
  obj = withMeta(obj, { managedFields: managedFields ?? undefined });

  if (deepEqual(obj, old)) return { code: 200, body: old, warnings: decoded.warnings };
  if (opts.dryRun) return { code: 200, body: obj, warnings: decoded.warnings };
  if (isDeleting(old) && finalizersOf(obj).length === 0) {
    ctx.store.delete(def.storageKey, def.namespaced ? namespace : "", name);
    return { code: 200, body: obj, warnings: decoded.warnings };
  }
  const saved = ctx.store.update(def.storageKey, toStored(def, obj));
  return { code: 200, body: toView(def, saved), warnings: decoded.warnings };
}
