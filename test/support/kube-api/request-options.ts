import { parse as parseYaml } from "yaml";
import type { FieldValidation, WriteOptions } from "./api-context.js";
import { badRequest, invalid, unsupportedMediaType } from "./api-error.js";
import type { DeleteOptions } from "./delete.js";
import { notSupported, tooLong } from "./field-errors.js";
import { isObject, type Json } from "./json.js";
import type { ListOptions } from "./list.js";
import { isTrue } from "./request-info.js";

/** k8s derives a default field manager from the User-Agent: everything before the first "/". */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const prefix = (userAgent ?? "").split("/")[0]?.trim() ?? "";
  return (prefix || "unknown").slice(0, 128);
}

export function writeOptions(
  q: URLSearchParams,
  userAgent: string | undefined,
): WriteOptions & { explicitManager: boolean } {
  const dryRun = q.getAll("dryRun");
  for (const value of dryRun) {
    if (value !== "All")
      throw invalid({ group: "meta.k8s.io", kind: "UpdateOptions" }, "", [
        notSupported("dryRun", value, ["All"]),
      ]);
  }
  const manager = q.get("fieldManager");
  if (manager !== null && Buffer.byteLength(manager) > 128) {
    throw invalid({ group: "meta.k8s.io", kind: "UpdateOptions" }, "", [tooLong("fieldManager", 128)]);
  }
  const validation = q.get("fieldValidation") ?? "Warn";
  if (!["Ignore", "Warn", "Strict"].includes(validation)) {
    throw badRequest(
      `fieldValidation: Invalid value: ${JSON.stringify(validation)}: must be one of Ignore, Warn, or Strict`,
    );
  }
  return {
    dryRun: dryRun.length > 0,
    manager: manager || managerFromUserAgent(userAgent),
    explicitManager: manager !== null && manager !== "",
    fieldValidation: validation as FieldValidation,
  };
}

export function forceOption(q: URLSearchParams): boolean | undefined {
  const value = q.get("force");
  if (value === null) return undefined;
  if (value !== "true" && value !== "false")
    throw badRequest(`force: invalid boolean ${JSON.stringify(value)}`);
  return value === "true";
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const value = q.get(name);
  if (value === null || value === "") return undefined;
  if (!/^[0-9]+$/.test(value))
    throw badRequest(`${name}: Invalid value: ${JSON.stringify(value)}: must be a non-negative integer`);
  return Number(value);
}

export function listOptions(q: URLSearchParams): ListOptions & { timeoutSeconds?: number } {
  return {
    labelSelector: q.get("labelSelector") ?? undefined,
    fieldSelector: q.get("fieldSelector") ?? undefined,
    limit: intParam(q, "limit"),
    continue: q.get("continue") || undefined,
    resourceVersion: q.get("resourceVersion") ?? undefined,
    resourceVersionMatch: q.get("resourceVersionMatch") ?? undefined,
    timeoutSeconds: intParam(q, "timeoutSeconds"),
  };
}

export const watchFlags = (q: URLSearchParams): { allowBookmarks: boolean; sendInitialEvents: boolean } => ({
  allowBookmarks: isTrue(q.get("allowWatchBookmarks")),
  sendInitialEvents: isTrue(q.get("sendInitialEvents")),
});

const POLICIES = ["Orphan", "Background", "Foreground"] as const;

function policy(value: Json | string | null | undefined): DeleteOptions["propagationPolicy"] {
  if (value === null || value === undefined || value === "") return undefined;
  if (typeof value !== "string" || !(POLICIES as readonly string[]).includes(value)) {
    throw invalid({ group: "meta.k8s.io", kind: "DeleteOptions" }, "", [
      notSupported("propagationPolicy", value, [...POLICIES]),
    ]);
  }
  return value as DeleteOptions["propagationPolicy"];
}

/** DeleteOptions come from the query string and/or a JSON body (client-node sends a body). */
export function deleteOptions(q: URLSearchParams, body: Json | undefined): DeleteOptions {
  const b = isObject(body) ? body : {};
  const pre = isObject(b.preconditions) ? b.preconditions : {};
  const orphanQuery = q.get("orphanDependents");
  const orphan =
    orphanQuery !== null
      ? orphanQuery === "true"
      : typeof b.orphanDependents === "boolean"
        ? b.orphanDependents
        : undefined;
  const propagationPolicy = policy(q.get("propagationPolicy") ?? b.propagationPolicy);
  if (orphan !== undefined && propagationPolicy !== undefined) {
    throw invalid({ group: "meta.k8s.io", kind: "DeleteOptions" }, "", [
      {
        type: "FieldValueInvalid",
        field: "propagationPolicy",
        value: propagationPolicy,
        detail: "orphanDependents and deletionPropagation cannot be both set",
      },
    ]);
  }
  const dryRun = q.getAll("dryRun").length > 0 || (Array.isArray(b.dryRun) && b.dryRun.length > 0);
  return {
    dryRun,
    propagationPolicy,
    orphanDependents: orphan,
    preconditions: {
      uid: typeof pre.uid === "string" ? pre.uid : undefined,
      resourceVersion: typeof pre.resourceVersion === "string" ? pre.resourceVersion : undefined,
    },
  };
}

/** Decodes a POST/PUT body: JSON (the default) or YAML; protobuf and others are 415. */
export function decodeObjectBody(raw: string, contentType: string | undefined, kind: string): Json {
  const type = (contentType ?? "application/json").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/yaml") {
    try {
      return JSON.parse(
        JSON.stringify(parseYaml(raw, { maxAliasCount: 100, logLevel: "error" }) ?? null),
      ) as Json;
    } catch (err) {
      throw badRequest(`error converting YAML to JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (type !== "application/json" && type !== "" && type !== "*/*") {
    throw unsupportedMediaType(type, ["application/json", "application/yaml"]);
  }
  try {
    return JSON.parse(raw) as Json;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw badRequest(
      `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${why}`,
    );
  }
}
