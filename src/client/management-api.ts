import {
  ApiError,
  type AccessToken,
  type AuditEvent,
  type CreateAccessTokenBody,
  type CreateResourceBody,
  type CreateUserBody,
  type DefaultPermissions,
  type IssuedAccessToken,
  type Page,
  type RegenerateAccessTokenBody,
  type Resource,
  type UpdateAccessTokenBody,
  type UpdateResourceBody,
  type User,
  type VerifyBody,
  type VerifyResult,
} from "../api/index.js";
import { call, type Connection } from "./http-request.js";
import { httpTokenServerApi } from "./http-token-server-api.js";

/**
 * Every management call of the token server as one caller makes it (a person with the CLI,
 * a script): the whole API, where `TokenServerApi` holds only what the operator needs.
 */
export interface ManagementApi {
  self(): Promise<User>;
  selfToken(): Promise<AccessToken>;
  listUsers(query?: { name?: string }): Promise<User[]>;
  getUser(userId: string): Promise<User>;
  /** The user with exactly this name, if any. */
  findUser(name: string): Promise<User | undefined>;
  createUser(body: CreateUserBody): Promise<User>;
  deleteUser(userId: string): Promise<void>;
  listTokens(userId: string): Promise<AccessToken[]>;
  getToken(userId: string, tokenId: string): Promise<AccessToken>;
  createToken(userId: string, body: CreateAccessTokenBody): Promise<IssuedAccessToken>;
  updateToken(userId: string, tokenId: string, body: UpdateAccessTokenBody): Promise<AccessToken>;
  regenerateToken(
    userId: string,
    tokenId: string,
    body: RegenerateAccessTokenBody,
  ): Promise<IssuedAccessToken>;
  deleteToken(userId: string, tokenId: string): Promise<void>;
  listResources(): Promise<Resource[]>;
  getResource(name: string): Promise<Resource>;
  createResource(body: CreateResourceBody): Promise<Resource>;
  updateResource(name: string, body: UpdateResourceBody): Promise<Resource>;
  deleteResource(name: string): Promise<void>;
  getDefaultPermissions(): Promise<DefaultPermissions>;
  setDefaultPermissions(body: DefaultPermissions): Promise<DefaultPermissions>;
  /** Newest first, at most `limit` events (following pages as needed). */
  listAuditEvents(query: { actor?: string; tokenId?: string; limit: number }): Promise<AuditEvent[]>;
  verify(body: VerifyBody): Promise<VerifyResult>;
  /** `subscribe=true` on a user's tokens (current state as ADDED, then changes). */
  watchTokens: ReturnType<typeof httpTokenServerApi>["watchTokens"];
}

/**
 * `undefined` for 404: for whoever reconciles (the Terraform provider), "it is gone" is an
 * answer, not an error. Every other refusal still throws.
 */
export async function orMissing<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

const enc = encodeURIComponent;
const PAGE = 500;

function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export function managementApi(conn: Connection): ManagementApi {
  const get = <T>(path: string) => call<T>(conn, { method: "GET", path });
  /** Follows `nextCursor` until the last page or `max` items. */
  const all = async <T>(path: string, query: Record<string, string | undefined> = {}, max = Infinity) => {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const limit = Math.min(PAGE, max - items.length);
      const page = await get<Page<T>>(withQuery(path, { ...query, limit, cursor }));
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && items.length < max);
    return items.slice(0, max);
  };
  const tokensOf = (userId: string) => `/api/v1/users/${enc(userId)}/access-tokens`;
  const tokenPath = (userId: string, tokenId: string) => `${tokensOf(userId)}/${enc(tokenId)}`;

  return {
    self: () => get<User>("/api/v1/user"),
    selfToken: () => get<AccessToken>("/api/v1/access-tokens/self"),
    listUsers: (query = {}) => all<User>("/api/v1/users", query),
    getUser: (userId) => get<User>(`/api/v1/users/${enc(userId)}`),
    findUser: async (name) =>
      (await get<Page<User>>(withQuery("/api/v1/users", { name }))).items.find((u) => u.name === name),
    createUser: (body) => call<User>(conn, { method: "POST", path: "/api/v1/users", body }),
    deleteUser: (userId) => call<void>(conn, { method: "DELETE", path: `/api/v1/users/${enc(userId)}` }),
    listTokens: (userId) => all<AccessToken>(tokensOf(userId)),
    getToken: (userId, tokenId) => get<AccessToken>(tokenPath(userId, tokenId)),
    createToken: (userId, body) =>
      call<IssuedAccessToken>(conn, { method: "POST", path: tokensOf(userId), body }),
    updateToken: (userId, tokenId, body) =>
      call<AccessToken>(conn, { method: "PATCH", path: tokenPath(userId, tokenId), body }),
    regenerateToken: (userId, tokenId, body) =>
      call<IssuedAccessToken>(conn, {
        method: "POST",
        path: `${tokenPath(userId, tokenId)}/regenerate`,
        body,
      }),
    deleteToken: (userId, tokenId) =>
      call<void>(conn, { method: "DELETE", path: tokenPath(userId, tokenId) }),
    // The registry is small and answered whole (no pages).
    listResources: async () => (await get<{ items: Resource[] }>("/api/v1/resources")).items,
    getResource: (name) => get<Resource>(`/api/v1/resources/${enc(name)}`),
    createResource: (body) => call<Resource>(conn, { method: "POST", path: "/api/v1/resources", body }),
    updateResource: (name, body) =>
      call<Resource>(conn, { method: "PATCH", path: `/api/v1/resources/${enc(name)}`, body }),
    deleteResource: (name) => call<void>(conn, { method: "DELETE", path: `/api/v1/resources/${enc(name)}` }),
    getDefaultPermissions: () => get<DefaultPermissions>("/api/v1/settings/default-permissions"),
    setDefaultPermissions: (body) =>
      call<DefaultPermissions>(conn, { method: "PUT", path: "/api/v1/settings/default-permissions", body }),
    listAuditEvents: ({ limit, ...query }) => all<AuditEvent>("/api/v1/audit-events", query, limit),
    verify: (body) => call<VerifyResult>(conn, { method: "POST", path: "/api/v1/verify", body }),
    watchTokens: (userId) => httpTokenServerApi(conn).watchTokens(userId),
  };
}
