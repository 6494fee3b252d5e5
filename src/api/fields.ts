import { isIP } from "node:net";
import * as z from "zod";
import {
  DURATION_PATTERN,
  NAMED_DURATIONS,
  PERMISSION_PATTERN,
  RESOURCE_NAME_PATTERN,
  TOKEN_KINDS,
  TOKEN_TYPES,
} from "../core/index.js";

/** Field schemas shared by requests and responses. Each carries the message a user sees. */

export const durationField = z
  .string()
  .max(40)
  .regex(new RegExp(DURATION_PATTERN), "must be a duration such as 90s, 15m, 12h, 30d or 1h30m");

export const tokenDurationField = z.union([z.enum(NAMED_DURATIONS), durationField], {
  error: "must be 7d, 30d, 90d, unlimited or a duration such as 12h",
});

export const permissionField = z
  .string()
  .max(140)
  .regex(
    new RegExp(PERMISSION_PATTERN),
    "must be resource:action with action create, read, update, delete or *",
  );

export const resourceNameField = z
  .string()
  .max(63)
  .regex(new RegExp(RESOURCE_NAME_PATTERN), "must be letters, digits, '.', '_' or '-' (at most 63)");

export const tokenTypeField = z.enum(TOKEN_TYPES);
export const tokenKindField = z.enum(TOKEN_KINDS);

export const refillIntervalField = z.enum(["daily", "weekly", "monthly"]);

const hostLabel = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const domainRegex = new RegExp(`^(?:\\*\\.)?(?:${hostLabel}\\.)*${hostLabel}$`);

/** An allowed origin host: `shop.example.com` or `*.example.com`, optionally with `:port`. */
export const domainField = z
  .string()
  .max(253)
  .refine((v) => {
    const [host, port, extra] = v.split(":");
    if (extra !== undefined || !host || !domainRegex.test(host)) return false;
    return port === undefined || (/^[0-9]{1,5}$/.test(port) && Number(port) <= 65535);
  }, "must be a host name such as shop.example.com or *.example.com");

/** An IPv4 or IPv6 address or CIDR range; a bare address means that one address. */
export const cidrField = z
  .string()
  .max(64)
  .refine((v) => {
    const [address, bits, extra] = v.split("/");
    if (extra !== undefined || !address) return false;
    const family = isIP(address);
    if (family === 0) return false;
    if (bits === undefined) return true;
    if (!/^[0-9]{1,3}$/.test(bits)) return false;
    return Number(bits) <= (family === 4 ? 32 : 128);
  }, "must be an IP address or CIDR range such as 10.0.0.0/8 or 2001:db8::/32");

const MAX_CREDITS = 2_000_000_000;

export const creditsField = z.object({
  remaining: z.int().min(0).max(MAX_CREDITS),
  refill: z
    .object({
      amount: z.int().min(1).max(MAX_CREDITS),
      interval: refillIntervalField,
    })
    .optional(),
});

export const rateLimitField = z.object({
  limit: z.int().min(1).max(1_000_000),
  window: durationField,
});

const METADATA_MAX_BYTES = 8192;
export const metadataField = z
  .record(z.string().max(128), z.json())
  .refine(
    (v) => JSON.stringify(v).length <= METADATA_MAX_BYTES,
    `must be at most ${METADATA_MAX_BYTES} bytes of JSON`,
  );

export const externalIdField = z.string().min(1).max(255);

/** Lists with set semantics: duplicates are rejected, naming the repeated entry. */
export function setOf<T extends z.ZodType<string>>(item: T, max: number) {
  return z
    .array(item)
    .max(max)
    .superRefine((values, ctx) => {
      const seen = new Set<string>();
      values.forEach((v, i) => {
        if (seen.has(v))
          ctx.addIssue({ code: "custom", message: `duplicate entry ${JSON.stringify(v)}`, path: [i] });
        seen.add(v);
      });
    });
}

export const timestampField = z.iso.datetime({ offset: true });
