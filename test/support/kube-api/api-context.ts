import { badRequest } from "./api-error.js";
import type { JsonObject } from "./json.js";
import type { ObjectStore } from "./object-store.js";
import type { ResourceDef, ResourceRegistry } from "./resource.js";

/** What every verb needs: the objects, the served resources, and the clock. */
export interface ApiContext {
  readonly store: ObjectStore;
  readonly registry: ResourceRegistry;
  now(): string;
}

export type FieldValidation = "Ignore" | "Warn" | "Strict";

export interface WriteOptions {
  dryRun: boolean;
  /** fieldManager, or the manager name derived from the User-Agent. */
  manager: string;
  fieldValidation: FieldValidation;
}

export interface WriteResult {
  code: number;
  body: JsonObject;
  /** HTTP `Warning` headers (unknown fields under fieldValidation=Warn). */
  warnings: string[];
}

export const defaultWriteOptions = (manager = "kube-api-fixture"): WriteOptions => ({
  dryRun: false,
  manager,
  fieldValidation: "Warn",
});

/** Prunes and defaults a custom resource; unknown fields become warnings, or a 400 under Strict. */
export function decodeBody(
  def: ResourceDef,
  obj: JsonObject,
  opts: WriteOptions,
): { obj: JsonObject; warnings: string[] } {
  if (!def.strategy.decode) return { obj, warnings: [] };
  const { obj: decoded, unknownFields } = def.strategy.decode(obj);
  if (unknownFields.length > 0 && opts.fieldValidation === "Strict") {
    const list = unknownFields.map((f) => `unknown field "${f}"`);
    throw badRequest(`strict decoding error: ${list.join(", ")}`);
  }
  const warnings = opts.fieldValidation === "Warn" ? unknownFields.map((f) => `unknown field "${f}"`) : [];
  return { obj: decoded, warnings };
}
