import { z } from "zod";
import { cidrField, permissionField, timestampField } from "./fields.js";

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

export const VerifyBody = z
  .strictObject({
    token: z.string().min(1).max(4096),
    permission: permissionField.optional(),
    origin: z.string().max(2048).optional().describe("the Origin (or Referer) the caller received"),
    ip: cidrField.optional().describe("the client IP address the caller saw"),
    cost: z.int().min(0).max(1_000_000).optional().describe("credits to spend; default 1"),
  })
  .meta({ id: "VerifyRequest" });
export type VerifyBody = z.infer<typeof VerifyBody>;

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
  })
  .meta({ id: "VerifyResult" });
export type VerifyResult = z.infer<typeof VerifyResult>;
