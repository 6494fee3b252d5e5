import { useEffect, useState } from "preact/hooks";
import type { AuditEvent } from "../api/index.js";
import type { Api } from "./api-client.js";
import { durationMs } from "./format.js";

const MAX_GRACE_MS = 30 * 86_400_000;
const MAX_PAGES = 4;

/**
 * When each token's superseded secret stops working, from the audit log: a token's latest
 * `token.regenerate` ends every earlier secret at its time plus its `gracePeriod` (or at once
 * without one). The token API does not say this itself; the audit log is the server's record
 * of it. Only the last 30 days matter (the longest grace period), read a few pages at most.
 */
export async function graceUntilByToken(api: Api, now = Date.now()): Promise<Map<string, string>> {
  const latest = new Map<string, AuditEvent>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, nextCursor } = await api.auditEvents({ cursor, limit: 500 });
    for (const e of items) {
      if (e.action === "token.regenerate" && e.target.id && !latest.has(e.target.id))
        latest.set(e.target.id, e);
    }
    const oldest = items.at(-1);
    if (!nextCursor || !oldest || Date.parse(oldest.at) < now - MAX_GRACE_MS) break;
    cursor = nextCursor;
  }
  const out = new Map<string, string>();
  for (const [tokenId, e] of latest) {
    const grace = e.details.gracePeriod;
    if (typeof grace !== "string") continue;
    const until = Date.parse(e.at) + durationMs(grace);
    if (until > now) out.set(tokenId, new Date(until).toISOString());
  }
  return out;
}

/** graceUntilByToken, read again (at most once a second) whenever `changes` moves. */
export function useGracePeriods(api: Api, enabled: boolean, changes: number): Map<string, string> {
  const [grace, setGrace] = useState(new Map<string, string>());
  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    const timer = setTimeout(() => {
      graceUntilByToken(api).then(
        (m) => !cancelled && setGrace(m),
        // Without the audit log the state column just does not show grace periods.
        () => undefined,
      );
    }, 300);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [api, enabled, changes]);
  return grace;
}
