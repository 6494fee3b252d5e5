import { readFileSync } from "node:fs";
import * as z from "zod";
import { managementApi, type ManagementApi } from "../client/index.js";
import type { ValueObject } from "./cty-value.js";
import { errorAt, type Diagnostic } from "./diagnostics.js";
import type { BlockSpec } from "./schema.js";

export const providerSchema: BlockSpec = {
  description:
    "Manages users, resources, default permissions and access tokens on a tokenplane token server.",
  attributes: {
    url: {
      type: "string",
      optional: true,
      description:
        "Base URL of the token server, e.g. `https://tokens.example.com`. Default: env `TOKENPLANE_SERVER`.",
    },
    token: {
      type: "string",
      optional: true,
      sensitive: true,
      description:
        "An admin token (or one with the permissions you manage). Default: env `TOKENPLANE_TOKEN`.",
    },
    ca_bundle: {
      type: "string",
      optional: true,
      description:
        "PEM CA certificates to trust for https instead of the system's. Default: env `TOKENPLANE_CA_BUNDLE` (a file path).",
    },
    insecure: {
      type: "bool",
      optional: true,
      description: "Skip TLS certificate verification (never in production). Default false.",
    },
  },
};

const Settings = z.object({
  url: z
    .url({ protocol: /^https?$/, error: "must be an http or https URL such as https://tokens.example.com" })
    .optional(),
  token: z.string().min(1, "must not be empty").optional(),
  ca_bundle: z
    .string()
    .includes("-----BEGIN CERTIFICATE-----", { error: "must be PEM certificates" })
    .optional(),
  insecure: z.boolean().optional(),
});

const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** The provider's settings (known values) and environment, or diagnostics naming what is wrong. */
export function connectionFrom(
  config: ValueObject,
  env: NodeJS.ProcessEnv,
): { api: ManagementApi; diagnostics: [] } | { api?: undefined; diagnostics: Diagnostic[] } {
  let caFromEnv: string | undefined;
  try {
    caFromEnv = env.TOKENPLANE_CA_BUNDLE ? readFileSync(env.TOKENPLANE_CA_BUNDLE, "utf8") : undefined;
  } catch (err) {
    return {
      diagnostics: [errorAt(["ca_bundle"], "Cannot read TOKENPLANE_CA_BUNDLE", (err as Error).message)],
    };
  }
  const parsed = Settings.safeParse({
    url: orUndefined(config.url ?? null) ?? (env.TOKENPLANE_SERVER || undefined),
    token: orUndefined(config.token ?? null) ?? (env.TOKENPLANE_TOKEN || undefined),
    ca_bundle: orUndefined(config.ca_bundle ?? null) ?? caFromEnv,
    insecure: orUndefined(config.insecure ?? null),
  });
  if (!parsed.success)
    return {
      // Messages only: a value (the token above all) is never echoed back.
      diagnostics: parsed.error.issues.map((i) =>
        errorAt([String(i.path[0])], `Invalid provider ${String(i.path[0])}`, i.message),
      ),
    };
  const { url, token, ca_bundle, insecure } = parsed.data;
  const missing: Diagnostic[] = [];
  if (!url)
    missing.push(errorAt(["url"], "Missing url", "Set url in the provider block or TOKENPLANE_SERVER."));
  if (!token)
    missing.push(errorAt(["token"], "Missing token", "Set token in the provider block or TOKENPLANE_TOKEN."));
  if (!url || !token) return { diagnostics: missing };
  return {
    api: managementApi({
      url,
      token,
      ...(ca_bundle ? { caBundle: ca_bundle } : {}),
      ...(insecure ? { insecure } : {}),
    }),
    diagnostics: [],
  };
}
