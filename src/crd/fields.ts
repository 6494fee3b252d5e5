import { isIP } from "node:net";
import * as z from "zod";
import {
  CRD_DURATION_MIN_LENGTH,
  CRD_DURATION_OR_UNLIMITED_PATTERN,
  CRD_DURATION_PATTERN,
  DURATION_MAX_LENGTH,
} from "./duration-cel.js";
import { opaqueObject, openapi } from "./rule.js";

/*
 * Field schemas shared by the kinds. Every string and list is bounded: the API server's CEL
 * cost estimator needs the bounds, and so does anyone storing the values.
 */

/** RFC 1123 subdomain: names of Kubernetes objects (Secrets, Deployments, ...). */
export const DNS_SUBDOMAIN_PATTERN =
  "^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$";
/** RFC 1123 label: namespace names. */
export const DNS_LABEL_PATTERN = "^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$";
/** A key in a Secret's data. */
export const SECRET_KEY_PATTERN = "^[-._a-zA-Z0-9]+$";
/** A label value (may be empty). */
export const LABEL_VALUE_PATTERN = "^(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
/** A host name as in an Origin or Referer, optionally `*.` for every subdomain, optionally with a port. */
export const DOMAIN_PATTERN =
  "^(?:\\*\\.)?[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?$";
/** An http(s) URL. */
export const URL_PATTERN = "^https?://[^\\s/?#]+(?:[/?#][^\\s]*)?$";

export function dnsSubdomain(): z.ZodString {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(new RegExp(DNS_SUBDOMAIN_PATTERN), { error: "must be a lowercase RFC 1123 subdomain" });
}

export function dnsLabel(): z.ZodString {
  return z
    .string()
    .min(1)
    .max(63)
    .regex(new RegExp(DNS_LABEL_PATTERN), { error: "must be a lowercase RFC 1123 label" });
}

export function secretKey(): z.ZodString {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(new RegExp(SECRET_KEY_PATTERN), { error: "must consist of alphanumerics, '-', '_' or '.'" });
}

const DURATION_HINT = "units w, d, h, m, s, ms, largest first, each at most once";

/** A tokenplane duration in canonical order: `30d`, `12h`, `1h30m`, `500ms` (see duration-cel.ts). */
export function duration(): z.ZodString {
  return z
    .string()
    .min(CRD_DURATION_MIN_LENGTH, { error: "must be a duration such as 30d, 12h or 1h30m" })
    .max(DURATION_MAX_LENGTH)
    .regex(new RegExp(CRD_DURATION_PATTERN), {
      error: `must be a duration such as 30d, 12h or 1h30m (${DURATION_HINT})`,
    });
}

/** A duration, or `unlimited`. */
export function durationOrUnlimited(): z.ZodString {
  return z
    .string()
    .min(CRD_DURATION_MIN_LENGTH, { error: "must be unlimited or a duration such as 7d, 30d, 90d or 12h" })
    .max(DURATION_MAX_LENGTH)
    .regex(new RegExp(CRD_DURATION_OR_UNLIMITED_PATTERN), {
      error: `must be unlimited or a duration such as 7d, 30d, 90d or 12h (${DURATION_HINT})`,
    });
}

/** An RFC 3339 timestamp as Kubernetes writes them. */
export function timestamp(): z.ZodString {
  return openapi(
    z
      .string()
      .max(64)
      .refine(
        (v) =>
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/.test(v) && !isNaN(Date.parse(v)),
        {
          error: "must be an RFC 3339 timestamp",
        },
      ),
    { format: "date-time" },
  );
}

/** Whether `value` is a CIDR the way Go's net.ParseCIDR reads it (the API server's `cidr` format). */
export function isCidr(value: string): boolean {
  const slash = value.indexOf("/");
  if (slash < 0) return false;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0 || !/^[0-9]{1,3}$/.test(bits)) return false;
  // Go rejects leading zeros in IPv4 octets and in the prefix length.
  if (family === 4 && ip.split(".").some((o) => o.length > 1 && o.startsWith("0"))) return false;
  if (bits.length > 1 && bits.startsWith("0")) return false;
  if (family === 6 && ip.includes("%")) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

export function cidr(): z.ZodString {
  return openapi(
    z.string().max(49).refine(isCidr, { error: "must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32" }),
    { format: "cidr" },
  );
}

/** Base64 (standard alphabet, padded), the API server's `byte` format. */
export function base64(maxLength: number): z.ZodString {
  return openapi(
    z
      .string()
      .max(maxLength)
      .refine((v) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v), {
        error: "must be base64",
      }),
    { format: "byte" },
  );
}

function duplicates<T>(items: readonly T[], key: (item: T) => string): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) out.push(i);
    seen.add(k);
  });
  return out;
}

/** A list of distinct scalars (`x-kubernetes-list-type: set`; the API server rejects duplicates). */
export function setList<S extends z.ZodType<string>>(item: S, maxItems: number) {
  const list = z
    .array(item)
    .max(maxItems)
    .superRefine((items, ctx) => {
      for (const i of duplicates(items, (x) => x)) {
        ctx.addIssue({ code: "custom", message: "duplicate value", path: [i], input: items[i] });
      }
    });
  return openapi(list, { "x-kubernetes-list-type": "set" });
}

/**
 * A list of objects keyed by some of their fields (`x-kubernetes-list-type: map`), so server-side
 * apply merges items instead of replacing the list. The key fields must be required.
 */
export function mapList<S extends z.ZodObject>(
  item: S,
  keys: readonly (keyof z.output<S> & string)[],
  maxItems: number,
) {
  const list = z
    .array(item)
    .max(maxItems)
    .superRefine((items, ctx) => {
      const key = (x: z.output<S>) => JSON.stringify(keys.map((k) => x[k]));
      for (const i of duplicates(items, key)) {
        ctx.addIssue({
          code: "custom",
          message: `duplicate entry for ${keys.join(" + ")}`,
          path: [i],
          input: items[i],
        });
      }
    });
  return openapi(list, { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": [...keys] });
}

/** A string → string map with at most `maxProperties` entries. */
export function stringMap(value: z.ZodString, maxProperties: number) {
  const map = z.record(z.string(), value).refine((m) => Object.keys(m).length <= maxProperties, {
    error: `must have at most ${maxProperties} entries`,
  });
  return openapi(map, { maxProperties });
}

/** Label values as Kubernetes accepts them. */
export function labelMap(maxProperties: number) {
  return stringMap(
    z.string().max(63).regex(new RegExp(LABEL_VALUE_PATTERN), { error: "must be a valid label value" }),
    maxProperties,
  );
}

/** metav1.Condition, with the bounds upstream declares. */
export const conditionSchema = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      .regex(
        /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
        {
          error: "must be a CamelCase condition type",
        },
      )
      .describe("Type of condition in CamelCase, e.g. Ready."),
    status: z.enum(["True", "False", "Unknown"]).describe("Status of the condition: True, False or Unknown."),
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe("The .metadata.generation the condition was set for."),
    lastTransitionTime: timestamp().describe("When the condition last changed from one status to another."),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z](?:[A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, { error: "must be a CamelCase reason" })
      .describe("Programmatic identifier for the condition's last transition, in CamelCase."),
    message: z.string().max(32768).describe("Human-readable details about the transition; may be empty."),
  })
  .describe("A condition (metav1.Condition).");

export function conditions() {
  return mapList(conditionSchema, ["type"], 16);
}

/**
 * The parts of ObjectMeta the operator reads. Unknown fields are kept; the CRD declares metadata
 * as a bare object because the API server validates it itself.
 */
export const objectMetaSchema = opaqueObject(
  z
    .looseObject({
      name: z.string().min(1).max(253),
      namespace: z.string().max(63).optional(),
      uid: z.string().optional(),
      resourceVersion: z.string().optional(),
      generation: z.int().min(0).optional(),
      creationTimestamp: z.string().optional(),
      deletionTimestamp: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
      finalizers: z.array(z.string()).optional(),
    })
    .describe(
      "Standard object metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    ),
);

export type Condition = z.output<typeof conditionSchema>;
