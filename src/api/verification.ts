import { isIP } from "node:net";
import * as z from "zod";
import { permissionField, timestampField } from "./fields.js";

/** The verification contract: `POST /api/v1/verify`. */

export const VERIFY_CODES = [
  "VALID",
  "NOT_FOUND",
  "EXPIRED",
  "FORBIDDEN",
  "ORIGIN_NOT_ALLOWED",
  "IP_NOT_ALLOWED",
  "USAGE_EXCEEDED",
  "RATE_LIMITED",
  "SIGNATURE_REQUIRED",
] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

/**
 * The request a signed-request token came with, as the calling service received it: the
 * signature covers its method, path, Content-Digest and creation time.
 */
export const SignedRequest = z
  .strictObject({
    method: z.string().min(1).max(16),
    url: z.string().min(1).max(8192).describe("the path and query (or the absolute URL) of the request"),
    headers: z
      .record(z.string().min(1).max(256), z.string().max(8192))
      .refine((h) => Object.keys(h).length <= 100, "at most 100 headers")
      .describe("at least Signature, Signature-Input and Content-Digest"),
    body: z
      .string()
      .max(1 << 20)
      .optional()
      .describe(
        "the body (UTF-8); when given, Content-Digest is checked against it, else the caller must check it",
      ),
  })
  .meta({ id: "SignedRequest" });
export type SignedRequest = z.infer<typeof SignedRequest>;

export const VerifyBody = z
  .strictObject({
    token: z.string().min(1).max(4096),
    permission: permissionField.optional(),
    origin: z.string().max(2048).optional().describe("the Origin (or Referer) the caller received"),
    ip: z
      .string()
      .max(64)
      .refine((v) => isIP(v) !== 0, "must be an IPv4 or IPv6 address")
      .optional()
      .describe("the client IP address the caller saw"),
    cost: z.int().min(0).max(1_000_000).optional().describe("credits to spend; default 1"),
    request: SignedRequest.optional().describe("required for tokens with signedRequests"),
  })
  .meta({ id: "VerifyRequest" });
export type VerifyBody = z.infer<typeof VerifyBody>;

export const VerifyDenial = z
  .object({
    reason: z.enum([
      "expired",
      "permission_missing",
      "origin_not_allowed",
      "ip_not_allowed",
      "limit_reached",
      "signature_missing",
      "signature_invalid",
      "signature_replayed",
    ]),
    permission: z.string().optional().describe("permission_missing: the permission asked for"),
    limit: z.enum(["credits", "rateLimit"]).optional().describe("limit_reached: which limit"),
    detail: z.string().optional().describe("signature_missing / signature_invalid: what was wrong"),
  })
  .meta({ id: "VerifyDenial" });
export type VerifyDenial = z.infer<typeof VerifyDenial>;

export const VerifyResult = z
  .object({
    valid: z.boolean(),
    code: z.enum(VERIFY_CODES),
    tokenId: z.string().optional(),
    userId: z.string().optional(),
    name: z.string().optional(),
    permissions: z.array(z.string()).optional(),
    metadata: z.record(z.string(), z.json()).optional(),
    expiresAt: timestampField.nullable().optional(),
    credits: z.object({ remaining: z.int() }).optional(),
    rateLimit: z.object({ limit: z.int(), remaining: z.int(), reset: timestampField }).optional(),
    denial: VerifyDenial.optional().describe(
      "why the token was refused (every code but VALID and NOT_FOUND)",
    ),
  })
  .meta({ id: "VerifyResult" });
export type VerifyResult = z.infer<typeof VerifyResult>;
