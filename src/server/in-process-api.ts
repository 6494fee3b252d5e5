import { ApiError, type TokenServerApi } from "../api/index.js";
import type { Caller } from "./domain/caller.js";
import { DomainError } from "./domain/errors.js";
import { registryService } from "./domain/registry-service.js";
import { watchTokens } from "./domain/token-watch.js";
import type { IssuedToken, TokenService } from "./domain/token-service.js";
import type { UserService } from "./domain/user-service.js";
import type { Verifier } from "./domain/verifier.js";
import { verifyResult } from "./http/verify-view.js";
import { problem } from "./http/problem.js";
import { resourceView, tokenView, userView } from "./http/views.js";
import type { Store } from "./store/store.js";

/** Domain refusals become the same ApiError an HTTP client would see. */
async function asApi<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError)
      throw new ApiError(err.status, problem(err.status, err.title, err.message, err.extra));
    throw err;
  }
}

async function orUndefined<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await asApi(work);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

const issued = (i: IssuedToken) => ({
  ...tokenView(i.record),
  token: i.plain,
  ...(i.privateKey ? { privateKey: i.privateKey } : {}),
});

/** The token server API without HTTP, for the embedded operator: same rules, same errors. */
export function inProcessApi(deps: {
  store: Store;
  tokens: TokenService;
  users: UserService;
  verifier: Verifier;
  now: () => number;
  caller: Caller;
}): TokenServerApi {
  const { store, tokens, users, caller } = deps;
  const registry = registryService(store);
  return {
    ensureUser: (name) =>
      asApi(async () => {
        const existing = await store.users.findByName(name);
        if (existing) return userView(existing);
        try {
          return userView(await users.create(caller, { name }));
        } catch (err) {
          const raced =
            err instanceof DomainError && err.status === 409 ? await store.users.findByName(name) : null;
          if (raced) return userView(raced);
          throw err;
        }
      }),
    createToken: (userId, body) => asApi(async () => issued(await tokens.create(caller, userId, body))),
    getToken: (userId, tokenId) =>
      orUndefined(async () => tokenView(await tokens.get(caller, userId, tokenId))),
    findTokenByExternalId: (userId, externalId) =>
      asApi(async () => {
        const found = await tokens.findByExternalId(caller, userId, externalId);
        return found ? tokenView(found) : undefined;
      }),
    updateToken: (userId, tokenId, body) =>
      asApi(async () => tokenView(await tokens.update(caller, userId, tokenId, body))),
    regenerateToken: (userId, tokenId, body) =>
      asApi(async () => issued(await tokens.regenerate(caller, userId, tokenId, body))),
    revokeToken: async (userId, tokenId) =>
      (await orUndefined(async () => {
        await tokens.revoke(caller, userId, tokenId);
        return true;
      })) ?? false,
    verify: async (body) => verifyResult(await deps.verifier.verify(body), deps.now(), body.permission),
    watchTokens: (userId) => watchTokens(store, { userId }, tokenView),
    getResource: (name) => orUndefined(async () => resourceView(await registry.get(caller, name))),
    createResource: (body) => asApi(async () => resourceView(await registry.create(caller, body))),
    updateResource: (name, body) =>
      asApi(async () => resourceView(await registry.update(caller, name, body))),
    deleteResource: async (name) =>
      (await orUndefined(async () => {
        await registry.delete(caller, name);
        return true;
      })) ?? false,
    ready: () => asApi(() => store.db.ping()),
  };
}
