import {
  ApiError,
  CreateAccessTokenBody,
  CreateResourceBody,
  CreateUserBody,
  ListTokensQuery,
  ListUsersQuery,
  RegenerateAccessTokenBody,
  type TokenServerApi,
  UpdateAccessTokenBody,
  UpdateResourceBody,
  VerifyBody,
} from "../api/index.js";
import type { Caller } from "./domain/caller.js";
import { DomainError, notFound } from "./domain/errors.js";
import { registryService } from "./domain/registry-service.js";
import type { Store } from "./domain/store.js";
import { StoreError } from "./domain/store-faults.js";
import { watchTokens } from "./domain/token-watch.js";
import type { IssuedToken, TokenService } from "./domain/token-service.js";
import type { UserService } from "./domain/user-service.js";
import type { Verifier } from "./domain/verifier.js";
import { ResourceParams, TokenParams, UserParams } from "./edge/params.js";
import { problemOf } from "./edge/problem.js";
import { checkedBody, validBody, validParams, validQuery } from "./edge/validate.js";
import { verifyResult } from "./edge/verify-view.js";
import { resourceView, tokenView, userView } from "./edge/views.js";

/** Domain refusals become the same ApiError an HTTP client would see. */
async function asApi<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) {
      const body = problemOf(err);
      throw new ApiError(body.status, body);
    }
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

/**
 * The token server API without HTTP, for the embedded operator: same rules, same errors.
 * Every input passes the checks the HTTP routes run (edge/validate.ts), in the same order:
 * path parameters, query, body.
 */
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
  const user = (userId: string) => validParams(UserParams, { userId }).userId;
  const token = (userId: string, tokenId: string) => validParams(TokenParams, { userId, tokenId });
  const resource = (name: string) => validParams(ResourceParams, { name }).name;
  return {
    // As the HTTP client does: look the name up (GET /users?name=), create it when missing.
    ensureUser: (name) =>
      asApi(async () => {
        validQuery(ListUsersQuery, { name });
        const existing = await store.users.findByName(name);
        if (existing) return userView(existing);
        try {
          return userView(await users.create(caller, validBody(CreateUserBody, { name })));
        } catch (err) {
          const taken = err instanceof StoreError && err.fault.kind === "user-name-taken";
          const raced = taken ? await store.users.findByName(name) : null;
          if (raced) return userView(raced);
          throw err;
        }
      }),
    createToken: (userId, body) =>
      asApi(async () => {
        const id = user(userId);
        return issued(await tokens.create(caller, id, validBody(CreateAccessTokenBody, body)));
      }),
    getToken: (userId, tokenId) =>
      orUndefined(async () => {
        const p = token(userId, tokenId);
        return tokenView(await tokens.get(caller, p.userId, p.tokenId));
      }),
    findTokenByExternalId: (userId, externalId) =>
      asApi(async () => {
        const id = user(userId);
        const query = validQuery(ListTokensQuery, { externalId });
        const found = await tokens.findByExternalId(caller, id, query.externalId ?? externalId);
        return found ? tokenView(found) : undefined;
      }),
    updateToken: (userId, tokenId, body) =>
      asApi(async () => {
        const p = token(userId, tokenId);
        const changes = validBody(UpdateAccessTokenBody, body);
        return tokenView(await tokens.update(caller, p.userId, p.tokenId, changes));
      }),
    regenerateToken: (userId, tokenId, body) =>
      asApi(async () => {
        const p = token(userId, tokenId);
        const options = validBody(RegenerateAccessTokenBody, body);
        return issued(await tokens.regenerate(caller, p.userId, p.tokenId, options));
      }),
    revokeToken: async (userId, tokenId) =>
      (await orUndefined(async () => {
        const p = token(userId, tokenId);
        await tokens.revoke(caller, p.userId, p.tokenId);
        return true;
      })) ?? false,
    verify: (body) =>
      asApi(async () => {
        // As POST /api/v1/verify: the schema only (nothing of it is stored).
        const input = checkedBody(VerifyBody, body);
        return verifyResult(await deps.verifier.verify(input), deps.now(), input.permission);
      }),
    watchTokens: (userId) => {
      // A malformed id ends the watch at once with the 404 the HTTP stream would answer.
      const valid = UserParams.safeParse({ userId });
      if (valid.success) return watchTokens(store, valid.data, tokenView);
      const refused = new ApiError(404, problemOf(notFound("user")));
      return { next: () => Promise.reject(refused), close: () => undefined };
    },
    getResource: (name) => orUndefined(async () => resourceView(await registry.get(caller, resource(name)))),
    createResource: (body) =>
      asApi(async () => resourceView(await registry.create(caller, validBody(CreateResourceBody, body)))),
    updateResource: (name, body) =>
      asApi(async () => {
        const target = resource(name);
        return resourceView(await registry.update(caller, target, validBody(UpdateResourceBody, body)));
      }),
    deleteResource: async (name) =>
      (await orUndefined(async () => {
        await registry.delete(caller, resource(name));
        return true;
      })) ?? false,
    ready: () => asApi(() => store.ping()),
  };
}
