import * as z from "zod";
import {
  cidrField,
  creditsField,
  domainField,
  durationField,
  externalIdField,
  metadataField,
  permissionField,
  rateLimitField,
  refillIntervalField,
  resourceNameField,
  setOf,
  timestampField,
  tokenDurationField,
  tokenKindField,
  tokenTypeField,
} from "./fields.js";

/** The token server's HTTP contract: request bodies, query strings and responses. */

const nameField = z.string().trim().min(1, "must not be empty").max(200);
const descriptionField = z.string().max(2000);

const tokenSettings = {
  description: descriptionField.optional(),
  type: tokenTypeField.optional(),
  permissions: setOf(permissionField, 200).optional(),
  allowedDomains: setOf(domainField, 100).optional(),
  allowedIps: setOf(cidrField, 100).optional(),
  credits: creditsField.nullable().optional(),
  rateLimit: rateLimitField.nullable().optional(),
  metadata: metadataField.optional(),
};

export const CreateAccessTokenBody = z
  .strictObject({
    name: nameField,
    kind: tokenKindField.optional(),
    duration: tokenDurationField.optional(),
    expiresAt: timestampField.optional(),
    signedRequests: z.boolean().optional(),
    externalId: externalIdField.optional(),
    ...tokenSettings,
  })
  .meta({ id: "CreateAccessToken" });
export type CreateAccessTokenBody = z.infer<typeof CreateAccessTokenBody>;

export const UpdateAccessTokenBody = z
  .strictObject({
    name: nameField.optional(),
    duration: tokenDurationField.optional(),
    expiresAt: timestampField.nullable().optional(),
    externalId: externalIdField.nullable().optional(),
    ...tokenSettings,
  })
  .meta({ id: "UpdateAccessToken" });
export type UpdateAccessTokenBody = z.infer<typeof UpdateAccessTokenBody>;

export const RegenerateAccessTokenBody = z
  .strictObject({
    gracePeriod: durationField.optional(),
    kind: tokenKindField.optional(),
    signedRequests: z.boolean().optional(),
  })
  .meta({ id: "RegenerateAccessToken" });
export type RegenerateAccessTokenBody = z.infer<typeof RegenerateAccessTokenBody>;

export const AccessToken = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    name: z.string(),
    description: z.string(),
    kind: tokenKindField,
    type: tokenTypeField,
    permissions: z
      .array(z.string())
      .describe("the permissions the token holds (derived from type unless custom)"),
    duration: z.string().nullable(),
    expiresAt: timestampField.nullable(),
    allowedDomains: z.array(z.string()),
    allowedIps: z.array(z.string()),
    signedRequests: z.boolean(),
    credits: z
      .object({
        remaining: z.int(),
        refill: z.object({ amount: z.int(), interval: refillIntervalField }).optional(),
      })
      .nullable(),
    rateLimit: z.object({ limit: z.int(), window: z.string() }).nullable(),
    metadata: z.record(z.string(), z.json()),
    externalId: z.string().nullable(),
    displayPrefix: z.string().describe("the first characters of the token, safe to show"),
    createdAt: timestampField,
    updatedAt: timestampField,
    lastUsedAt: timestampField.nullable(),
    revision: z.int().describe("increases with every change to the token"),
    previousSecretExpiresAt: timestampField
      .nullable()
      .optional()
      .describe(
        "after a regeneration with a grace period: when the previous secret stops working (null otherwise; absent from older servers)",
      ),
    revokedAt: timestampField
      .nullable()
      .optional()
      .describe("when the token was revoked (only revoked tokens in the admins' inventory have one)"),
  })
  .meta({ id: "AccessToken" });
export type AccessToken = z.infer<typeof AccessToken>;

export const IssuedAccessToken = AccessToken.extend({
  token: z.string().describe("the plain token; shown only in this response"),
  privateKey: z
    .string()
    .optional()
    .describe(
      "PEM Ed25519 private key for signing requests; only when signedRequests, only in this response",
    ),
}).meta({ id: "IssuedAccessToken" });
export type IssuedAccessToken = z.infer<typeof IssuedAccessToken>;

export const User = z
  .object({ id: z.uuid(), name: z.string(), admin: z.boolean(), createdAt: timestampField })
  .meta({ id: "User" });
export type User = z.infer<typeof User>;

export const CreateUserBody = z
  .strictObject({ name: nameField, admin: z.boolean().optional() })
  .meta({ id: "CreateUser" });
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const RouteRule = z.strictObject({
  pathPrefix: z
    .string()
    .max(1024)
    .regex(/^\/[^\s?#]*$/, "must be a path starting with / (no query or fragment)"),
  methods: setOf(z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]), 7).optional(),
});

export const CreateResourceBody = z
  .strictObject({
    name: resourceNameField,
    description: descriptionField.optional(),
    routes: z.array(RouteRule).max(100).optional(),
  })
  .meta({ id: "CreateResource" });
export type CreateResourceBody = z.infer<typeof CreateResourceBody>;

export const UpdateResourceBody = z
  .strictObject({
    description: descriptionField.optional(),
    routes: z.array(RouteRule).max(100).optional(),
  })
  .meta({ id: "UpdateResource" });
export type UpdateResourceBody = z.infer<typeof UpdateResourceBody>;

export const Resource = z
  .object({
    name: z.string(),
    description: z.string(),
    routes: z.array(z.object({ pathPrefix: z.string(), methods: z.array(z.string()).optional() })),
    builtIn: z.boolean(),
    createdAt: timestampField,
  })
  .meta({ id: "Resource" });
export type Resource = z.infer<typeof Resource>;

export const DefaultPermissions = z
  .strictObject({ permissions: setOf(permissionField, 200) })
  .meta({ id: "DefaultPermissions" });
export type DefaultPermissions = z.infer<typeof DefaultPermissions>;

export const AuditEvent = z
  .object({
    id: z.string(),
    at: timestampField,
    actor: z.object({
      userId: z.string().nullable(),
      tokenId: z.string().nullable(),
      displayPrefix: z.string().nullable(),
    }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string().nullable(), userId: z.string().nullable() }),
    details: z.record(z.string(), z.json()),
  })
  .meta({ id: "AuditEvent" });
export type AuditEvent = z.infer<typeof AuditEvent>;

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .describe("pass as ?cursor= to get the next page; null on the last page"),
  });
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const booleanQuery = z
  .enum(["true", "false", "1", "0"], { error: "must be true, false, 1 or 0" })
  .transform((v) => v === "true" || v === "1");

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(512).optional(),
});

export const ListTokensQuery = PageQuery.extend({
  subscribe: booleanQuery.optional(),
  externalId: z.string().max(255).optional().describe("only the token with this externalId"),
  name: z.string().max(200).optional().describe("only tokens with this name"),
});
export const ListAllTokensQuery = PageQuery.extend({
  userId: z.uuid().optional().describe("only this user's tokens"),
  name: z.string().max(200).optional().describe("only tokens with this name"),
  displayPrefix: z.string().max(16).optional().describe("only the token with this display prefix"),
  state: z
    .enum(["active", "expired", "revoked"])
    .optional()
    .describe("active or expired (revoked tokens are left out), or revoked"),
});
export const TokenValueBody = z
  .strictObject({ token: z.string().min(1).max(4096).describe("the plain token, e.g. one found leaked") })
  .meta({ id: "TokenValue" });
export type TokenValueBody = z.infer<typeof TokenValueBody>;
export const GetTokenQuery = z.strictObject({ subscribe: booleanQuery.optional() });
export const ListUsersQuery = PageQuery.extend({ name: z.string().max(200).optional() });
export const ListAuditQuery = PageQuery.extend({
  actor: z.string().max(64).optional().describe("user id of the actor"),
  tokenId: z.string().max(64).optional().describe("a token the event concerns"),
});

export const WatchEvent = z.union([
  z.object({ type: z.enum(["ADDED", "MODIFIED", "DELETED"]), object: AccessToken }),
  z.object({ type: z.literal("HEARTBEAT") }),
]);
export type WatchEvent = z.infer<typeof WatchEvent>;

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    existingId: z.string().optional().describe("on an externalId conflict: the token that already has it"),
    usedBy: z
      .object({ count: z.int(), tokenIds: z.array(z.string()) })
      .optional()
      .describe("on refusing to delete a resource: how many tokens hold it, and the first 20 of them"),
  })
  .meta({ id: "Problem" });
export type Problem = z.infer<typeof Problem>;
