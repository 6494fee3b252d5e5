import * as z from "zod";
import {
  base64,
  conditions,
  dnsLabel,
  dnsSubdomain,
  labelMap,
  objectMetaSchema,
  secretKey,
  URL_PATTERN,
} from "./fields.js";
import { GROUP_VERSION } from "./names.js";
import { rule, withRules } from "./rule.js";

/** The key read from the credentials Secret when none is named. */
export const DEFAULT_CREDENTIALS_KEY = "token";

const url = () =>
  z
    .string()
    .max(2048)
    .regex(new RegExp(URL_PATTERN), { error: "must be an http or https URL" })
    .describe("Base URL of the token server, e.g. https://tokens.internal:8443.");

const caBundle = () =>
  base64(262_144)
    .optional()
    .describe(
      "Base64-encoded PEM CA certificates to trust for the server's TLS certificate. Default: the system roots.",
    );

const secretKeyRef = () =>
  secretKey()
    .optional()
    .describe(`Key in the Secret holding the admin token. Defaults to ${DEFAULT_CREDENTIALS_KEY}.`);

const secretNameRef = () => dnsSubdomain().describe("Name of the Secret.");

const CREDENTIALS_DESCRIPTION =
  "The Secret holding a token-server admin token, which the operator uses to manage tokens.";

const labelSelectorRequirement = withRules(
  z
    .object({
      key: z.string().min(1).max(317).describe("The label key."),
      operator: z
        .enum(["In", "NotIn", "Exists", "DoesNotExist"])
        .describe("In, NotIn, Exists or DoesNotExist."),
      values: z
        .array(z.string().max(63))
        .max(64)
        .optional()
        .describe("Values for In and NotIn; must be empty for Exists and DoesNotExist."),
    })
    .describe("A label selector requirement."),
  [
    rule({
      cel: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
      field: ["values"],
      message: "must be non-empty for In and NotIn and empty for Exists and DoesNotExist",
      check: (s) =>
        s.operator === "In" || s.operator === "NotIn"
          ? (s.values ?? []).length > 0
          : (s.values ?? []).length === 0,
    }),
  ],
);

const labelSelector = z
  .object({
    matchLabels: labelMap(64).optional().describe("Labels a namespace must have, all of them."),
    matchExpressions: z
      .array(labelSelectorRequirement)
      .max(32)
      .optional()
      .describe("Requirements a namespace's labels must meet, all of them."),
  })
  .describe("A label selector over namespaces.");

const serverStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe("The .metadata.generation the operator last acted on."),
    conditions: conditions()
      .optional()
      .describe("Ready: the server answers and the credentials are accepted."),
    version: z.string().max(256).optional().describe("Version the token server reports."),
  })
  .describe("What the operator observed.");

export const tokenServerSpecSchema = z
  .object({
    url: url(),
    credentialsSecretRef: z
      .object({ name: secretNameRef(), key: secretKeyRef() })
      .describe(CREDENTIALS_DESCRIPTION + " It must be in the TokenServer's namespace."),
    caBundle: caBundle(),
  })
  .describe("How to reach the token server.");

export const clusterTokenServerSpecSchema = z
  .object({
    url: url(),
    credentialsSecretRef: z
      .object({
        namespace: dnsLabel().describe("Namespace of the Secret."),
        name: secretNameRef(),
        key: secretKeyRef(),
      })
      .describe(CREDENTIALS_DESCRIPTION),
    caBundle: caBundle(),
    allowedNamespaces: labelSelector
      .optional()
      .describe(
        "Namespaces whose AccessTokens may use this server. Default: all. Other namespaces' " +
          "AccessTokens get Ready=False with reason NamespaceNotAllowed.",
      ),
  })
  .describe("How to reach the token server, and who may use it.");

export const tokenServerSchema = z
  .object({
    apiVersion: z.literal(GROUP_VERSION).describe("APIVersion of this object."),
    kind: z.literal("TokenServer").describe("Kind of this object."),
    metadata: objectMetaSchema,
    spec: tokenServerSpecSchema,
    status: serverStatusSchema.optional(),
  })
  .describe("A token server that AccessTokens in the same namespace can use.");

export const clusterTokenServerSchema = z
  .object({
    apiVersion: z.literal(GROUP_VERSION).describe("APIVersion of this object."),
    kind: z.literal("ClusterTokenServer").describe("Kind of this object."),
    metadata: objectMetaSchema,
    spec: clusterTokenServerSpecSchema,
    status: serverStatusSchema.optional(),
  })
  .describe("A token server that AccessTokens in any allowed namespace can use.");

export type TokenServer = z.output<typeof tokenServerSchema>;
export type TokenServerInput = z.input<typeof tokenServerSchema>;
export type TokenServerSpec = z.output<typeof tokenServerSpecSchema>;
export type ClusterTokenServer = z.output<typeof clusterTokenServerSchema>;
export type ClusterTokenServerInput = z.input<typeof clusterTokenServerSchema>;
export type ClusterTokenServerSpec = z.output<typeof clusterTokenServerSpecSchema>;
export type TokenServerStatus = z.output<typeof serverStatusSchema>;
export type LabelSelector = z.output<typeof labelSelector>;
