import { orMissing } from "../client/index.js";
import { tokenSettingAttributes } from "./access-token-attributes.js";
import { validateTokenSettings } from "./resource-access-token.js";
import { createBody } from "./access-token-attributes.js";
import type { ValueObject } from "./cty-value.js";
import { DiagnosticsError, errorAt, type Diagnostic } from "./diagnostics.js";
import type { EphemeralResource } from "./resource-kinds.js";
import { str } from "./value-ops.js";

const settings = tokenSettingAttributes("config");

/**
 * `ephemeral "tokenplane_access_token"`: a plain token that never enters plan or state.
 * With `token_id` it regenerates that (managed) token's secret, for a write-only argument
 * elsewhere; without, it mints a short-lived token for this run and revokes it on close.
 */
export const accessTokenEphemeral: EphemeralResource = {
  typeName: "tokenplane_access_token",
  schema: {
    description:
      "A plain token that Terraform never stores. With `token_id`: regenerates that token's secret (pass it to a write-only argument; each plan and apply regenerates, so set `grace_period`). Without: mints a token for this run (`name` required, default duration 1h) and revokes it when Terraform closes the ephemeral resource.",
    attributes: {
      user_id: { type: "string", required: true, description: "The owner's id." },
      token_id: {
        type: "string",
        optional: true,
        description: "Regenerate this existing token instead of minting one.",
      },
      grace_period: {
        type: "string",
        optional: true,
        description: "With `token_id`: how long the previous secret keeps working (e.g. `1h`).",
      },
      name: { ...settings.name!, required: false, optional: true, description: "Name of the minted token." },
      description: { ...settings.description!, computed: false, default: undefined },
      type: { ...settings.type!, computed: false, default: undefined },
      permissions: { ...settings.permissions!, computed: false },
      duration: {
        ...settings.duration!,
        computed: false,
        description: "Lifetime of the minted token (default `1h`).",
      },
      id: { type: "string", computed: true, description: "The token's id." },
      token: { type: "string", computed: true, sensitive: true, description: "The plain token." },
      display_prefix: { type: "string", computed: true, description: "The first characters of the token." },
      expires_at: { type: "string", computed: true, description: "Expiry (RFC 3339)." },
    },
  },
  validate(config) {
    const diags: Diagnostic[] = [];
    if (config.token_id === null && config.name === null)
      diags.push(
        errorAt(["name"], "Missing name", "Give token_id (regenerate) or name (mint a token for this run)."),
      );
    if (typeof config.token_id === "string" && config.name !== null)
      diags.push(
        errorAt(["name"], "name conflicts with token_id", "A regenerated token keeps its settings."),
      );
    if (config.token_id === null) diags.push(...validateTokenSettings({ ...config, expires_at: null }));
    return diags;
  },
  async open({ api }, config) {
    const userId = str(config.user_id) ?? "";
    const tokenId = str(config.token_id);
    if (tokenId) {
      const grace = str(config.grace_period);
      const issued = await api.regenerateToken(userId, tokenId, grace ? { gracePeriod: grace } : {});
      return { result: resultOf(config, issued) };
    }
    const body = createBody({ ...config, expires_at: null, duration: config.duration ?? "1h" });
    const issued = await api.createToken(userId, body);
    return { result: resultOf(config, issued), private: { userId, tokenId: issued.id } };
  },
  async close({ api }, privateData) {
    const { userId, tokenId } = privateData;
    if (typeof userId !== "string" || typeof tokenId !== "string")
      throw new DiagnosticsError([errorAt(undefined, "Nothing to revoke: private data is missing")]);
    await orMissing(api.deleteToken(userId, tokenId));
  },
};

function resultOf(
  config: ValueObject,
  issued: { id: string; token: string; displayPrefix: string; expiresAt: string | null },
): ValueObject {
  return {
    ...config,
    id: issued.id,
    token: issued.token,
    display_prefix: issued.displayPrefix,
    expires_at: issued.expiresAt,
  };
}
