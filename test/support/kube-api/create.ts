import { randomInt, randomUUID } from "node:crypto";
import { decodeBody, type ApiContext, type WriteOptions, type WriteResult } from "./api-context.js";
import { alreadyExists, ApiError, badRequest, invalid, notFound, qualified } from "./api-error.js";
import { isObject, type Json } from "./json.js";
import { trackUpdate } from "./managed-fields.js";
import { checkMetadataTypes, validateObjectMeta } from "./metadata-validation.js";
import { isDeleting, metaOf, nameOf, withMeta } from "./object-meta.js";
import { checkTypeMeta, toStored, toView } from "./object-view.js";
import { apiVersionOf, type ResourceDef } from "./resource.js";

const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** names.SimpleNameGenerator: the prefix (at most 58 characters) plus five random characters. */
export function generateName(base: string): string {
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return base.slice(0, 58) + suffix;
}

/** Fields a client may not set on create; the server owns them. */
const SERVER_METADATA = [
  "uid",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "selfLink",
];

export function requireNamespaceOpen(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  name: string,
): void {
  if (!def.namespaced) return;
  const ns = ctx.store.get("/namespaces", "", namespace);
  if (!ns) throw notFound({ group: "", resource: "namespaces" }, namespace);
  if (isDeleting(ns)) {
    throw new ApiError(
      403,
      "Forbidden",
      `${qualified(def)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      {
        name,
        kind: def.resource,
        causes: [
          {
            reason: "NamespaceTerminating",
            message: `namespace ${namespace} is being terminated`,
            field: "metadata.namespace",
          },
        ],
      },
    );
  }
}

/**
 * POST: decode, generate the name, reset server-owned fields, run the kind's strategy and
 * validation, then store. `appliedManagedFields` is set when server-side apply creates the object.
 */
export function createObject(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  body: Json,
  opts: WriteOptions,
  appliedManagedFields?: Json,
): WriteResult {
  if (!isObject(body)) throw badRequest("the body of the request must be a JSON object");
  checkMetadataTypes(body);
  let obj = checkTypeMeta(def, body);
  const meta = metaOf(obj);
  if (typeof meta.resourceVersion === "string" && meta.resourceVersion !== "") {
    throw badRequest("resourceVersion should not be set on objects to be created");
  }
  const bodyNamespace = typeof meta.namespace === "string" ? meta.namespace : "";
  if (def.namespaced && bodyNamespace && bodyNamespace !== namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  const decoded = decodeBody(def, obj, opts);
  obj = decoded.obj;
  const changes: Record<string, Json | undefined> = { namespace: def.namespaced ? namespace : undefined };
  for (const key of SERVER_METADATA) changes[key] = undefined;
  changes.managedFields = undefined;
  obj = withMeta(obj, changes);
  const requestedName = typeof meta.name === "string" ? meta.name : "";
  const prefix = typeof meta.generateName === "string" ? meta.generateName : "";
  if (!requestedName && prefix) {
    do obj = withMeta(obj, { name: generateName(prefix) });
    while (ctx.store.get(def.storageKey, namespace, nameOf(obj)));
  }
  if (def.statusSubresource) {
    obj = { ...obj };
    delete obj.status;
  }
  if (def.strategy.prepareForCreate) obj = def.strategy.prepareForCreate(obj);
  if (def.strategy.generation !== "none") obj = withMeta(obj, { generation: 1 });

  const errors = [
    ...validateObjectMeta(obj, { namespaced: def.namespaced, nameRule: def.strategy.nameRule }),
    ...def.strategy.validate(obj, undefined, ""),
  ];
  if (errors.length > 0) throw invalid({ group: def.group, kind: def.kind }, nameOf(obj) || prefix, errors);
  requireNamespaceOpen(ctx, def, namespace, nameOf(obj));
  if (ctx.store.get(def.storageKey, def.namespaced ? namespace : "", nameOf(obj))) {
    throw alreadyExists(def, nameOf(obj));
  }

  const now = ctx.now();
  obj = withMeta(obj, { uid: randomUUID(), creationTimestamp: now });
  const managedFields =
    appliedManagedFields ??
    trackUpdate({
      old: undefined,
      next: obj,
      requested: undefined,
      id: { manager: opts.manager, operation: "Update", subresource: "" },
      apiVersion: apiVersionOf(def),
      structure: def.strategy.structure,
      now,
    });
  obj = withMeta(obj, { managedFields: managedFields ?? undefined });
  if (opts.dryRun) return { code: 201, body: obj, warnings: decoded.warnings };
  const stored = ctx.store.create(def.storageKey, toStored(def, obj));
  return { code: 201, body: toView(def, stored), warnings: decoded.warnings };
}
