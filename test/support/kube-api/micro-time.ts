import { badRequest } from "./api-error.js";
import type { Json } from "./json.js";

/** metav1.MicroTime on the wire: RFC 3339 with exactly six fractional digits. */
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(?:Z|[+-]\d\d:\d\d)$/;

/**
 * A MicroTime field (Event eventTime, Lease acquireTime/renewTime) the real decoder cannot read
 * is a 400 before validation; null or absent is fine.
 */
export function checkMicroTime(value: Json | undefined, kind: string, version: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "string" || !MICRO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw badRequest(
      `${kind} in version "${version}" cannot be handled as a ${kind}: parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse`,
    );
  }
}
