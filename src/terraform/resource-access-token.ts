import { orMissing } from "../client/index.js";
import { CreateAccessTokenBody, type AccessToken, type UpdateAccessTokenBody } from "../api/index.js";
import {
  createBody,
  creditsBody,
  isIssued,
  plannedPermissions,
  rateLimitBody,
  tokenComputedAttributes,
  tokenSettingAttributes,
  tokenState,
} from "./access-token-attributes.js";
import { isWhollyKnown, UNKNOWN, type Value, type ValueObject } from "./cty-value.js";
import { DiagnosticsError, errorAt, fieldPath, type Diagnostic } from "./diagnostics.js";
import type { ManagedResource, PlanInput } from "./resource-kinds.js";
import type { BlockSpec } from "./schema.js";
import { basePlan, changedAttributes, num, obj, str, stringMap, strings } from "./value-ops.js";

const DAY_MS = 86_400_000;

export const accessTokenSchema: BlockSpec = {
  description:
    "An access token on the token server. The plain token is in the sensitive `token` attribute, set when the token is created or regenerated (and therefore stored in state); use the `tokenplane_access_token` ephemeral resource to keep it out of state.",
  attributes: {
    user_id: {
      type: "string",
      required: true,
      requiresReplace: true,
      description: "The owner. Tokens cannot move between users: a change replaces the token.",
    },
    ...tokenSettingAttributes("config"),
    rotation_configuration: {
      nested: {
        nesting: "single",
        attributes: {
          rotate_before_days: {
            type: "number",
            required: true,
            description: "Rotate when the token expires within this many days (checked at plan).",
          },
          grace_period: {
            type: "string",
            optional: true,
            description:
              "How long the previous secret keeps working after a rotation (e.g. `1h`; default none).",
          },
        },
      },
      optional: true,
      description:
        "Rotate the token in place when `plan` finds it close to expiry: a new secret, and the expiry pushed out by `duration` again. Needs a `duration` other than `unlimited`.",
    },
    ...tokenComputedAttributes,
    token: {
      type: "string",
      computed: true,
      sensitive: true,
      description: "The plain token, set on creation and rotation (null after import).",
    },
    private_key: {
      type: "string",
      computed: true,
      sensitive: true,
      description: "PEM Ed25519 private key for signing requests (with `signed_requests`).",
    },
  },
};

const SETS = new Set(["permissions", "allowed_domains", "allowed_ips"]);

/** Checks configuration with the API's own request schema, naming attributes, skipping unknowns. */
export function validateTokenSettings(config: ValueObject): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const parsed = CreateAccessTokenBody.safeParse(createBody(config));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path
        .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
        .join("")
        .slice(1);
      const path = fieldPath(field, SETS);
      const top = path[0];
      if (typeof top !== "string" || !(top in config) || !isWhollyKnown(config[top] ?? null)) continue;
      if (config[top] === null) continue;
      diags.push(errorAt(path, `Invalid ${path.join(".")}`, issue.message));
    }
  }
  const type = config.type;
  if (config.permissions !== null && typeof type === "string" && type !== "custom")
    diags.push(
      errorAt(
        ["permissions"],
        'permissions need type = "custom"',
        `A ${type} token's permissions follow from its type.`,
      ),
    );
  if (config.permissions === null && type === "custom")
    diags.push(errorAt(["permissions"], "A custom token needs permissions", "List them as resource:action."));
  if (config.duration !== null && config.expires_at !== null)
    diags.push(
      errorAt(["expires_at"], "Conflicting expiry", "Give either duration or expires_at, not both."),
    );
  return diags;
}

function validate(config: ValueObject): Diagnostic[] {
  const diags = validateTokenSettings(config);
  const rotation = obj(config.rotation_configuration);
  if (rotation) {
    const duration = config.duration;
    if (duration === null || duration === "unlimited")
      diags.push(
        errorAt(
          ["rotation_configuration"],
          "Rotation needs a duration",
          "rotation_configuration renews the expiry by `duration`; set a duration other than unlimited.",
        ),
      );
    const before = num(rotation.rotate_before_days);
    if (before !== null && (before < 0 || !Number.isInteger(before)))
      diags.push(
        errorAt(
          ["rotation_configuration", "rotate_before_days"],
          "Invalid rotate_before_days",
          "Must be a whole number of days, at least 0.",
        ),
      );
  }
  return diags;
}

/** gitlab_personal_access_token style: due when the expiry is within rotate_before_days. */
function rotationDue(prior: ValueObject, config: ValueObject, now: Date): boolean {
  const rotation = obj(config.rotation_configuration);
  const before = num(rotation?.rotate_before_days);
  const expiresAt = str(prior.expires_at);
  if (before === null || expiresAt === null) return false;
  return now.getTime() >= Date.parse(expiresAt) - before * DAY_MS;
}

function plan({ prior, config, now }: PlanInput) {
  const p = basePlan(accessTokenSchema, prior, config);
  if (config.duration === null) p.duration = config.expires_at !== null ? null : "unlimited";
  p.permissions = p.type === UNKNOWN ? UNKNOWN : plannedPermissions(p.type, config.permissions);
  const signed = p.signed_requests;
  const newKey: Value = signed === true ? UNKNOWN : signed === false ? null : UNKNOWN;
  const plannedCredits = obj(p.credits);
  const creditsNow: Value =
    p.credits === UNKNOWN ? UNKNOWN : plannedCredits ? (plannedCredits.remaining ?? null) : null;
  const expiryFromDuration: Value = p.duration === "unlimited" ? null : UNKNOWN;

  if (!prior) {
    return {
      planned: {
        ...p,
        expires_at: config.expires_at ?? expiryFromDuration,
        credits_remaining: creditsNow,
        last_used_at: null,
        token: UNKNOWN,
        private_key: newKey,
      },
    };
  }
  const rotate = rotationDue(prior, config, now);
  const changed = changedAttributes(accessTokenSchema, prior, p);
  const regenerate = rotate || changed.includes("kind") || changed.includes("signed_requests");
  if (config.expires_at === null && (changed.includes("duration") || rotate))
    p.expires_at = expiryFromDuration;
  if (regenerate) Object.assign(p, { token: UNKNOWN, display_prefix: UNKNOWN, private_key: newKey });
  if (changed.length > 0 || rotate) {
    Object.assign(p, {
      updated_at: UNKNOWN,
      revision: UNKNOWN,
      last_used_at: UNKNOWN,
      credits_remaining: changed.includes("credits") ? creditsNow : plannedCredits ? UNKNOWN : null,
    });
  }
  return {
    planned: p,
    requiresReplace: changed.includes("user_id") ? [["user_id"]] : [],
    ...(rotate ? { private: { rotate: true } } : {}),
  };
}

/** The state after a create, read or update: the server's view plus what only Terraform knows. */
function stateOf(
  t: AccessToken,
  keep: ValueObject,
  secrets: { token: Value; private_key: Value },
): ValueObject {
  return {
    ...tokenState(t, keep),
    rotation_configuration: keep.rotation_configuration ?? null,
    token: secrets.token,
    private_key: secrets.private_key,
  };
}

function updateBody(
  changed: readonly string[],
  planned: ValueObject,
  config: ValueObject,
  rotate: boolean,
): UpdateAccessTokenBody {
  const body: UpdateAccessTokenBody = {};
  const has = (n: string) => changed.includes(n);
  if (has("name")) body.name = str(planned.name) ?? "";
  if (has("description")) body.description = str(planned.description) ?? "";
  if (has("type")) body.type = planned.type as UpdateAccessTokenBody["type"];
  if ((has("type") || has("permissions")) && planned.type === "custom")
    body.permissions = strings(planned.permissions) ?? [];
  if (config.expires_at !== null) {
    if (has("expires_at")) body.expiresAt = str(planned.expires_at);
  } else if (has("duration") || rotate) {
    const duration = str(planned.duration);
    if (duration !== null) body.duration = duration;
  }
  if (has("allowed_domains")) body.allowedDomains = strings(planned.allowed_domains) ?? [];
  if (has("allowed_ips")) body.allowedIps = strings(planned.allowed_ips) ?? [];
  if (has("credits")) body.credits = creditsBody(planned.credits);
  if (has("rate_limit")) body.rateLimit = rateLimitBody(planned.rate_limit);
  if (has("metadata")) body.metadata = stringMap(planned.metadata) ?? {};
  if (has("external_id")) body.externalId = str(planned.external_id);
  return body;
}

function splitImportId(id: string): [string, string] {
  const parts = id.split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1])
    throw new DiagnosticsError([
      errorAt(undefined, "Invalid import id", `Expected "<user_id>/<token_id>", got "${id}".`),
    ]);
  return [parts[0], parts[1]];
}

/** `tokenplane_access_token`: every API field, in-place updates, rotation at plan time. */
export const accessTokenResource: ManagedResource = {
  typeName: "tokenplane_access_token",
  schema: accessTokenSchema,
  sets: SETS,
  validate,
  plan,
  async create({ api }, planned) {
    const issued = await api.createToken(str(planned.user_id) ?? "", createBody(planned));
    return stateOf(issued, planned, { token: issued.token, private_key: issued.privateKey ?? null });
  },
  async read({ api }, state) {
    const found = await orMissing(api.getToken(str(state.user_id) ?? "", str(state.id) ?? ""));
    if (!found) return null;
    return stateOf(found, state, { token: state.token ?? null, private_key: state.private_key ?? null });
  },
  async update({ api }, prior, planned, config, privateData) {
    const userId = str(prior.user_id) ?? "";
    const tokenId = str(prior.id) ?? "";
    const rotate = privateData.rotate === true;
    const changed = changedAttributes(accessTokenSchema, prior, planned);
    const body = updateBody(changed, planned, config, rotate);
    let current: AccessToken | undefined =
      Object.keys(body).length > 0 ? await api.updateToken(userId, tokenId, body) : undefined;
    const regenerate = rotate || changed.includes("kind") || changed.includes("signed_requests");
    if (regenerate) {
      const grace = str(obj(planned.rotation_configuration)?.grace_period);
      current = await api.regenerateToken(userId, tokenId, {
        ...(changed.includes("kind") ? { kind: planned.kind as "secret" | "publishable" } : {}),
        ...(changed.includes("signed_requests") ? { signedRequests: planned.signed_requests === true } : {}),
        ...(rotate && grace ? { gracePeriod: grace } : {}),
      });
    }
    current ??= await orMissing(api.getToken(userId, tokenId));
    if (!current)
      throw new DiagnosticsError([errorAt(undefined, "The access token disappeared during the update")]);
    const secrets = isIssued(current)
      ? { token: current.token, private_key: current.privateKey ?? null }
      : { token: prior.token ?? null, private_key: prior.private_key ?? null };
    return stateOf(current, planned, secrets);
  },
  async delete({ api }, prior) {
    await orMissing(api.deleteToken(str(prior.user_id) ?? "", str(prior.id) ?? ""));
  },
  async importState({ api }, id) {
    const [userId, tokenId] = splitImportId(id);
    const found = await orMissing(api.getToken(userId, tokenId));
    if (!found)
      throw new DiagnosticsError([errorAt(undefined, `No access token ${tokenId} for user ${userId}`)]);
    return stateOf(found, {}, { token: null, private_key: null });
  },
};
