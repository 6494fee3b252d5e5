import * as z from "zod";
import { NAMED_DURATIONS, PERMISSION_PATTERN, TOKEN_KINDS, TOKEN_TYPES } from "../core/index.js";
import { ACCESS_TOKEN_DEFAULTS as D } from "./defaults.js";
import { celDurationMillis, durationMillis } from "./duration-cel.js";
import {
  cidr,
  conditions,
  DOMAIN_PATTERN,
  dnsSubdomain,
  duration,
  durationOrUnlimited,
  labelMap,
  mapList,
  objectMetaSchema,
  secretKey,
  setList,
  stringMap,
  timestamp,
} from "./fields.js";
import {
  ACCESS_TOKEN_LABEL,
  API_GROUP,
  DELETION_POLICIES,
  GROUP_VERSION,
  MANAGED_BY_LABEL,
  REFILL_INTERVALS,
  ROLLOUT_TARGET_KINDS,
  ROTATE_ANNOTATION,
  ROTATION_REASONS,
  SERVER_KINDS,
} from "./names.js";
import { rule, withRules } from "./rule.js";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const ms = celDurationMillis;
const finiteCel = "has(self.duration) && self.duration != 'unlimited'";
const finite = (s: { duration: string }) => s.duration !== "unlimited";

export const serverRefSchema = z
  .object({
    kind: z.enum(SERVER_KINDS).describe("ClusterTokenServer, or TokenServer (only from its own namespace)."),
    name: dnsSubdomain().describe("Name of the TokenServer or ClusterTokenServer."),
  })
  .describe(
    `The token server that issues the token. Defaults to the operator's embedded server, ` +
      `ClusterTokenServer "${D.serverRef.name}".`,
  );

const rotationSchema = withRules(
  z
    .object({
      renewBefore: duration()
        .optional()
        .describe(
          "How long before expiry the token is rotated, e.g. 10d. Must be shorter than duration; " +
            "only for tokens that expire. Defaults to a third of the duration.",
        ),
      gracePeriod: duration()
        .optional()
        .describe(
          "How long the previous token keeps working after a rotation, so every reader of the " +
            `Secret can pick up the new one, e.g. 1h. Must be shorter than duration. Defaults to ${D.gracePeriod}.`,
        ),
    })
    .describe(
      `When and how the token is rotated. Besides the schedule, every new value of the ` +
        `${ROTATE_ANNOTATION} annotation rotates the token once.`,
    ),
  [
    rule({
      cel: `!has(self.renewBefore) || ${ms("self.renewBefore")} > 0`,
      field: ["renewBefore"],
      message: "must be longer than zero",
      check: (s) => s.renewBefore === undefined || durationMillis(s.renewBefore) > 0n,
    }),
  ],
);

const creditsSchema = z
  .object({
    limit: z
      .int()
      .min(0)
      .max(MAX_SAFE)
      .describe("How many credits the token starts with; each use spends one."),
    refill: z
      .object({
        amount: z.int().min(1).max(MAX_SAFE).describe("Credits the token is refilled to."),
        interval: z.enum(REFILL_INTERVALS).describe("How often: daily, weekly or monthly."),
      })
      .optional()
      .describe("Periodic refill of the credits. Without it, a token whose credits are spent stops working."),
  })
  .describe("A usage limit: the token is refused once its credits are spent.");

const rateLimitSchema = withRules(
  z
    .object({
      limit: z.int().min(1).max(2_147_483_647).describe("Requests allowed per window."),
      window: duration().describe("Length of the window, e.g. 1m."),
    })
    .describe("Throttling: at most `limit` requests per `window`."),
  [
    rule({
      cel: `${ms("self.window")} > 0`,
      field: ["window"],
      message: "must be longer than zero",
      check: (s) => durationMillis(s.window) > 0n,
    }),
  ],
);

const keyDefaults = D.secretKeys;
const keyOrDefault = (k: keyof typeof keyDefaults) => `(has(self.${k}) ? self.${k} : '${keyDefaults[k]}')`;

const secretKeysSchema = withRules(
  z
    .object({
      token: secretKey().optional().describe(`Key holding the token. Defaults to ${keyDefaults.token}.`),
      tokenId: secretKey()
        .optional()
        .describe(`Key holding the token's id. Defaults to ${keyDefaults.tokenId}.`),
      expiresAt: secretKey()
        .optional()
        .describe(
          `Key holding the expiry time (RFC 3339; absent for unlimited tokens). Defaults to ${keyDefaults.expiresAt}.`,
        ),
    })
    .describe("Names of the keys in the Secret."),
  [
    rule({
      cel:
        `${keyOrDefault("token")} != ${keyOrDefault("tokenId")} && ` +
        `${keyOrDefault("token")} != ${keyOrDefault("expiresAt")} && ` +
        `${keyOrDefault("tokenId")} != ${keyOrDefault("expiresAt")}`,
      message: "token, tokenId and expiresAt must be different keys",
      reason: "FieldValueDuplicate",
      check: (s) => {
        const keys = [
          s.token ?? keyDefaults.token,
          s.tokenId ?? keyDefaults.tokenId,
          s.expiresAt ?? keyDefaults.expiresAt,
        ];
        return new Set(keys).size === keys.length;
      },
    }),
  ],
);

const RESERVED_LABEL_PREFIX = `${API_GROUP}/`;

const secretTemplateSchema = z
  .object({
    name: dnsSubdomain()
      .optional()
      .describe("Name of the Secret. Defaults to the AccessToken's name. Cannot be changed after creation."),
    type: z.string().min(1).max(253).optional().describe(`Type of the Secret. Defaults to ${D.secretType}.`),
    keys: secretKeysSchema.optional(),
    labels: withRules(labelMap(64), [
      rule({
        cel: `self.all(k, !k.startsWith('${RESERVED_LABEL_PREFIX}') && k != '${MANAGED_BY_LABEL}')`,
        message: `must not set ${MANAGED_BY_LABEL} or ${RESERVED_LABEL_PREFIX}* labels: the operator sets them`,
        reason: "FieldValueForbidden",
        check: (labels) =>
          Object.keys(labels).every((k) => !k.startsWith(RESERVED_LABEL_PREFIX) && k !== MANAGED_BY_LABEL),
      }),
    ])
      .optional()
      .describe(
        "Labels for the Secret. Only these are set: the AccessToken's own labels are never copied. " +
          `The operator adds ${MANAGED_BY_LABEL}: tokenplane and ${ACCESS_TOKEN_LABEL}: <name>.`,
      ),
    annotations: stringMap(z.string().max(4096), 64)
      .optional()
      .describe(
        "Annotations for the Secret. Only these are set: the AccessToken's own annotations are never copied.",
      ),
  })
  .describe("The Secret the token is written to, in the AccessToken's namespace.");

const rolloutTargetSchema = z
  .object({
    kind: z.enum(ROLLOUT_TARGET_KINDS).describe("Deployment, StatefulSet or DaemonSet."),
    name: dnsSubdomain().describe("Name of the workload, in the AccessToken's namespace."),
  })
  .describe("A workload restarted after each rotation.");

const accessTokenSpecBase = z
  .object({
    serverRef: serverRefSchema.optional(),
    description: z
      .string()
      .max(1024)
      .optional()
      .describe("What the token is for; shown on the token server."),
    type: z
      .enum(TOKEN_TYPES)
      .default(D.type)
      .describe(
        "read-only (every resource, read only), full-access (everything) or custom (exactly the " +
          `listed permissions). Defaults to ${D.type}.`,
      ),
    permissions: setList(
      z.string().max(128).regex(new RegExp(PERMISSION_PATTERN), { error: "must be resource:action" }),
      128,
    )
      .optional()
      .describe(
        "Permissions as resource:action, action one of create, read, update, delete or *; resource * " +
          "means every resource. Required with type custom, and only allowed with it.",
      ),
    kind: z
      .enum(TOKEN_KINDS)
      .default(D.kind)
      .describe(
        "secret (for servers) or publishable (safe to embed in a browser or app). Changing it rotates " +
          `the token. Defaults to ${D.kind}.`,
      ),
    duration: durationOrUnlimited()
      .default(D.duration)
      .describe(
        `Lifetime of each issued token: ${NAMED_DURATIONS.join(", ")} or any duration such as 12h or ` +
          `1d12h (units w = 7d, d = 24h, h, m, s, ms; largest first, each at most once). Defaults to ${D.duration}.`,
      ),
    rotation: rotationSchema.optional(),
    allowedDomains: setList(
      z.string().max(260).regex(new RegExp(DOMAIN_PATTERN), {
        error: "must be a host name such as shop.example.com or *.example.com",
      }),
      64,
    )
      .optional()
      .describe(
        "Origins or Referers the token may be used from, e.g. shop.example.com or *.example.com. " +
          "Empty or absent: any.",
      ),
    allowedIps: setList(cidr(), 64)
      .optional()
      .describe("Client IP ranges (CIDR) the token may be used from. Empty or absent: any."),
    credits: creditsSchema.optional(),
    rateLimit: rateLimitSchema.optional(),
    signedRequests: z
      .boolean()
      .default(D.signedRequests)
      .describe(
        "Require every request made with the token to be signed (HTTP Message Signatures). Changing it " +
          `rotates the token. Defaults to ${D.signedRequests}.`,
      ),
    secretTemplate: secretTemplateSchema.optional(),
    deletionPolicy: z
      .enum(DELETION_POLICIES)
      .default(D.deletionPolicy)
      .describe(
        "What happens to the token when the AccessToken is deleted: Revoke it on the server, or " +
          `Retain it. Defaults to ${D.deletionPolicy}.`,
      ),
    rolloutRestartTargets: mapList(rolloutTargetSchema, ["kind", "name"], 16)
      .optional()
      .describe(
        "Workloads in the same namespace to restart (like kubectl rollout restart) after each rotation.",
      ),
  })
  .describe("The token to issue and the Secret to write it to.");

const renewBeforeSet = "has(self.rotation) && has(self.rotation.renewBefore)";
const gracePeriodSet = "has(self.rotation) && has(self.rotation.gracePeriod)";

export const accessTokenSpecSchema = withRules(accessTokenSpecBase, [
  rule({
    cel: "!has(self.permissions) || (has(self.type) && self.type == 'custom')",
    field: ["permissions"],
    reason: "FieldValueForbidden",
    message: "may only be set with type custom (read-only and full-access imply their permissions)",
    check: (s) => s.permissions === undefined || s.type === "custom",
  }),
  rule({
    cel: "!(has(self.type) && self.type == 'custom') || (has(self.permissions) && size(self.permissions) > 0)",
    field: ["permissions"],
    reason: "FieldValueRequired",
    message: "must list at least one permission with type custom",
    check: (s) => s.type !== "custom" || (s.permissions ?? []).length > 0,
  }),
  rule({
    cel: `!(${finiteCel}) || ${ms("self.duration")} > 0`,
    field: ["duration"],
    message: "must be longer than zero (unlimited: a token that never expires)",
    check: (s) => !finite(s) || durationMillis(s.duration) > 0n,
  }),
  rule({
    cel: `!(${renewBeforeSet}) || (${finiteCel})`,
    field: ["rotation", "renewBefore"],
    reason: "FieldValueForbidden",
    message: `needs a duration other than unlimited: a token that never expires is rotated with the ${ROTATE_ANNOTATION} annotation`,
    check: (s) => s.rotation?.renewBefore === undefined || finite(s),
  }),
  rule({
    cel: `!(${renewBeforeSet}) || !(${finiteCel}) || ${ms("self.rotation.renewBefore")} < ${ms("self.duration")}`,
    field: ["rotation", "renewBefore"],
    message: "must be shorter than duration",
    check: (s) =>
      s.rotation?.renewBefore === undefined ||
      !finite(s) ||
      durationMillis(s.rotation.renewBefore) < durationMillis(s.duration),
  }),
  rule({
    cel: `!(${gracePeriodSet}) || !(${finiteCel}) || ${ms("self.rotation.gracePeriod")} < ${ms("self.duration")}`,
    field: ["rotation", "gracePeriod"],
    message: "must be shorter than duration",
    check: (s) =>
      s.rotation?.gracePeriod === undefined ||
      !finite(s) ||
      durationMillis(s.rotation.gracePeriod) < durationMillis(s.duration),
  }),
]);

export const accessTokenStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe("The .metadata.generation the operator last acted on."),
    conditions: conditions()
      .optional()
      .describe("Ready (the Secret holds a working token) and Issuing (a token is being issued or rotated)."),
    tokenId: z.string().max(256).optional().describe("Id of the token on the token server."),
    secretName: z.string().max(253).optional().describe("Name of the Secret holding the token."),
    issuedAt: timestamp().optional().describe("When the token in the Secret was issued."),
    expiresAt: timestamp()
      .optional()
      .describe("When the token in the Secret expires; absent if it never does."),
    renewalTime: timestamp().optional().describe("When the token will next be rotated."),
    revision: z
      .int()
      .min(0)
      .optional()
      .describe("How many times a token value has been issued for this AccessToken."),
    lastRotationReason: z
      .enum(ROTATION_REASONS)
      .optional()
      .describe(`Why the token was last issued: ${ROTATION_REASONS.join(", ")}.`),
    lastRotateAnnotation: z
      .string()
      .max(262144)
      .optional()
      .describe(
        `The value of the ${ROTATE_ANNOTATION} annotation last acted on; a different value rotates the token once.`,
      ),
  })
  .describe("What the operator observed and did.");

const accessTokenBase = z
  .object({
    apiVersion: z.literal(GROUP_VERSION).describe("APIVersion of this object."),
    kind: z.literal("AccessToken").describe("Kind of this object."),
    metadata: objectMetaSchema,
    spec: accessTokenSpecSchema,
    status: accessTokenStatusSchema.optional(),
  })
  .describe(
    "An API access token issued by a tokenplane token server and kept in a Secret: created, " +
      "updated in place, rotated and revoked by the tokenplane operator.",
  );

const secretNameCel = (obj: string) =>
  `(has(${obj}.spec.secretTemplate) && has(${obj}.spec.secretTemplate.name) ? ${obj}.spec.secretTemplate.name : ${obj}.metadata.name)`;

export const accessTokenSchema = withRules(accessTokenBase, [
  rule({
    cel: `${secretNameCel("self")} == ${secretNameCel("oldSelf")}`,
    field: ["spec", "secretTemplate", "name"],
    message: "is immutable: the Secret's name cannot change once the token is issued",
    check: (self, old) =>
      (self.spec.secretTemplate?.name ?? self.metadata.name) ===
      (old.spec.secretTemplate?.name ?? old.metadata.name),
  }),
]);

export type AccessToken = z.output<typeof accessTokenSchema>;
/** An AccessToken as written: fields with defaults may be left out. */
export type AccessTokenInput = z.input<typeof accessTokenSchema>;
export type AccessTokenSpec = z.output<typeof accessTokenSpecSchema>;
export type AccessTokenSpecInput = z.input<typeof accessTokenSpecSchema>;
export type AccessTokenStatus = z.output<typeof accessTokenStatusSchema>;
export type ServerRef = z.output<typeof serverRefSchema>;
export type RotationSpec = z.output<typeof rotationSchema>;
export type CreditsSpec = z.output<typeof creditsSchema>;
export type RateLimitSpec = z.output<typeof rateLimitSchema>;
export type SecretTemplate = z.output<typeof secretTemplateSchema>;
export type RolloutRestartTarget = z.output<typeof rolloutTargetSchema>;
