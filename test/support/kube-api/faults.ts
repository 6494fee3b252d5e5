import type { ApiError } from "./api-error.js";
import {
  conflict,
  expired,
  internalError,
  OPTIMISTIC_LOCK_MESSAGE,
  serviceUnavailable,
  timeoutError,
  tooManyRequests,
} from "./api-error.js";
import type { RequestInfo } from "./request-info.js";

/** Which requests an injected fault answers, and with what. */
export interface FaultRule {
  /** HTTP method, e.g. "PUT"; any when omitted. */
  method?: string;
  /** A path prefix (string) or a pattern tested against the URL path. */
  path?: string | RegExp;
  /** Kubernetes verb (get, list, watch, create, update, patch, delete...). */
  verb?: string;
  /** Resource name (plural), e.g. "accesstokens". */
  resource?: string;
  /** Only requests to this subresource ("status"); "" for the main resource only. */
  subresource?: string;
  status: 409 | 410 | 429 | 500 | 503 | 504;
  /** How many matching requests to answer this way (default 1). */
  count?: number;
  /** For 429: the Retry-After header and details.retryAfterSeconds (default 1). */
  retryAfterSeconds?: number;
}

export interface FaultHandle {
  /** Matching requests still to be failed. */
  remaining(): number;
  /** How many requests this fault has answered. */
  hits(): number;
  cancel(): void;
}

interface ActiveFault {
  rule: FaultRule;
  left: number;
  hits: number;
}

function responseFor(rule: FaultRule, info: RequestInfo): ApiError {
  const gr = { group: info.apiGroup, resource: info.resource || "resource" };
  switch (rule.status) {
    case 409:
      return conflict(gr, info.name || "unknown", OPTIMISTIC_LOCK_MESSAGE);
    case 410:
      return expired("too old resource version: injected fault");
    case 429:
      return tooManyRequests("Too many requests, please try again later.", rule.retryAfterSeconds ?? 1);
    case 500:
      return internalError("injected fault");
    case 503:
      return serviceUnavailable("the server is currently unable to handle the request (injected fault)");
    case 504:
      return timeoutError("the server was unable to return a response in the time allotted (injected fault)");
  }
}

function matches(rule: FaultRule, method: string, info: RequestInfo): boolean {
  if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  if (rule.verb && rule.verb !== info.verb) return false;
  if (rule.resource && rule.resource !== info.resource) return false;
  if (rule.subresource !== undefined && rule.subresource !== info.subresource) return false;
  if (typeof rule.path === "string" && !info.path.startsWith(rule.path)) return false;
  if (rule.path instanceof RegExp && !rule.path.test(info.path)) return false;
  return true;
}

/** Injected failures: the next N matching requests get a real-looking error instead of an answer. */
export class Faults {
  private active: ActiveFault[] = [];

  inject(rule: FaultRule): FaultHandle {
    const fault: ActiveFault = { rule, left: rule.count ?? 1, hits: 0 };
    this.active.push(fault);
    return {
      remaining: () => fault.left,
      hits: () => fault.hits,
      cancel: () => {
        fault.left = 0;
      },
    };
  }

  clear(): void {
    this.active = [];
  }

  /** The injected error for this request, if a fault with hits left matches it. */
  take(method: string, info: RequestInfo): ApiError | undefined {
    this.active = this.active.filter((f) => f.left > 0);
    const fault = this.active.find((f) => matches(f.rule, method, info));
    if (!fault) return undefined;
    fault.left--;
    fault.hits++;
    return responseFor(fault.rule, info);
  }
}
