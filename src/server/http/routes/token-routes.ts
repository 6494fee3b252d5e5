import type { Request, Response } from "express";
import {
  AccessToken,
  CreateAccessTokenBody,
  GetTokenQuery,
  IssuedAccessToken,
  ListAllTokensQuery,
  ListTokensQuery,
  pageOf,
  RegenerateAccessTokenBody,
  TokenValueBody,
  UpdateAccessTokenBody,
  WatchEvent,
} from "../../../api/index.js";
import { type Caller, requireTokenAccess } from "../../domain/caller.js";
import { notFound } from "../../domain/errors.js";
import type { IssuedToken, TokenService } from "../../domain/token-service.js";
import type { WatchScope } from "../../domain/token-watch.js";
import type { Store } from "../../domain/store.js";
import type { Authenticate } from "../authenticate.js";
import { type Route, route } from "../endpoint.js";
import { streamTokens } from "../token-stream.js";
import { TokenParams, UserParams } from "../../edge/params.js";
import { tokenView } from "../../edge/views.js";

const DEFAULT_PAGE = 100;

const issuedView = (issued: IssuedToken): IssuedAccessToken => ({
  ...tokenView(issued.record),
  token: issued.plain,
  ...(issued.privateKey ? { privateKey: issued.privateKey } : {}),
});

// The plain token must never be cached by a browser or proxy.
const NO_STORE = { "cache-control": "no-store" };

export function tokenRoutes(
  tokens: TokenService,
  store: Store,
  heartbeatMs: number,
  /** Checks a stream's caller again (see token-stream.ts). */
  revalidate: Authenticate,
): Route[] {
  const stream = (ctx: { req: Request; res: Response; caller: Caller }, scope: WatchScope): void =>
    streamTokens(ctx.req, ctx.res, ctx.caller, scope, {
      store,
      heartbeatMs,
      recheck: async () => requireTokenAccess(await revalidate(ctx.req), scope.userId, "read"),
    });
  return [
    route({
      method: "get",
      path: "/api/v1/users/{userId}/access-tokens",
      operationId: "listAccessTokens",
      access: { kind: "tokens", action: "read" },
      summary: "List a user's tokens, oldest first; subscribe=true streams changes",
      tag: "access tokens",
      auth: true,
      params: UserParams,
      query: ListTokensQuery,
      responses: {
        200: {
          description: "a page of tokens; with subscribe=true an NDJSON stream of watch events",
          json: pageOf(AccessToken),
          ndjson: WatchEvent,
        },
      },
      async handle({ caller, params, query, req, res }) {
        if (query.externalId !== undefined) {
          const found = await tokens.findByExternalId(caller, params.userId, query.externalId);
          return { status: 200, body: { items: found ? [tokenView(found)] : [], nextCursor: null } };
        }
        const page = await tokens.list(
          caller,
          params.userId,
          { limit: query.limit ?? DEFAULT_PAGE, cursor: query.cursor },
          { name: query.name },
        );
        if (query.subscribe) {
          stream({ req, res, caller }, { userId: params.userId });
          return { streamed: true };
        }
        return { status: 200, body: { items: page.items.map(tokenView), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: "post",
      path: "/api/v1/users/{userId}/access-tokens",
      operationId: "createAccessToken",
      access: { kind: "tokens", action: "create" },
      summary: "Create a token; the response holds the plain token, shown this once",
      tag: "access tokens",
      auth: true,
      params: UserParams,
      body: CreateAccessTokenBody,
      responses: {
        201: { description: "created", json: IssuedAccessToken },
        409: { description: "a token with this externalId exists; existingId names it" },
      },
      async handle({ caller, params, body }) {
        const issued = await tokens.create(caller, params.userId, body);
        return { status: 201, body: issuedView(issued), headers: NO_STORE };
      },
    }),
    route({
      method: "get",
      path: "/api/v1/users/{userId}/access-tokens/{tokenId}",
      operationId: "getAccessToken",
      access: { kind: "tokens", action: "read" },
      summary: "One token; subscribe=true streams its changes",
      tag: "access tokens",
      auth: true,
      params: TokenParams,
      query: GetTokenQuery,
      responses: {
        200: {
          description: "the token; with subscribe=true an NDJSON stream of watch events",
          json: AccessToken,
          ndjson: WatchEvent,
        },
      },
      async handle({ caller, params, query, req, res }) {
        const token = await tokens.get(caller, params.userId, params.tokenId);
        if (query.subscribe) {
          stream({ req, res, caller }, { userId: params.userId, tokenId: params.tokenId });
          return { streamed: true };
        }
        return { status: 200, body: tokenView(token) };
      },
    }),
    route({
      method: "patch",
      path: "/api/v1/users/{userId}/access-tokens/{tokenId}",
      operationId: "updateAccessToken",
      access: { kind: "tokens", action: "update" },
      summary: "Change a token's settings; the secret stays the same",
      tag: "access tokens",
      auth: true,
      params: TokenParams,
      body: UpdateAccessTokenBody,
      responses: { 200: { description: "the updated token", json: AccessToken } },
      async handle({ caller, params, body }) {
        return {
          status: 200,
          body: tokenView(await tokens.update(caller, params.userId, params.tokenId, body)),
        };
      },
    }),
    route({
      method: "delete",
      path: "/api/v1/users/{userId}/access-tokens/{tokenId}",
      operationId: "revokeAccessToken",
      access: { kind: "tokens", action: "delete" },
      summary: "Revoke a token; it fails verification at once on every replica",
      tag: "access tokens",
      auth: true,
      params: TokenParams,
      responses: { 204: { description: "revoked" } },
      async handle({ caller, params }) {
        await tokens.revoke(caller, params.userId, params.tokenId);
        return { status: 204 };
      },
    }),
    route({
      method: "post",
      path: "/api/v1/users/{userId}/access-tokens/{tokenId}/regenerate",
      operationId: "regenerateAccessToken",
      access: { kind: "tokens", action: "update" },
      summary: "A new secret for the same token; the old one works for gracePeriod",
      tag: "access tokens",
      auth: true,
      params: TokenParams,
      body: RegenerateAccessTokenBody,
      responses: { 200: { description: "the token with its new plain value", json: IssuedAccessToken } },
      async handle({ caller, params, body }) {
        const issued = await tokens.regenerate(caller, params.userId, params.tokenId, body);
        return { status: 200, body: issuedView(issued), headers: NO_STORE };
      },
    }),
    route({
      method: "get",
      path: "/api/v1/access-tokens",
      operationId: "listAllAccessTokens",
      access: { kind: "admin", resource: "tokens", action: "read" },
      summary: "Every user's tokens, oldest first, by owner, name, display prefix or state (admin)",
      tag: "access tokens",
      auth: true,
      query: ListAllTokensQuery,
      responses: { 200: { description: "a page of tokens", json: pageOf(AccessToken) } },
      async handle({ caller, query }) {
        const page = await tokens.inventory(
          caller,
          { userId: query.userId, name: query.name, displayPrefix: query.displayPrefix, state: query.state },
          { limit: query.limit ?? DEFAULT_PAGE, cursor: query.cursor },
        );
        return { status: 200, body: { items: page.items.map(tokenView), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: "post",
      path: "/api/v1/access-tokens/lookup",
      operationId: "lookUpAccessToken",
      access: { kind: "admin", resource: "tokens", action: "read" },
      summary: "Which token a plain value is, e.g. one found leaked (admin); the value goes in the body",
      tag: "access tokens",
      auth: true,
      body: TokenValueBody,
      responses: { 200: { description: "the token", json: AccessToken } },
      async handle({ caller, body }) {
        return { status: 200, body: tokenView(await tokens.lookup(caller, body.token)) };
      },
    }),
    route({
      method: "post",
      path: "/api/v1/access-tokens/revoke",
      operationId: "revokeAccessTokenByValue",
      access: { kind: "admin", resource: "tokens", action: "delete" },
      summary: "Revoke the token a plain value belongs to, e.g. one found leaked (admin)",
      tag: "access tokens",
      auth: true,
      body: TokenValueBody,
      responses: { 200: { description: "the token that was revoked", json: AccessToken } },
      async handle({ caller, body }) {
        return { status: 200, body: tokenView(await tokens.revokeByValue(caller, body.token)) };
      },
    }),
    route({
      method: "get",
      path: "/api/v1/access-tokens/self",
      operationId: "getCallingAccessToken",
      summary: "The token making this request",
      tag: "access tokens",
      auth: true,
      responses: { 200: { description: "the calling token", json: AccessToken } },
      async handle({ caller }) {
        const token = caller.tokenId ? await store.tokens.get(caller.tokenId) : null;
        if (!token) throw notFound("token");
        return { status: 200, body: tokenView(token) };
      },
    }),
  ];
}
