import { parse as parseYaml } from "yaml";
import type { ApiContext, WriteOptions, WriteResult } from "./api-context.js";
import { badRequest, invalid, notFound, unsupportedMediaType } from "./api-error.js";
import { createObject } from "./create.js";
import { forbidden, required } from "./field-errors.js";
import { isObject, type Json, type JsonObject } from "./json.js";
import { applyJsonPatch } from "./json-patch.js";
import { applyMergePatch } from "./merge-patch.js";
import { metaOf, withMeta } from "./object-meta.js";
import { toView } from "./object-view.js";
import { apiVersionOf, type ResourceDef } from "./resource.js";
import { serverSideApply } from "./server-side-apply.js";
import { applyStrategicMergePatch } from "./strategic-merge-patch.js";
import { updateObject } from "./update.js";

export const PATCH_TYPES = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

export interface PatchOptions extends WriteOptions {
  /** Whether the request named a fieldManager (apply requires one). */
  explicitManager: boolean;
  force: boolean | undefined;
}

function acceptedTypes(def: ResourceDef): string[] {
  const types: string[] = [PATCH_TYPES.json, PATCH_TYPES.merge];
  if (def.strategy.strategicMerge) types.push(PATCH_TYPES.strategic);
  types.push(PATCH_TYPES.apply);
  return types;
}

function parseJson(raw: string): Json {
  try {
    return JSON.parse(raw) as Json;
  } catch (err) {
    throw badRequest(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function parseApplyBody(raw: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = parseYaml(raw, { maxAliasCount: 100, logLevel: "error" });
  } catch (err) {
    throw badRequest(`error decoding YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(parsed)) throw badRequest("error decoding YAML: the applied configuration must be an object");
  return JSON.parse(JSON.stringify(parsed)) as JsonObject;
}

/** Server-side apply sees only the fields the endpoint lets it change (status vs everything else). */
function resetFields(def: ResourceDef, applied: JsonObject, subresource: string): JsonObject {
  if (subresource === "status") {
    const out: JsonObject = { apiVersion: applied.apiVersion ?? null, kind: applied.kind ?? null };
    const meta = metaOf(applied);
    out.metadata = {
      ...(meta.name ? { name: meta.name } : {}),
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
    };
    if (applied.status !== undefined) out.status = applied.status;
    return out;
  }
  if (!def.statusSubresource) return applied;
  const out = { ...applied };
  delete out.status;
  return out;
}

/**
 * PATCH with any of the four patch types. The patch is applied to the stored object as this
 * endpoint presents it, then the result goes through the same path as an update.
 */
export function patchObject(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  name: string,
  contentType: string,
  raw: string,
  subresource: string,
  opts: PatchOptions,
): WriteResult {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!acceptedTypes(def).includes(type)) throw unsupportedMediaType(type, acceptedTypes(def));
  const isApply = type === PATCH_TYPES.apply;
  if (!isApply && opts.force !== undefined) {
    throw invalid({ group: "meta.k8s.io", kind: "PatchOptions" }, "", [
      forbidden("force", "may not be specified for non-apply patch"),
    ]);
  }
  if (isApply && !opts.explicitManager) {
    throw invalid({ group: "meta.k8s.io", kind: "PatchOptions" }, "", [
      required("fieldManager", "is required for apply patch"),
    ]);
  }
  const stored = ctx.store.get(def.storageKey, def.namespaced ? namespace : "", name);
  const id = {
    manager: opts.manager,
    operation: isApply ? ("Apply" as const) : ("Update" as const),
    subresource,
  };

  if (isApply) {
    const applied = parseApplyBody(raw);
    const appliedName = metaOf(applied).name;
    if (appliedName !== undefined && appliedName !== name) {
      throw badRequest(
        `the name of the object (${String(appliedName)}) does not match the name on the URL (${name})`,
      );
    }
    const scoped = resetFields(def, withMeta(applied, { name }), subresource);
    const live = stored ? toView(def, stored) : undefined;
    if (!live && subresource !== "") throw notFound(def, name);
    const result = serverSideApply({
      live,
      applied: scoped,
      id,
      force: opts.force === true,
      apiVersion: apiVersionOf(def),
      structure: def.strategy.structure,
      now: ctx.now(),
    });
    const managedFields = metaOf(result).managedFields;
    if (!live) {
      const { resourceVersion: _rv, ...meta } = metaOf(result);
      return createObject(ctx, def, namespace, { ...result, metadata: meta }, opts, managedFields);
    }
    return updateObject(ctx, def, namespace, name, result, subresource, opts, {
      appliedManagedFields: managedFields,
      patch: true,
    });
  }

  if (!stored) throw notFound(def, name);
  const current = toView(def, stored);
  let patched: Json;
  if (type === PATCH_TYPES.json) patched = applyJsonPatch(current, parseJson(raw));
  else if (type === PATCH_TYPES.merge) patched = applyMergePatch(current, parseJson(raw));
  else patched = applyStrategicMergePatch(current, parseJson(raw), def.strategy.structure);
  if (!isObject(patched)) throw badRequest("the patch must produce a JSON object");
  return updateObject(ctx, def, namespace, name, patched, subresource, opts, { patch: true });
}
