import { LocalBackend, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider/index.js";
// In your own project: import { ... } from "tokenplane/cdktf";
import { ClusterTokenServer, TokenplaneTokens } from "../../src/provider/index.js";

/**
 * Three teams' API tokens, declared as AccessTokens for the tokenplane operator. Terraform applies
 * the AccessTokens and waits until each is Ready; the operator issues every token into a Secret
 * in the team's namespace. Terraform's state and outputs hold Secret names and token ids, never
 * a token.
 */
export class TokensStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Relative to where Terraform runs (cdktf.out/stacks/<id>): the state sits next to cdktf.json,
    // and the synthesized JSON holds no absolute path of this machine.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });

    const kubeconfig = new TerraformVariable(this, "kubeconfig", {
      type: "string",
      default: "~/.kube/config",
      description: "Path of the kubeconfig for the cluster running the tokenplane operator",
    });
    new KubernetesProvider(this, "kubernetes", { configPath: kubeconfig.stringValue });

    // The shop team's tokens come from the operator's embedded token server (the default).
    const shop = new TokenplaneTokens(this, "shop", { namespace: "shop" });
    shop.addToken("storefront", {
      description: "storefront reads orders and articles",
      type: "custom",
      permissions: ["orders:read", "articles:read"],
      duration: "30d",
      rotation: { renewBefore: "10d", gracePeriod: "1h" },
      allowedDomains: ["shop.example.com"],
      secretTemplate: { name: "storefront-token" },
      rolloutRestartTargets: [{ kind: "Deployment", name: "storefront" }],
    });
    shop.addToken("checkout", {
      description: "checkout creates orders; every request signed",
      type: "custom",
      permissions: ["orders:create", "orders:read"],
      duration: "7d",
      rotation: { gracePeriod: "30m" },
      allowedIps: ["10.20.0.0/16"],
      rateLimit: { limit: 50, window: "1s" },
      signedRequests: true,
      secretTemplate: {
        name: "checkout-token",
        keys: { token: "API_TOKEN", tokenId: "API_TOKEN_ID", expiresAt: "API_TOKEN_EXPIRES_AT" },
        labels: { "app.kubernetes.io/name": "checkout" },
      },
      rolloutRestartTargets: [
        { kind: "Deployment", name: "checkout" },
        { kind: "StatefulSet", name: "checkout-worker" },
      ],
    });

    // Analytics: a read-only reporting token with a monthly budget, and a publishable one for a dashboard.
    const analytics = new TokenplaneTokens(this, "analytics", {
      namespace: "analytics",
      labels: { "example.com/team": "analytics" },
    });
    analytics.addToken("reporting", {
      description: "nightly reports",
      type: "read-only",
      duration: "90d",
      credits: { limit: 100000, refill: { amount: 100000, interval: "monthly" } },
    });
    analytics.addToken("dashboard", {
      description: "browser dashboard, read only",
      kind: "publishable",
      type: "custom",
      permissions: ["reports:read"],
      allowedDomains: ["dashboard.example.com", "*.dashboard.example.com"],
      rateLimit: { limit: 600, window: "1m" },
    });

    // Billing uses a central token server outside the cluster, shared with allowed namespaces.
    // Its admin token lives in a Secret created outside Terraform (so it never enters the state).
    const central = new ClusterTokenServer(this, "central", {
      url: "https://tokens.internal.example.com:8443",
      credentialsSecretRef: { namespace: "tokenplane-system", name: "central-admin", key: "token" },
      allowedNamespaces: { matchLabels: { "tokens.example.com/central": "allowed" } },
    });
    const billing = new TokenplaneTokens(this, "billing", {
      namespace: "billing",
      serverRef: central.ref,
      timeout: "5m",
    });
    billing.addToken("invoices", {
      description: "invoice service",
      type: "custom",
      permissions: ["invoices:*", "customers:read"],
      duration: "30d",
      deletionPolicy: "Retain",
      secretTemplate: { name: "invoices-api-token", annotations: { "example.com/owner": "billing" } },
    });
  }
}
