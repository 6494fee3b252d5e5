import * as z from "zod";
import { API_GROUP, API_VERSION } from "../crd/index.js";

/*
 * AccessTokens, Secrets and Events as the CLI reads them from the API server: only the fields
 * it shows, checked, so a hand-edited status shows up as "unknown" rather than a crash.
 */

const Condition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  observedGeneration: z.int().optional(),
  lastTransitionTime: z.string().optional(),
});
export type Condition = z.infer<typeof Condition>;

const Meta = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const AccessTokenObject = z.object({
  metadata: Meta,
  spec: z
    .object({
      serverRef: z.object({ kind: z.string(), name: z.string() }).optional(),
      secretTemplate: z.object({ name: z.string().optional() }).optional(),
      type: z.string().optional(),
      duration: z.string().optional(),
    })
    .catch({}),
  status: z
    .object({
      observedGeneration: z.int().optional(),
      conditions: z.array(Condition).optional(),
      tokenId: z.string().optional(),
      secretName: z.string().optional(),
      issuedAt: z.string().optional(),
      expiresAt: z.string().optional(),
      renewalTime: z.string().optional(),
      revision: z.int().optional(),
      lastRotationReason: z.string().optional(),
      lastRotateAnnotation: z.string().optional(),
    })
    .catch({})
    .optional(),
});
export type AccessTokenObject = z.infer<typeof AccessTokenObject>;

export const AccessTokenList = z.object({ items: z.array(AccessTokenObject) });

export const SecretObject = z.object({
  metadata: Meta.extend({
    labels: z.record(z.string(), z.string()).optional(),
    ownerReferences: z.array(z.object({ kind: z.string(), name: z.string(), uid: z.string() })).optional(),
  }),
  type: z.string().optional(),
  data: z.record(z.string(), z.string()).optional(),
});

export const EventList = z.object({
  items: z.array(
    z.object({
      type: z.string().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      count: z.int().optional(),
      lastTimestamp: z.string().nullable().optional(),
      eventTime: z.string().nullable().optional(),
      firstTimestamp: z.string().nullable().optional(),
    }),
  ),
});

export const TokenServerObject = z.object({
  spec: z.object({ url: z.string().optional() }).catch({}),
  status: z
    .object({ conditions: z.array(Condition).optional() })
    .catch({})
    .optional(),
});

const GROUP_PATH = `/apis/${API_GROUP}/${API_VERSION}`;
export const accessTokensPath = (namespace: string | undefined, name?: string): string =>
  `${GROUP_PATH}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ""}/accesstokens${
    name ? `/${encodeURIComponent(name)}` : ""
  }`;
export const serverPath = (ref: { kind: string; name: string }, namespace: string): string =>
  ref.kind === "TokenServer"
    ? `${GROUP_PATH}/namespaces/${encodeURIComponent(namespace)}/tokenservers/${encodeURIComponent(ref.name)}`
    : `${GROUP_PATH}/clustertokenservers/${encodeURIComponent(ref.name)}`;
export const secretPath = (namespace: string, name: string): string =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
export const eventsPath = (namespace: string): string =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;

export const conditionOf = (at: AccessTokenObject, type: string): Condition | undefined =>
  at.status?.conditions?.find((c) => c.type === type);
