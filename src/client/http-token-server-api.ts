import type { IncomingMessage } from "node:http";
import {
  ApiError,
  type AccessToken,
  type IssuedAccessToken,
  type Page,
  type Resource,
  type TokenEventStream,
  type TokenServerApi,
  type User,
  type VerifyResult,
  type WatchEvent,
} from "../api/index.js";
import { call, type Connection, open, refusal } from "./http-request.js";

export type { Connection } from "./http-request.js";

/** A watch with no line (not even a heartbeat) for this long is treated as dead. */
const DEFAULT_WATCH_IDLE_MS = 75_000;

const enc = encodeURIComponent;

async function orUndefined<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** The token server API over HTTP(S), for remote servers (TokenServer / ClusterTokenServer). */
export function httpTokenServerApi(conn: Connection & { watchIdleMs?: number }): TokenServerApi {
  const tokensOf = (userId: string) => `/api/v1/users/${enc(userId)}/access-tokens`;

  const findUser = async (name: string) =>
    (await call<Page<User>>(conn, { method: "GET", path: `/api/v1/users?name=${enc(name)}` })).items[0];

  return {
    async ensureUser(name) {
      const existing = await findUser(name);
      if (existing) return existing;
      try {
        return await call<User>(conn, { method: "POST", path: "/api/v1/users", body: { name } });
      } catch (err) {
        const raced = err instanceof ApiError && err.status === 409 ? await findUser(name) : undefined;
        if (raced) return raced;
        throw err;
      }
    },
    createToken: (userId, body) =>
      call<IssuedAccessToken>(conn, { method: "POST", path: tokensOf(userId), body }),
    getToken: (userId, tokenId) =>
      orUndefined(call<AccessToken>(conn, { method: "GET", path: `${tokensOf(userId)}/${enc(tokenId)}` })),
    async findTokenByExternalId(userId, externalId) {
      const page = await call<Page<AccessToken>>(conn, {
        method: "GET",
        path: `${tokensOf(userId)}?externalId=${enc(externalId)}`,
      });
      return page.items[0];
    },
    updateToken: (userId, tokenId, body) =>
      call<AccessToken>(conn, { method: "PATCH", path: `${tokensOf(userId)}/${enc(tokenId)}`, body }),
    regenerateToken: (userId, tokenId, body) =>
      call<IssuedAccessToken>(conn, {
        method: "POST",
        path: `${tokensOf(userId)}/${enc(tokenId)}/regenerate`,
        body,
      }),
    async revokeToken(userId, tokenId) {
      return (
        (await orUndefined(
          call(conn, { method: "DELETE", path: `${tokensOf(userId)}/${enc(tokenId)}` }).then(() => true),
        )) ?? false
      );
    },
    verify: (body) => call<VerifyResult>(conn, { method: "POST", path: "/api/v1/verify", body }),
    watchTokens: (userId) =>
      ndjsonWatch(conn, `${tokensOf(userId)}?subscribe=true`, conn.watchIdleMs ?? DEFAULT_WATCH_IDLE_MS),
    getResource: (name) =>
      orUndefined(call<Resource>(conn, { method: "GET", path: `/api/v1/resources/${enc(name)}` })),
    createResource: (body) => call<Resource>(conn, { method: "POST", path: "/api/v1/resources", body }),
    updateResource: (name, body) =>
      call<Resource>(conn, { method: "PATCH", path: `/api/v1/resources/${enc(name)}`, body }),
    async deleteResource(name) {
      return (
        (await orUndefined(
          call(conn, { method: "DELETE", path: `/api/v1/resources/${enc(name)}` }).then(() => true),
        )) ?? false
      );
    },
    async ready() {
      const res = await open(conn, { method: "GET", path: "/readyz" });
      res.resume();
      if (res.statusCode !== 200)
        throw new ApiError(res.statusCode ?? 0, {
          type: "about:blank",
          title: "Not ready",
          status: res.statusCode ?? 0,
        });
      // Readiness of the server is not enough: the credentials must work too.
      await call<User>(conn, { method: "GET", path: "/api/v1/user" });
    },
  };
}

/**
 * Reads a `subscribe=true` stream. Ends (next() → undefined) when the server closes it,
 * the connection fails, or no line arrives for `idleMs`; the caller reconnects.
 */
function ndjsonWatch(conn: Connection, path: string, idleMs: number): TokenEventStream {
  const pending: WatchEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let response: IncomingMessage | undefined;
  let idle: NodeJS.Timeout | undefined;
  let failure: Error | undefined;

  const end = (err?: Error): void => {
    if (ended) return;
    ended = true;
    failure ??= err;
    clearTimeout(idle);
    response?.destroy();
    wake?.();
  };
  const touch = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => end(new Error(`no event or heartbeat for ${idleMs} ms`)), idleMs);
    idle.unref();
  };

  void (async () => {
    try {
      const res = await open(conn, { method: "GET", path });
      response = res;
      if (res.statusCode !== 200) throw await refusal(res, { method: "GET", path });
      if (ended) return res.destroy();
      touch();
      let buffer = "";
      for await (const chunk of res) {
        touch();
        buffer += (chunk as Buffer).toString("utf8");
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line !== "") pending.push(JSON.parse(line) as WatchEvent);
        }
        wake?.();
      }
      end();
    } catch (err) {
      end(err as Error);
    }
  })();

  return {
    async next() {
      while (pending.length === 0 && !ended) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      const event = pending.shift();
      if (event === undefined && failure && failure instanceof ApiError) throw failure;
      return event;
    },
    close: () => end(),
  };
}
