import {
  ApiError,
  type AccessToken,
  type CreateAccessTokenBody,
  type CreateResourceBody,
  type CreateUserBody,
  type DefaultPermissions,
  type IssuedAccessToken,
  type Page,
  type RegenerateAccessTokenBody,
  type Resource,
  type UpdateAccessTokenBody,
  type User,
} from "../api/index.js";
import { call, type Connection } from "./http-request.js";

const enc = encodeURIComponent;

/** `undefined` for 404: "it is gone" is an answer, not an error, for whoever reconciles. */
async function orMissing<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/**
 * The whole management API over HTTP, one call per endpoint (the Terraform provider's view of
 * the server). Refusals throw ApiError; reads of something missing resolve `undefined`.
 */
export interface ManagementApi {
  currentUser(): Promise<User>;
  getUser(userId: string): Promise<User | undefined>;
  findUser(name: string): Promise<User | undefined>;
  createUser(body: CreateUserBody): Promise<User>;
  deleteUser(userId: string): Promise<boolean>;
  listResources(): Promise<Resource[]>;
  getResource(name: string): Promise<Resource | undefined>;
  createResource(body: CreateResourceBody): Promise<Resource>;
  deleteResource(name: string): Promise<boolean>;
  getDefaultPermissions(): Promise<DefaultPermissions>;
  setDefaultPermissions(body: DefaultPermissions): Promise<DefaultPermissions>;
  getToken(userId: string, tokenId: string): Promise<AccessToken | undefined>;
  selfToken(): Promise<AccessToken>;
  createToken(userId: string, body: CreateAccessTokenBody): Promise<IssuedAccessToken>;
  updateToken(userId: string, tokenId: string, body: UpdateAccessTokenBody): Promise<AccessToken>;
  regenerateToken(
    userId: string,
    tokenId: string,
    body: RegenerateAccessTokenBody,
  ): Promise<IssuedAccessToken>;
  deleteToken(userId: string, tokenId: string): Promise<boolean>;
}

export function httpManagementApi(conn: Connection): ManagementApi {
  const tokens = (userId: string) => `/api/v1/users/${enc(userId)}/access-tokens`;
  const token = (userId: string, tokenId: string) => `${tokens(userId)}/${enc(tokenId)}`;
  const gone = (path: string) =>
    orMissing(call(conn, { method: "DELETE", path }).then(() => true)).then((done) => done ?? false);
  return {
    currentUser: () => call<User>(conn, { method: "GET", path: "/api/v1/user" }),
    getUser: (userId) => orMissing(call<User>(conn, { method: "GET", path: `/api/v1/users/${enc(userId)}` })),
    findUser: async (name) =>
      (await call<Page<User>>(conn, { method: "GET", path: `/api/v1/users?name=${enc(name)}` })).items[0],
    createUser: (body) => call<User>(conn, { method: "POST", path: "/api/v1/users", body }),
    deleteUser: (userId) => gone(`/api/v1/users/${enc(userId)}`),
    listResources: async () =>
      (await call<{ items: Resource[] }>(conn, { method: "GET", path: "/api/v1/resources" })).items,
    getResource: (name) =>
      orMissing(call<Resource>(conn, { method: "GET", path: `/api/v1/resources/${enc(name)}` })),
    createResource: (body) => call<Resource>(conn, { method: "POST", path: "/api/v1/resources", body }),
    deleteResource: (name) => gone(`/api/v1/resources/${enc(name)}`),
    getDefaultPermissions: () =>
      call<DefaultPermissions>(conn, { method: "GET", path: "/api/v1/settings/default-permissions" }),
    setDefaultPermissions: (body) =>
      call<DefaultPermissions>(conn, { method: "PUT", path: "/api/v1/settings/default-permissions", body }),
    getToken: (userId, tokenId) =>
      orMissing(call<AccessToken>(conn, { method: "GET", path: token(userId, tokenId) })),
    selfToken: () => call<AccessToken>(conn, { method: "GET", path: "/api/v1/access-tokens/self" }),
    createToken: (userId, body) =>
      call<IssuedAccessToken>(conn, { method: "POST", path: tokens(userId), body }),
    updateToken: (userId, tokenId, body) =>
      call<AccessToken>(conn, { method: "PATCH", path: token(userId, tokenId), body }),
    regenerateToken: (userId, tokenId, body) =>
      call<IssuedAccessToken>(conn, { method: "POST", path: `${token(userId, tokenId)}/regenerate`, body }),
    deleteToken: (userId, tokenId) => gone(token(userId, tokenId)),
  };
}
