import { isObject, type Json, type JsonObject } from "./json.js";

/**
 * events.k8s.io/v1 Events are a second view of the core/v1 Events the server stores; these are
 * the field renames the real conversion makes (regarding <-> involvedObject, note <-> message...).
 */
const RENAMES: [v1: string, core: string][] = [
  ["regarding", "involvedObject"],
  ["note", "message"],
  ["reportingController", "reportingComponent"],
  ["deprecatedSource", "source"],
  ["deprecatedFirstTimestamp", "firstTimestamp"],
  ["deprecatedLastTimestamp", "lastTimestamp"],
  ["deprecatedCount", "count"],
];
const SAME = ["metadata", "reason", "type", "action", "related", "reportingInstance", "eventTime", "series"];

function copyFields(from: JsonObject, pairs: [string, string][]): JsonObject {
  const out: JsonObject = {};
  for (const [src, dst] of pairs) {
    const value: Json | undefined = from[src];
    if (value !== undefined) out[dst] = value;
  }
  return out;
}

export function eventsV1ToCore(obj: JsonObject): JsonObject {
  const out = copyFields(obj, [...RENAMES, ...SAME.map((f): [string, string] => [f, f])]);
  return { apiVersion: "v1", kind: "Event", ...out };
}

export function coreToEventsV1(obj: JsonObject): JsonObject {
  const back = RENAMES.map(([v1, core]): [string, string] => [core, v1]);
  const out = copyFields(obj, [...back, ...SAME.map((f): [string, string] => [f, f])]);
  if (!isObject(out.metadata)) out.metadata = {};
  return { apiVersion: "events.k8s.io/v1", kind: "Event", ...out };
}
