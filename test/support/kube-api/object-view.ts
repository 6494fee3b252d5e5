import { badRequest } from "./api-error.js";
import { isObject, type JsonObject } from "./json.js";
import { apiVersionOf, type ResourceDef } from "./resource.js";

/** The stored object as this resource (group/version) presents it. */
export function toView(def: ResourceDef, stored: JsonObject): JsonObject {
  const view = def.strategy.fromStorage ? def.strategy.fromStorage(stored) : stored;
  return { ...view, apiVersion: apiVersionOf(def), kind: def.kind };
}

/** The representation this resource's objects are stored in. */
export function toStored(def: ResourceDef, view: JsonObject): JsonObject {
  return def.strategy.toStorage ? def.strategy.toStorage(view) : view;
}

/**
 * Request bodies may omit apiVersion and kind (the endpoint implies them) but may not name a
 * different type; this is a 400 from the real decoder.
 */
export function checkTypeMeta(def: ResourceDef, body: JsonObject): JsonObject {
  const expected = apiVersionOf(def);
  if (body.apiVersion !== undefined && body.apiVersion !== null && body.apiVersion !== "") {
    if (body.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
  }
  if (body.kind !== undefined && body.kind !== null && body.kind !== "" && body.kind !== def.kind) {
    throw badRequest(
      `the kind in the data (${String(body.kind)}) does not match the expected kind (${def.kind})`,
    );
  }
  if (body.metadata !== undefined && body.metadata !== null && !isObject(body.metadata)) {
    throw badRequest("json: cannot unmarshal metadata: expected an object");
  }
  return {
    ...body,
    apiVersion: expected,
    kind: def.kind,
    metadata: isObject(body.metadata) ? body.metadata : {},
  };
}

/** Typed lists of built-in kinds carry no apiVersion/kind per item; unstructured lists do. */
export function listItem(def: ResourceDef, view: JsonObject): JsonObject {
  if (def.custom) return view;
  const item = { ...view };
  delete item.apiVersion;
  delete item.kind;
  return item;
}
