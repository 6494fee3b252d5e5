import { fileURLToPath } from "node:url";
import { Testing, TerraformVariable } from "cdktf";
import { describe, expect, it } from "vitest";
import { TOKEN_SEARCH_PATTERN } from "../../src/core/index.js";
import { exampleAccessToken } from "../../src/crd/index.js";
import type { AccessTokenProps, TokenplaneAccessToken } from "../../src/provider/index.js";
import {
  ClusterTokenServer,
  TokenplaneTokens,
  TokenResource,
  TokenServer,
} from "../../src/provider/index.js";
import { TokensStack } from "../../examples/cdktf/stack.js";
import type { TerraformJson } from "../support/cdktf.js";
import { appliedObjects, manifests, prettyJson, synthError, synthStack, testApp } from "../support/cdktf.js";
import { customResourceErrors } from "../support/crd-validator.js";

const SNAPSHOT = fileURLToPath(new URL("__snapshots__/example-stack.tf.json", import.meta.url));

/** The operator contract's example AccessToken spec, as construct props. */
const storefrontSpec = () => exampleAccessToken().spec as AccessTokenProps;

function exampleJson(): TerraformJson {
  const stack = new TokensStack(testApp(), "tokenplane-example");
  return JSON.parse(Testing.synth(stack, true)) as TerraformJson;
}

describe("the example app's stack", () => {
  const tf = exampleJson();

  it("synthesizes to the pinned Terraform JSON", async () => {
    await expect(await prettyJson(tf, SNAPSHOT)).toMatchFileSnapshot(SNAPSHOT);
  });

  it("applies only objects the CRDs accept", () => {
    const objects = appliedObjects(tf);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      "AccessToken",
      "AccessToken",
      "AccessToken",
      "AccessToken",
      "AccessToken",
      "ClusterTokenServer",
    ]);
    for (const object of objects) expect(customResourceErrors(object), JSON.stringify(object)).toEqual([]);
  });

  it("waits for each object to be Ready and reads each token's id back from its status", () => {
    for (const [name, m] of Object.entries(manifests(tf))) {
      expect(m.wait?.condition, name).toEqual([{ type: "Ready", status: "True" }]);
    }
    const statuses = Object.values(tf.data?.kubernetes_resource ?? {});
    expect(statuses).toHaveLength(5);
    for (const s of statuses) {
      expect(s).toMatchObject({ api_version: "tokenplane.dev/v1alpha1", kind: "AccessToken" });
      expect(s.depends_on).toEqual([expect.stringMatching(/^kubernetes_manifest\./)]);
    }
  });

  it("outputs Secret names and token ids per team, and nothing that could hold a token", () => {
    expect(Object.keys(tf.output ?? {}).sort()).toEqual([
      "analytics_tokens",
      "billing_tokens",
      "shop_tokens",
    ]);
    const shop = tf.output?.shop_tokens?.value as Record<string, Record<string, string>>;
    expect(shop.storefront).toEqual({
      namespace: "shop",
      secretName: "storefront-token",
      tokenId: expect.stringMatching(
        /^\$\{data\.kubernetes_resource\.shop_storefront_status_[0-9A-F]+\.object\.status\.tokenId\}$/,
      ),
    });
    for (const out of Object.values(tf.output ?? {})) {
      for (const token of Object.values(out.value as Record<string, Record<string, string>>)) {
        expect(Object.keys(token).sort()).toEqual(["namespace", "secretName", "tokenId"]);
      }
    }
    const text = JSON.stringify(tf);
    // No Secret is read or written through Terraform, so no token can reach its state.
    expect(text).not.toMatch(/kubernetes_secret/);
    expect(Object.keys(tf.data ?? {})).toEqual(["kubernetes_resource"]);
    expect(Object.keys(tf.resource ?? {})).toEqual(["kubernetes_manifest"]);
    expect(text.match(TOKEN_SEARCH_PATTERN)).toBeNull();
  });

  it("orders the billing tokens after the ClusterTokenServer they use", () => {
    const all = manifests(tf);
    const server = Object.keys(all).find((k) => k.startsWith("central_manifest"));
    const invoices = Object.entries(all).find(([k]) => k.startsWith("billing_invoices"))?.[1];
    expect(invoices?.depends_on).toEqual([`kubernetes_manifest.${server}`]);
    expect(invoices?.timeouts).toEqual({ create: "5m", update: "5m" });
  });
});

describe("TokenplaneTokens", () => {
  it("declares what was given and nothing more, so the cluster never differs from the plan", () => {
    const tf = synthStack((stack) => {
      new TokenplaneTokens(stack, "shop", { namespace: "shop" }).addToken("minimal");
    });
    expect(appliedObjects(tf)).toEqual([
      {
        apiVersion: "tokenplane.dev/v1alpha1",
        kind: "AccessToken",
        metadata: {
          name: "minimal",
          namespace: "shop",
          labels: { "app.kubernetes.io/managed-by": "terraform", "app.kubernetes.io/part-of": "tokenplane" },
        },
        spec: {},
      },
    ]);
  });

  it("accepts every field of the operator contract's example", () => {
    const tf = synthStack((stack) => {
      new TokenplaneTokens(stack, "shop", { namespace: "shop" }).addToken("storefront", storefrontSpec());
    });
    const [object] = appliedObjects(tf);
    expect(object?.spec).toEqual(exampleAccessToken().spec);
    expect(customResourceErrors(object)).toEqual([]);
  });

  it("applies group options to every token, a token's own taking precedence", () => {
    const tf = synthStack((stack) => {
      const server = new TokenServer(stack, "team-server", {
        namespace: "shop",
        url: "http://tokens.shop.svc:8080",
        credentialsSecretRef: { name: "team-admin" },
      });
      const tokens = new TokenplaneTokens(stack, "shop", {
        namespace: "shop",
        serverRef: server.ref,
        labels: { team: "shop" },
        annotations: { "example.com/owner": "shop" },
        wait: false,
        output: "shop",
      });
      tokens.addToken("a", { description: "uses the group's server" });
      tokens.addToken(
        "b",
        { serverRef: { kind: "ClusterTokenServer", name: "embedded" } },
        { labels: { team: "payments" }, wait: true, rotate: "2025-06-01" },
      );
    });
    const byName = Object.fromEntries(
      Object.values(manifests(tf))
        .filter((m) => m.manifest.kind === "AccessToken")
        .map((m) => [(m.manifest.metadata as { name: string }).name, m]),
    );
    expect(byName.a?.manifest.spec).toEqual({
      description: "uses the group's server",
      serverRef: { kind: "TokenServer", name: "team-server" },
    });
    expect(byName.a?.depends_on).toEqual([
      expect.stringMatching(/^kubernetes_manifest\.team-server_manifest/),
    ]);
    expect(byName.a?.wait).toBeUndefined();
    expect(byName.a?.manifest.metadata).toMatchObject({
      labels: { team: "shop" },
      annotations: { "example.com/owner": "shop" },
    });
    expect(byName.b?.manifest.spec).toEqual({ serverRef: { kind: "ClusterTokenServer", name: "embedded" } });
    expect(byName.b?.depends_on).toBeUndefined();
    expect(byName.b?.wait?.condition).toEqual([{ type: "Ready", status: "True" }]);
    expect(byName.b?.manifest.metadata).toMatchObject({
      labels: { team: "payments" },
      annotations: { "example.com/owner": "shop", "tokenplane.dev/rotate": "2025-06-01" },
    });
    expect(Object.keys(tf.output ?? {})).toEqual(["shop"]);
    for (const object of appliedObjects(tf)) expect(customResourceErrors(object)).toEqual([]);
  });

  it("has no output with output: false, and exposes each token's Secret name and id on the construct", () => {
    let token: TokenplaneAccessToken | undefined;
    const tf = synthStack((stack) => {
      const tokens = new TokenplaneTokens(stack, "shop", { namespace: "shop", output: false });
      token = tokens.addToken("storefront", { secretTemplate: { name: "storefront-token" } });
      expect(tokens.tokens).toEqual([token]);
    });
    expect(tf.output).toBeUndefined();
    expect(token?.secretName).toBe("storefront-token");
    expect(token?.namespace).toBe("shop");
    expect(token?.tokenId).toMatch(/^\$\{TfToken\[/);
  });

  it("writes literal text Terraform would otherwise read as a template", () => {
    const tf = synthStack((stack) => {
      new TokenplaneTokens(stack, "shop", { namespace: "shop" }).addToken("t", {
        description: "costs ${var.price} %{if x}",
      });
    });
    const [m] = Object.values(manifests(tf));
    expect((m?.manifest.spec as { description: string }).description).toBe("costs $${var.price} %%{if x}");
    expect(appliedObjects(tf)[0]?.spec).toEqual({ description: "costs ${var.price} %{if x}" });
  });
});

describe("TokenServer and ClusterTokenServer", () => {
  it("declare the servers the CRDs accept", () => {
    const tf = synthStack((stack) => {
      new TokenServer(stack, "team", {
        namespace: "shop",
        url: "http://tokens.shop.svc:8080",
        credentialsSecretRef: { name: "team-admin" },
      });
      new ClusterTokenServer(stack, "central-server", {
        name: "central",
        url: "https://tokens.internal:8443",
        credentialsSecretRef: { namespace: "tokenplane-system", name: "central-admin", key: "token" },
        caBundle: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
        allowedNamespaces: {
          matchLabels: { tokens: "enabled" },
          matchExpressions: [{ key: "tier", operator: "In", values: ["prod"] }],
        },
        timeout: "2m",
      });
    });
    const objects = appliedObjects(tf);
    const byKind = Object.fromEntries(objects.map((o) => [o.kind, o.metadata]));
    expect(byKind).toEqual({
      TokenServer: expect.objectContaining({ name: "team", namespace: "shop" }),
      ClusterTokenServer: expect.not.objectContaining({ namespace: expect.anything() }),
    });
    for (const object of objects) expect(customResourceErrors(object)).toEqual([]);
  });
});

describe("synth-time validation", () => {
  /** Synthesizes one token with `spec` in group `shop` and returns the error. */
  const tokenError = (spec: Record<string, unknown>, name = "storefront") =>
    synthError((stack) => {
      new TokenplaneTokens(stack, "shop", { namespace: "shop" }).addToken(name, spec);
    });

  it.each([
    [
      "a malformed permission",
      { type: "custom", permissions: ["orders:read", "orders"] },
      "spec.permissions[1]: must be resource:action",
    ],
    ["an unknown type", { type: "admin" }, "spec.type: must be one of read-only, full-access, custom"],
    [
      "renewBefore not shorter than duration",
      { duration: "7d", rotation: { renewBefore: "1w" } },
      "spec.rotation.renewBefore: must be shorter than duration",
    ],
    [
      "permissions with a type other than custom",
      { type: "read-only", permissions: ["orders:read"] },
      "spec.permissions: may only be set with type custom",
    ],
    ["a malformed duration", { duration: "1y" }, "spec.duration: must be unlimited or a duration"],
    [
      "reserved Secret labels",
      { secretTemplate: { labels: { "tokenplane.dev/x": "y" } } },
      "spec.secretTemplate.labels: must not set app.kubernetes.io/managed-by or tokenplane.dev/* labels",
    ],
    [
      "a Secret label key the API server would refuse",
      { secretTemplate: { labels: { "bad key": "x" } } },
      'spec.secretTemplate.labels["bad key"]: key must be at most 63 alphanumerics',
    ],
  ])("fails on %s, naming the construct and the field", (_what, spec, message) => {
    const error = tokenError(spec);
    expect(error).toContain("[test/shop/storefront] AccessToken shop/storefront: ");
    expect(error).toContain(message);
  });

  it("names every problem at once", () => {
    const error = synthError((stack) => {
      const tokens = new TokenplaneTokens(stack, "shop", { namespace: "shop" });
      tokens.addToken("a", { type: "custom" });
      tokens.addToken("b", { duration: "0s" });
    });
    expect(error).toContain(
      "[test/shop/a] AccessToken shop/a: spec.permissions: must list at least one permission with type custom",
    );
    expect(error).toContain("[test/shop/b] AccessToken shop/b: spec.duration: must be longer than zero");
  });

  it("fails on two AccessTokens writing one Secret in a namespace, across groups", () => {
    const error = synthError((stack) => {
      new TokenplaneTokens(stack, "web", { namespace: "shop" }).addToken("storefront", {
        secretTemplate: { name: "shared" },
      });
      new TokenplaneTokens(stack, "jobs", { namespace: "shop" }).addToken("shared");
      // The same Secret name in another namespace is fine.
      new TokenplaneTokens(stack, "other", { namespace: "billing" }).addToken("shared");
    });
    expect(error).toContain(
      '[test/jobs/shared] AccessToken shop/shared: spec.secretTemplate.name: Secret "shared" in namespace shop (written by one AccessToken only) is already declared by test/web/storefront',
    );
    expect(error).not.toContain("billing");
  });

  it("fails on one AccessToken declared twice", () => {
    const error = synthError((stack) => {
      new TokenplaneTokens(stack, "a", { namespace: "shop" }).addToken("storefront");
      new TokenplaneTokens(stack, "b", { namespace: "shop" }).addToken("storefront", {
        secretTemplate: { name: "other" },
      });
    });
    expect(error).toContain(
      "[test/b/storefront] AccessToken shop/storefront: metadata.name: AccessToken shop/storefront is already declared by test/a/storefront",
    );
  });

  it("fails on names the operator cannot use", () => {
    expect(tokenError({}, "a".repeat(64))).toContain("metadata.name: must be at most 63 characters");
    expect(tokenError({}, "Storefront")).toContain("metadata.name: must be a lowercase RFC 1123 subdomain");
    const ns = synthError((stack) => {
      new TokenplaneTokens(stack, "shop", { namespace: "Shop_Team" }).addToken("t");
    });
    expect(ns).toContain("metadata.namespace: must be a lowercase RFC 1123 label");
  });

  it("fails on values only Terraform could resolve", () => {
    const error = synthError((stack) => {
      const v = new TerraformVariable(stack, "desc", { type: "string" });
      new TokenplaneTokens(stack, "shop", { namespace: "shop" }).addToken("t", {
        description: v.stringValue,
      });
    });
    expect(error).toContain("AccessToken shop/t: spec.description: must be a literal value");
  });

  it("fails on a TokenServer used from another namespace", () => {
    const error = synthError((stack) => {
      const server = new TokenServer(stack, "team", {
        namespace: "billing",
        url: "http://tokens.billing.svc:8080",
        credentialsSecretRef: { name: "admin" },
      });
      new TokenplaneTokens(stack, "shop", { namespace: "shop" }).addToken("t", { serverRef: server.ref });
    });
    expect(error).toContain(
      "AccessToken shop/t: spec.serverRef: TokenServer billing/team can only be used by AccessTokens in namespace billing",
    );
  });

  it("fails on bad server specs and on the embedded server's reserved name", () => {
    const error = synthError((stack) => {
      new ClusterTokenServer(stack, "embedded", {
        url: "ftp://tokens",
        credentialsSecretRef: { namespace: "tokenplane-system", name: "admin" },
        allowedNamespaces: { matchExpressions: [{ key: "tier", operator: "Exists", values: ["x"] }] },
      });
      new TokenServer(stack, "team", {
        namespace: "shop",
        url: "http://x",
        credentialsSecretRef: { name: "" },
      });
    });
    expect(error).toContain(
      "[test/embedded] ClusterTokenServer embedded: spec.url: must be an http or https URL",
    );
    expect(error).toContain(
      'ClusterTokenServer embedded: metadata.name: "embedded" is the operator\'s own embedded server',
    );
    expect(error).toContain(
      "ClusterTokenServer embedded: spec.allowedNamespaces.matchExpressions[0].values: must be non-empty for In and NotIn",
    );
    expect(error).toContain("[test/team] TokenServer shop/team: spec.credentialsSecretRef.name: ");
  });

  it("fails on two groups claiming one output name", () => {
    const error = synthError((stack) => {
      new TokenplaneTokens(stack, "a", { namespace: "shop", output: "tokens" });
      new TokenplaneTokens(stack, "b", { namespace: "billing", output: "tokens" });
    });
    expect(error).toContain('[test/b] outputs: Terraform output "tokens" is already declared by test/a');
  });
});

describe("TokenResource", () => {
  it("declares a cluster-scoped TokenResource the CRD accepts, applied after its server", () => {
    const tf = synthStack((stack) => {
      const central = new ClusterTokenServer(stack, "central", {
        url: "https://tokens.internal:8443",
        credentialsSecretRef: { namespace: "tokenplane-system", name: "central-admin" },
      });
      const orders = new TokenResource(stack, "orders", {
        description: "the orders API",
        routes: [{ pathPrefix: "/api/orders", methods: ["GET", "POST"] }],
        server: central,
      });
      new TokenResource(stack, "articles");
      expect(orders.permission("read")).toBe("orders:read");
    });
    const objects = appliedObjects(tf).filter((o) => o.kind === "TokenResource");
    expect(objects).toHaveLength(2);
    for (const object of objects) expect(customResourceErrors(object), JSON.stringify(object)).toEqual([]);
    const orders = Object.values(manifests(tf)).find(
      (m) =>
        (m.manifest as { metadata: { name: string } }).metadata.name === "orders" &&
        m.manifest.kind === "TokenResource",
    );
    expect(orders?.manifest.spec).toEqual({
      description: "the orders API",
      routes: [{ pathPrefix: "/api/orders", methods: ["GET", "POST"] }],
      serverRef: { name: "central" },
    });
    expect(orders?.depends_on).toHaveLength(1);
    const articles = objects.find((o) => (o as { metadata: { name: string } }).metadata.name === "articles");
    expect(articles).toMatchObject({ apiVersion: "tokenplane.dev/v1alpha1", spec: {} });
    expect((articles as { metadata: { namespace?: string } }).metadata.namespace).toBeUndefined();
  });

  it("refuses at synth time what the CRD would refuse, naming the field", () => {
    const error = synthError((stack) => {
      new TokenResource(stack, "orders", { routes: [{ pathPrefix: "orders" }] });
      new TokenResource(stack, "orders-again", { name: "orders" });
    });
    expect(error).toContain(
      "TokenResource orders: spec.routes[0].pathPrefix: must be a path starting with /",
    );
    expect(error).toContain("TokenResource orders: metadata.name: TokenResource orders is already declared");
  });
});
