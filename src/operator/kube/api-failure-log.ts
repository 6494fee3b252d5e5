import type { Logger } from "pino";
import { API_GROUP } from "../../crd/index.js";
import { KubeError } from "./client.js";

export const INSTALL_CRDS_HINT = "tokenplane crds | kubectl apply --server-side -f -";

/**
 * Turns the failures of many API callers (each cache, the leader elector) into few, useful log
 * lines. Every cache retries on its own, so without this a first run without CRDs, or an API
 * server that is down, prints one warning per cache per retry and buries the cause.
 *
 * - A 404 listing a tokenplane resource means its CRD is not installed: said once, with how
 *   to install them; the callers keep retrying with their backoff, quietly.
 * - A connection failure or a 5xx means the API server is unreachable: one summary line naming
 *   its URL per backoff round (the first failure of a round logs; the rest of the round is quiet).
 * - Anything else (403, say) is specific to the caller and logged as such.
 */
export interface ApiFailureLog {
  /** `what` (a resource name, "leases") failed; its caller retries in `retryInMs`. */
  failed(what: string, err: unknown, retryInMs: number): void;
  /** `what` succeeded: a missing CRD is now served, or the API server answers again. */
  succeeded(what: string): void;
  /** The tokenplane resources whose list answered 404 (their CRDs are missing). */
  missingCrds(): string[];
}

/** Errors of the connection (refused, reset, DNS, timeouts) or an API server answering 5xx. */
function unreachable(err: unknown): boolean {
  if (err instanceof KubeError) return err.status === 0 || err.status >= 500;
  return err instanceof Error;
}

function missingCrd(what: string, err: unknown): boolean {
  return err instanceof KubeError && err.status === 404 && what.endsWith(`.${API_GROUP}`);
}

export function createApiFailureLog(options: {
  server: string;
  log: Logger;
  /** The longest quiet round (the callers' longest backoff). */
  maxRoundMs: number;
  now?: () => number;
}): ApiFailureLog {
  const { server, log, maxRoundMs } = options;
  const now = options.now ?? Date.now;
  const missing = new Set<string>();
  let crdHintGiven = false;
  const down = new Set<string>();
  /** Until when the current round of unreachable failures stays quiet, and how long it was. */
  let quietUntil = 0;
  let round = 0;
  let suppressed = 0;

  return {
    failed(what, err, retryInMs) {
      const message = err instanceof Error ? err.message : String(err);
      if (missingCrd(what, err)) {
        missing.add(what);
        if (!crdHintGiven) {
          crdHintGiven = true;
          log.error(
            { resource: what, server },
            `the tokenplane CRDs are not installed (listing ${what} answered 404 Not Found). ` +
              `Install them with: ${INSTALL_CRDS_HINT} ` +
              `(or install the Helm chart, which includes them). Waiting for them; retrying with backoff.`,
          );
        } else log.debug({ resource: what, retryInMs }, "CRD still not installed");
        return;
      }
      if (unreachable(err)) {
        down.add(what);
        // The cause without the request ("GET /apis/...: connect ECONNREFUSED ..."): the same for every caller.
        const cause = message.replace(/^[A-Z]+ \S+: /, "");
        const at = now();
        if (at >= quietUntil) {
          // Rounds grow like the callers' backoff, even when one caller (the Lease) retries fast.
          round = Math.min(maxRoundMs, Math.max(retryInMs, round * 2));
          quietUntil = at + round;
          log.warn(
            { server, err: cause, failedRequests: suppressed + 1, nextSummaryInMs: round },
            `Kubernetes API server ${server} is unreachable (${cause}); retrying with backoff`,
          );
          suppressed = 0;
        } else {
          suppressed++;
          log.debug({ resource: what, err: message, retryInMs }, "API request failed; retrying");
        }
        return;
      }
      log.warn({ resource: what, err: message, retryInMs }, `${what}: request failed; retrying`);
    },
    succeeded(what) {
      if (down.delete(what) && down.size === 0) {
        quietUntil = 0;
        round = 0;
        suppressed = 0;
        log.info({ server }, `Kubernetes API server ${server} answers again`);
      }
      if (missing.delete(what)) {
        log.info({ resource: what }, `CRD for ${what} found`);
        // A later removal of the CRDs gets the full explanation again.
        if (missing.size === 0) crdHintGiven = false;
      }
    },
    missingCrds: () => [...missing].sort(),
  };
}
