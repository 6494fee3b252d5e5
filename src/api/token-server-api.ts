import type {
  AccessToken,
  CreateAccessTokenBody,
  CreateResourceBody,
  UpdateResourceBody,
  IssuedAccessToken,
  Problem,
  RegenerateAccessTokenBody,
  Resource,
  UpdateAccessTokenBody,
  User,
  WatchEvent,
} from "./schemas.js";
import type { VerifyBody, VerifyResult } from "./verification.js";

/** A refusal from the token server, as problem details. Same shape in-process and over HTTP. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title);
    this.name = "ApiError";
  }
}

/** Watch events until closed; `undefined` once the stream has ended (reconnect to resume). */
export interface TokenEventStream {
  next(): Promise<WatchEvent | undefined>;
  close(): void;
}

/**
 * What a client of the token server can do, acting as one (admin) identity. Two
 * implementations: in-process (the operator's embedded server) and HTTP (remote servers).
 * Refusals throw ApiError; "not found" on reads is `undefined`.
 */
export interface TokenServerApi {
  /** The user with this name, created when missing (concurrent callers get the same user). */
  ensureUser(name: string): Promise<User>;
  createToken(userId: string, body: CreateAccessTokenBody): Promise<IssuedAccessToken>;
  getToken(userId: string, tokenId: string): Promise<AccessToken | undefined>;
  findTokenByExternalId(userId: string, externalId: string): Promise<AccessToken | undefined>;
  updateToken(userId: string, tokenId: string, body: UpdateAccessTokenBody): Promise<AccessToken>;
  regenerateToken(
    userId: string,
    tokenId: string,
    body: RegenerateAccessTokenBody,
  ): Promise<IssuedAccessToken>;
  /** False when the token was already gone. */
  revokeToken(userId: string, tokenId: string): Promise<boolean>;
  /** Checks a token as a service would (`POST /api/v1/verify`). */
  verify(body: VerifyBody): Promise<VerifyResult>;
  /** A user's tokens: the current state as ADDED, then changes. */
  watchTokens(userId: string): TokenEventStream;
  /** The registered resource with this name. */
  getResource(name: string): Promise<Resource | undefined>;
  /** Registers a resource (409 ApiError when the name is taken). */
  createResource(body: CreateResourceBody): Promise<Resource>;
  /** Changes its description and routes (`PATCH /api/v1/resources/:name`). */
  updateResource(name: string, body: UpdateResourceBody): Promise<Resource>;
  /** Unregisters it; false when it was already gone; 409 ApiError while tokens use it. */
  deleteResource(name: string): Promise<boolean>;
  /** Resolves when the server is reachable, ready and accepts this client's credentials. */
  ready(): Promise<void>;
}
