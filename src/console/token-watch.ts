import { useEffect, useRef, useState } from "preact/hooks";
import type { AccessToken } from "../api/index.js";
import { type Api, ProblemError } from "./api-client.js";

export type WatchStatus = "connecting" | "live" | "reconnecting" | "refused";

const RETRY_MS = [500, 1000, 2000, 5000, 10_000];

/**
 * A user's tokens, kept current by the `subscribe=true` stream. A dropped stream is reopened
 * (with backoff); the server then sends the whole current state again, which replaces ours,
 * so tokens deleted meanwhile disappear too. A refusal (401/403/404) stops it.
 *
 * The server announces uses (lastUsedAt, at most once a minute per token) but not credits
 * spent, which would flood every stream from the verify hot path. So the stream is also
 * reopened when the tab becomes visible again, which brings credits up to date.
 */
export function useTokenWatch(api: Api, userId: string) {
  const tokens = useRef(new Map<string, AccessToken>());
  const [version, setVersion] = useState(0);
  const [status, setStatus] = useState<WatchStatus>("connecting");
  const [error, setError] = useState<ProblemError | undefined>(undefined);
  const [generation, setGeneration] = useState(0);
  const watching = useRef<string | undefined>(undefined);

  useEffect(() => {
    const refresh = () => {
      if (document.visibilityState === "visible") setGeneration((g) => g + 1);
    };
    document.addEventListener("visibilitychange", refresh);
    return () => document.removeEventListener("visibilitychange", refresh);
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Another user's tokens start from nothing; a reopened stream replaces the table when it answers.
    if (watching.current !== userId) {
      watching.current = userId;
      tokens.current = new Map();
      setVersion((v) => v + 1);
      setStatus("connecting");
    }
    setError(undefined);

    const open = () => {
      let fresh = true;
      api
        .watchTokens(
          userId,
          {
            onOpen: () => {
              attempt = 0;
              setStatus("live");
              setError(undefined);
            },
            onEvents: (events) => {
              // The first events after (re)connecting are the current state: start over.
              const changed = fresh || events.some((e) => e.type !== "HEARTBEAT");
              const map = fresh ? new Map<string, AccessToken>() : tokens.current;
              fresh = false;
              for (const e of events) {
                if (e.type === "HEARTBEAT") continue;
                if (e.type === "DELETED") map.delete(e.object.id);
                else map.set(e.object.id, e.object);
              }
              tokens.current = map;
              // Heartbeats change nothing: no render, and `version` counts only real changes.
              if (changed) setVersion((v) => v + 1);
            },
          },
          abort.signal,
        )
        .then(
          () => retry(),
          (err: unknown) => {
            if (abort.signal.aborted) return;
            if (err instanceof ProblemError && [401, 403, 404].includes(err.status)) {
              setStatus("refused");
              setError(err);
              return;
            }
            retry();
          },
        );
    };
    const retry = () => {
      if (abort.signal.aborted) return;
      setStatus("reconnecting");
      timer = setTimeout(open, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
    };
    open();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [api, userId, generation]);

  return { tokens: tokens.current, version, status, error };
}
