import { ApiError } from "../api/index.js";
import { isRefused, KubeError, retryAfterMs } from "./kube/client.js";
import { ServerProblem } from "./server-registry.js";

/** A failed reconcile, as a condition reason and message. */
export interface Failure {
  reason: string;
  message: string;
  /** Likely to pass by itself (an outage), as opposed to needing someone to change something. */
  transient: boolean;
  /** The Kubernetes API failed: status cannot be written reliably either. */
  kubernetes: boolean;
  /** The API server asked not to be tried again before this (Retry-After). */
  retryAfterMs?: number;
}

function problemMessage(err: ApiError): string {
  const fields = (err.problem.errors ?? []).map((e) => `${e.field}: ${e.message}`);
  return fields.length > 0 ? fields.join("; ") : (err.problem.detail ?? err.problem.title);
}

/** The resources a refusal names as not registered (`unknown resource "orders"`), if that is why. */
function unregisteredResources(err: ApiError): string[] {
  if (err.status !== 422) return [];
  const names = (err.problem.errors ?? []).flatMap((e) => {
    const m = /unknown resource "([^"]+)"/.exec(e.message);
    return m ? [m[1]!] : [];
  });
  return [...new Set(names)];
}

export function classifyFailure(err: unknown): Failure {
  if (err instanceof ServerProblem)
    return { reason: err.reason, message: err.message, transient: false, kubernetes: false };
  if (err instanceof ApiError) {
    const message = `token server: ${problemMessage(err)}`;
    if (err.status === 401 || err.status === 403)
      return { reason: "ServerUnauthorized", message, transient: false, kubernetes: false };
    if (err.status === 429 || err.status >= 500 || err.status === 0)
      return { reason: "ServerUnavailable", message, transient: true, kubernetes: false };
    const unregistered = unregisteredResources(err);
    // Waits (retried with backoff, and at once when a TokenResource is registered).
    if (unregistered.length > 0)
      return {
        reason: "ResourceNotRegistered",
        message: unregistered
          .map((r) => `resource ${r} is not registered; create a TokenResource named ${r}`)
          .join("; "),
        transient: false,
        kubernetes: false,
      };
    return { reason: "ServerRejected", message, transient: false, kubernetes: false };
  }
  // The API server refused the request itself (invalid, forbidden, too large): it refuses it
  // again until something changes, so it is said where the user looks (its message names the
  // field), not only retried.
  if (isRefused(err))
    return {
      reason: "KubernetesRejected",
      message: `Kubernetes API: ${err.message}`,
      transient: false,
      kubernetes: false,
    };
  if (err instanceof KubeError) {
    const wait = retryAfterMs(err);
    return {
      reason: "KubernetesApiError",
      message: `Kubernetes API: ${err.message}`,
      transient: true,
      kubernetes: true,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    };
  }
  return {
    reason: "ServerUnavailable",
    message: `token server: ${(err as Error)?.message ?? String(err)}`,
    transient: true,
    kubernetes: false,
  };
}
