import { CreateAccessTokenBody, CreateResourceBody, DefaultPermissions } from "../api/index.js";
import type { Construct } from "./cdktf.js";
import {
  isUnresolved,
  TerraformDataSource,
  TerraformProvider,
  TerraformResource,
  type TerraformMetaArguments,
} from "./cdktf.js";

/*
 * CDKTF bindings for tokenplane's own Terraform provider (`tokenplane/tokenplane`, served by
 * `tokenplane terraform-provider`): declare users, resources, default permissions and access
 * tokens on a token server directly, without Kubernetes. Written by hand with the provider
 * schema's names (props in camelCase, attributes in snake_case); constructs check literal
 * values with the server's own request schemas at synth time.
 */

const SOURCE = "tokenplane/tokenplane";
const GENERATOR = { providerName: "tokenplane" };

/** The provider block. Leave `url`/`token` out to use TOKENPLANE_SERVER / TOKENPLANE_TOKEN. */
export interface TokenplaneProviderProps {
  /** Base URL of the token server. */
  url?: string;
  /** Admin token (sensitive): better from a variable or the TOKENPLANE_TOKEN environment. */
  token?: string;
  /** PEM CA certificates to trust for https. */
  caBundle?: string;
  /** Skip TLS verification (never in production). */
  insecure?: boolean;
  /** Provider alias, for several servers in one stack. */
  alias?: string;
}

export class TokenplaneProvider extends TerraformProvider {
  constructor(
    scope: Construct,
    id: string,
    private readonly props: TokenplaneProviderProps = {},
  ) {
    super(scope, id, {
      terraformResourceType: "tokenplane",
      terraformGeneratorMetadata: GENERATOR,
      terraformProviderSource: SOURCE,
    });
    this.alias = props.alias;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      url: this.props.url,
      token: this.props.token,
      ca_bundle: this.props.caBundle,
      insecure: this.props.insecure,
      alias: this.alias,
    };
  }
}

/** The value with what only Terraform can resolve left out (list elements one by one). */
function literalPart(value: unknown): unknown {
  if (Array.isArray(value) && !isUnresolved(value))
    return value.filter((e: unknown) => !isUnresolved(e)).map(literalPart);
  return isUnresolved(value) ? undefined : value;
}

interface RequestSchema {
  safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } };
}

/**
 * Problems with literal values, as `cdktf synth` reports them (construct path and field),
 * found by the server's own request schema. Fields Terraform resolves later are skipped.
 */
function check(construct: Construct, schema: RequestSchema, body: Record<string, unknown>): void {
  construct.node.addValidation({
    validate: () => {
      const literal = Object.fromEntries(
        Object.entries(body)
          .map(([k, v]) => [k, literalPart(v)] as const)
          .filter(([, v]) => v !== undefined),
      );
      const parsed = schema.safeParse(literal);
      if (parsed.success || !parsed.error) return [];
      return parsed.error.issues
        .filter((i) => i.path.length > 0 && String(i.path[0]) in literal)
        .map((i) => `${construct.node.path}: ${i.path.map(String).join(".")}: ${i.message}`);
    },
  });
}

export interface TokenplaneUserProps extends TerraformMetaArguments {
  /** Unique user name (a change replaces the user). */
  name: string;
  /** Admin user (default false; a change replaces the user). */
  admin?: boolean;
}

/** `tokenplane_user`. */
export class TokenplaneUser extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly props: TokenplaneUserProps,
  ) {
    super(scope, id, {
      terraformResourceType: "tokenplane_user",
      terraformGeneratorMetadata: GENERATOR,
      ...props,
    });
  }
  get id(): string {
    return this.getStringAttribute("id");
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return { name: this.props.name, admin: this.props.admin };
  }
}

export interface RouteProps {
  /** Requests whose path starts with this belong to the resource, e.g. `/orders`. */
  pathPrefix: string;
  /** Only these HTTP methods (default all). */
  methods?: ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS")[];
}

export interface TokenplaneResourceProps extends TerraformMetaArguments {
  name: string;
  description?: string;
  routes?: RouteProps[];
}

/** `tokenplane_resource`: a registry entry that custom permissions may name. */
export class TokenplaneResource extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly props: TokenplaneResourceProps,
  ) {
    super(scope, id, {
      terraformResourceType: "tokenplane_resource",
      terraformGeneratorMetadata: GENERATOR,
      ...props,
    });
    check(this, CreateResourceBody, {
      name: props.name,
      description: props.description,
      routes: props.routes,
    });
  }
  /** The resource name, as a reference (so tokens naming it depend on it). */
  get resourceName(): string {
    return this.getStringAttribute("name");
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      name: this.props.name,
      description: this.props.description,
      routes: this.props.routes?.map((r) => ({ path_prefix: r.pathPrefix, methods: r.methods })),
    };
  }
}

export interface TokenplaneDefaultPermissionsProps extends TerraformMetaArguments {
  /** What requests without a token may do, e.g. `["articles:read"]`. */
  permissions: string[];
}

/** `tokenplane_default_permissions` (one per server). */
export class TokenplaneDefaultPermissions extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly props: TokenplaneDefaultPermissionsProps,
  ) {
    super(scope, id, {
      terraformResourceType: "tokenplane_default_permissions",
      terraformGeneratorMetadata: GENERATOR,
      ...props,
    });
    check(this, DefaultPermissions, { permissions: props.permissions });
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return { permissions: this.props.permissions };
  }
}

export interface ServerTokenProps extends TerraformMetaArguments {
  /** The owner's id, e.g. `user.id`. */
  userId: string;
  name: string;
  description?: string;
  kind?: "secret" | "publishable";
  type?: "read-only" | "full-access" | "custom";
  /** For `custom` tokens. */
  permissions?: string[];
  /** `7d`, `30d`, `90d`, `unlimited` or e.g. `12h`. */
  duration?: string;
  /** RFC 3339; instead of duration. */
  expiresAt?: string;
  allowedDomains?: string[];
  allowedIps?: string[];
  signedRequests?: boolean;
  credits?: { remaining: number; refill?: { amount: number; interval: "daily" | "weekly" | "monthly" } };
  rateLimit?: { limit: number; window: string };
  metadata?: Record<string, string>;
  externalId?: string;
  /** Rotate in place when a plan finds the token within `rotateBeforeDays` of expiry. */
  rotationConfiguration?: { rotateBeforeDays: number; gracePeriod?: string };
}

/**
 * `tokenplane_access_token` on the server. Its `token` attribute is sensitive but stored in
 * Terraform state; for a token that never reaches state use the ephemeral resource in HCL.
 */
export class TokenplaneServerToken extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly props: ServerTokenProps,
  ) {
    super(scope, id, {
      terraformResourceType: "tokenplane_access_token",
      terraformGeneratorMetadata: GENERATOR,
      ...props,
    });
    check(this, CreateAccessTokenBody, {
      name: props.name,
      description: props.description,
      kind: props.kind,
      type: props.type,
      permissions: props.permissions,
      duration: props.duration,
      expiresAt: props.expiresAt,
      allowedDomains: props.allowedDomains,
      allowedIps: props.allowedIps,
      signedRequests: props.signedRequests,
      credits: props.credits,
      rateLimit: props.rateLimit,
      metadata: props.metadata,
      externalId: props.externalId,
    });
  }
  get id(): string {
    return this.getStringAttribute("id");
  }
  get displayPrefix(): string {
    return this.getStringAttribute("display_prefix");
  }
  get expiresAt(): string {
    return this.getStringAttribute("expires_at");
  }
  /** The plain token (sensitive; in state). */
  get token(): string {
    return this.getStringAttribute("token");
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    const p = this.props;
    return {
      user_id: p.userId,
      name: p.name,
      description: p.description,
      kind: p.kind,
      type: p.type,
      permissions: p.permissions,
      duration: p.duration,
      expires_at: p.expiresAt,
      allowed_domains: p.allowedDomains,
      allowed_ips: p.allowedIps,
      signed_requests: p.signedRequests,
      credits: p.credits && {
        remaining: p.credits.remaining,
        refill: p.credits.refill && { amount: p.credits.refill.amount, interval: p.credits.refill.interval },
      },
      rate_limit: p.rateLimit && { limit: p.rateLimit.limit, window: p.rateLimit.window },
      metadata: p.metadata,
      external_id: p.externalId,
      rotation_configuration: p.rotationConfiguration && {
        rotate_before_days: p.rotationConfiguration.rotateBeforeDays,
        grace_period: p.rotationConfiguration.gracePeriod,
      },
    };
  }
}

/** `data "tokenplane_user"`: by id or name; with neither, the provider's own user. */
export class DataTokenplaneUser extends TerraformDataSource {
  constructor(
    scope: Construct,
    id: string,
    private readonly props: TerraformMetaArguments & { id?: string; name?: string } = {},
  ) {
    super(scope, id, {
      terraformResourceType: "tokenplane_user",
      terraformGeneratorMetadata: GENERATOR,
      ...props,
    });
  }
  get userId(): string {
    return this.getStringAttribute("id");
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return { id: this.props.id, name: this.props.name };
  }
}

/** `data "tokenplane_access_token"`: a token's metadata, never its secret. */
export class DataTokenplaneAccessToken extends TerraformDataSource {
  constructor(
    scope: Construct,
    id: string,
    private readonly props: TerraformMetaArguments & { userId: string; tokenId: string },
  ) {
    super(scope, id, {
      terraformResourceType: "tokenplane_access_token",
      terraformGeneratorMetadata: GENERATOR,
      ...props,
    });
  }
  get expiresAt(): string {
    return this.getStringAttribute("expires_at");
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return { user_id: this.props.userId, id: this.props.tokenId };
  }
}

/** `data "tokenplane_resources"`: the whole registry. */
export class DataTokenplaneResources extends TerraformDataSource {
  constructor(scope: Construct, id: string, props: TerraformMetaArguments = {}) {
    super(scope, id, {
      terraformResourceType: "tokenplane_resources",
      terraformGeneratorMetadata: GENERATOR,
      ...props,
    });
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return {};
  }
}
