import { invalid, required, type FieldError } from "./field-errors.js";
import { isObject, type Json, type JsonObject } from "./json.js";
import { qualifiedNameErrors } from "./metadata-validation.js";
import { eventsV1ToCore } from "./event-conversion.js";
import { checkMicroTime } from "./micro-time.js";
import { namespaceOf } from "./object-meta.js";

/*
 * Event validation as pkg/apis/core/validation/events.go does it, on the stored (core/v1) shape.
 * core/v1 writes get the legacy checks only: without an eventTime, just the namespaces; with one,
 * also who reported it and why. events.k8s.io/v1 creates get the strict checks on top.
 */

const LIMIT_128 = 128;
const NOTE_LIMIT = 1024;
const str = (v: Json | undefined): string => (typeof v === "string" ? v : "");
const isSet = (v: Json | undefined): boolean => v !== undefined && v !== null && v !== "" && v !== 0;

function legacyErrors(event: JsonObject, controllerField: string): FieldError[] {
  const errs: FieldError[] = [];
  const involved = isObject(event.involvedObject) ? event.involvedObject : {};
  const involvedNs = str(involved.namespace);
  const ns = namespaceOf(event);
  const mismatch = () =>
    errs.push(invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
  if (!isSet(event.eventTime)) {
    // Events without eventTime come from old clients: a cluster-scoped object's may sit in "default".
    if (involvedNs === "" ? ns !== "" && ns !== "default" : ns !== involvedNs) mismatch();
    return errs;
  }
  if (involvedNs === "" && ns !== "default" && ns !== "kube-system") mismatch();
  const controller = str(event.reportingComponent);
  if (controller === "") errs.push(required(controllerField));
  for (const e of qualifiedNameErrors(controller)) errs.push(invalid(controllerField, controller, e));
  const instance = str(event.reportingInstance);
  if (instance === "") errs.push(required("reportingInstance"));
  if (instance.length > LIMIT_128)
    errs.push(invalid("reportingInstance", "", `can have at most ${LIMIT_128} characters`));
  for (const field of ["action", "reason"]) {
    const v = str(event[field]);
    if (v === "") errs.push(required(field));
    if (v.length > LIMIT_128) errs.push(invalid(field, "", `can have at most ${LIMIT_128} characters`));
  }
  if (str(event.message).length > NOTE_LIMIT) {
    errs.push(invalid("message", "", `can have at most ${NOTE_LIMIT} characters`));
  }
  return errs;
}

/** core/v1 Events: the legacy checks only. */
export function validateCoreEvent(obj: JsonObject): FieldError[] {
  checkMicroTime(obj.eventTime, "Event", "v1");
  return legacyErrors(obj, "reportingComponent");
}

/** events.k8s.io/v1 Events (given in their own shape): legacy checks, then the strict ones on create. */
export function validateEventsV1(obj: JsonObject, old: JsonObject | undefined): FieldError[] {
  checkMicroTime(obj.eventTime, "Event", "events.k8s.io/v1");
  const event = eventsV1ToCore(obj);
  const errs = legacyErrors(event, "reportingController");
  if (old) return errs;
  if (!isSet(event.eventTime)) errs.push(required("eventTime"));
  const type = str(event.type);
  if (type !== "Normal" && type !== "Warning") errs.push(invalid("type", "", `has invalid value: ${type}`));
  for (const field of ["firstTimestamp", "lastTimestamp", "count"]) {
    if (isSet(event[field])) errs.push(invalid(field, "", "needs to be unset"));
  }
  const source = isObject(event.source) ? event.source : {};
  if (isSet(source.component) || isSet(source.host)) errs.push(invalid("source", "", "needs to be unset"));
  return errs;
}
