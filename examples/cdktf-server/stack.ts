import { LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
// In your own project: import { ... } from "tokenplane/cdktf";
import {
  DataTokenplaneResources,
  TokenplaneDefaultPermissions,
  TokenplaneProvider,
  TokenplaneResource,
  TokenplaneServerToken,
  TokenplaneUser,
} from "../../src/provider/index.js";

/**
 * Tokens declared on a token server directly, through tokenplane's own Terraform provider
 * (no Kubernetes): a registry entry, a team user, what anonymous callers may read, and the
 * team's token, rotated in place a week before it expires. The admin token comes from
 * TOKENPLANE_TOKEN in the environment, never from the code.
 */
export class ServerTokensStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Relative to where Terraform runs (cdktf.out/stacks/<id>): the state sits next to cdktf.json.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });

    const url = new TerraformVariable(this, "tokenplane_url", {
      type: "string",
      default: "http://localhost:8080",
      description: "Base URL of the tokenplane token server",
    });
    new TokenplaneProvider(this, "tokenplane", { url: url.stringValue });

    const orders = new TokenplaneResource(this, "orders", {
      name: "orders",
      description: "The order API",
      routes: [{ pathPrefix: "/orders" }],
    });
    const articles = new TokenplaneResource(this, "articles", {
      name: "articles",
      routes: [{ pathPrefix: "/articles", methods: ["GET", "HEAD"] }],
    });
    new TokenplaneDefaultPermissions(this, "anonymous", {
      permissions: [`${articles.resourceName}:read`],
    });

    const team = new TokenplaneUser(this, "shop_team", { name: "shop-team" });
    const storefront = new TokenplaneServerToken(this, "storefront", {
      userId: team.id,
      name: "storefront",
      description: "storefront reads orders and articles",
      type: "custom",
      permissions: [`${orders.resourceName}:read`, `${articles.resourceName}:read`],
      duration: "30d",
      rotationConfiguration: { rotateBeforeDays: 7, gracePeriod: "1h" },
      allowedDomains: ["shop.example.com"],
      rateLimit: { limit: 100, window: "1m" },
      metadata: { team: "shop" },
      externalId: "shop/storefront",
    });

    new DataTokenplaneResources(this, "registry", { dependsOn: [orders, articles] });

    new TerraformOutput(this, "storefront_token_id", { value: storefront.id });
    new TerraformOutput(this, "storefront_display_prefix", { value: storefront.displayPrefix });
  }
}
