import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/token-server.js";
import {
  attributesOf,
  PLAIN_TOKEN,
  requireTerraform,
  terraformDir,
  type TerraformDir,
} from "../support/terraform.js";

/*
 * The provider as users run it: the real terraform binary launches `tokenplane
 * terraform-provider` through bin/ (dev_overrides), handshakes over AutoMTLS and manages a
 * listening token server on PGlite. One ordered flow: create, no-op plan, update in place,
 * rotation, drift (edited, then deleted through the API), import, destroy.
 */

interface Settings {
  tokenName: string;
  permissions: string[];
  rotateBeforeDays: number;
  /** The registry entry's description and route prefixes (default: "Order API", /orders). */
  orders?: { description: string; prefixes: string[] };
  /** `import` blocks (terraform address to import id) to add. */
  imports?: Record<string, string>;
}

const importBlocks = (imports: Record<string, string> = {}) =>
  Object.entries(imports)
    .map(([to, id]) => `import {\n  to = ${to}\n  id = "${id}"\n}\n`)
    .join("\n");

const config = (s: Settings) => `${importBlocks(s.imports)}
resource "tokenplane_resource" "orders" {
  name        = "orders"
  description = "${s.orders?.description ?? "Order API"}"
  routes      = [${(s.orders?.prefixes ?? ["/orders"]).map((p) => `{ path_prefix = "${p}", methods = ["GET", "POST"] }`).join(", ")}]
}

resource "tokenplane_user" "team" {
  name = "storefront-team"
}

resource "tokenplane_default_permissions" "anonymous" {
  permissions = ["orders:read"]
  depends_on  = [tokenplane_resource.orders]
}

resource "tokenplane_access_token" "storefront" {
  user_id         = tokenplane_user.team.id
  name            = "${s.tokenName}"
  type            = "custom"
  permissions     = ${JSON.stringify(s.permissions)}
  duration        = "30d"
  allowed_domains = ["shop.example.com"]
  allowed_ips     = ["10.0.0.0/8"]
  credits         = { remaining = 100, refill = { amount = 10, interval = "daily" } }
  rate_limit      = { limit = 50, window = "1m" }
  metadata        = { team = "shop" }
  external_id     = "storefront-1"
  rotation_configuration = { rotate_before_days = ${s.rotateBeforeDays} }
  depends_on      = [tokenplane_resource.orders]
}

data "tokenplane_resources" "all" {
  depends_on = [tokenplane_resource.orders]
}

data "tokenplane_access_token" "storefront" {
  user_id = tokenplane_user.team.id
  id      = tokenplane_access_token.storefront.id
}

output "resource_names" {
  value = [for r in data.tokenplane_resources.all.resources : r.name]
}

output "read_back_name" {
  value = data.tokenplane_access_token.storefront.name
}
`;

const initial: Settings = { tokenName: "storefront", permissions: ["orders:read"], rotateBeforeDays: 2 };

describe("terraform provider: full flow on PGlite", { timeout: 180_000 }, () => {
  let server: TestServer;
  let tf: TerraformDir;
  let userId: string;
  let tokenId: string;
  let firstToken: string;

  beforeAll(async () => {
    requireTerraform();
    server = await startTestServer("pglite");
    tf = terraformDir(server);
  });
  afterAll(async () => {
    tf?.remove();
    await server?.close();
  });

  const verify = async (token: string) =>
    (
      await server.anonymous<{ valid: boolean; code: string }>("POST", "/api/v1/verify", {
        body: { token, origin: "https://shop.example.com", ip: "10.1.2.3" },
      })
    ).body;
  const apiToken = () =>
    server.admin<Record<string, unknown>>("GET", `/api/v1/users/${userId}/access-tokens/${tokenId}`);

  it("creates users, registry entries, default permissions and a token with every setting", async () => {
    tf.write(config(initial));
    const applied = await tf.ok(["apply", "-auto-approve"]);
    expect(applied.stdout).toContain("Apply complete! Resources: 4 added");

    const state = tf.state();
    const token = attributesOf(state, "tokenplane_access_token", "storefront");
    userId = String(token.user_id);
    tokenId = String(token.id);
    firstToken = String(token.token);
    expect(firstToken).toMatch(PLAIN_TOKEN);

    const onServer = await apiToken();
    expect(onServer.body).toMatchObject({
      name: "storefront",
      type: "custom",
      permissions: ["orders:read"],
      duration: "30d",
      allowedDomains: ["shop.example.com"],
      allowedIps: ["10.0.0.0/8"],
      credits: { remaining: 100, refill: { amount: 10, interval: "daily" } },
      rateLimit: { limit: 50, window: "1m" },
      metadata: { team: "shop" },
      externalId: "storefront-1",
    });
    expect((await server.admin("GET", "/api/v1/settings/default-permissions")).body).toEqual({
      permissions: ["orders:read"],
    });
    expect((await server.admin("GET", "/api/v1/resources/orders")).body).toMatchObject({
      description: "Order API",
      routes: [{ pathPrefix: "/orders", methods: ["GET", "POST"] }],
    });
    // A real token: it verifies (and spends a credit, which the next plan must not call drift).
    expect(await verify(firstToken)).toMatchObject({ valid: true, code: "VALID" });
    const outputs = state.outputs ?? {};
    expect(outputs.resource_names?.value).toContain("orders");
    expect(outputs.read_back_name?.value).toBe("storefront");
  });

  it("plans no change when nothing changed", async () => {
    const plan = await tf.run("plan", "-detailed-exitcode");
    expect(plan.stdout).toContain("No changes.");
    expect(plan.code).toBe(0);
  });

  it("updates name, permissions in place, keeping the token's id and secret", async () => {
    tf.write(
      config({ ...initial, tokenName: "storefront-v2", permissions: ["orders:read", "orders:create"] }),
    );
    const applied = await tf.ok(["apply", "-auto-approve"]);
    expect(applied.stdout).toContain("updated in-place");
    expect(applied.stdout).toContain("0 added, 1 changed, 0 destroyed");
    const token = attributesOf(tf.state(), "tokenplane_access_token", "storefront");
    expect(token.id).toBe(tokenId);
    expect(token.token).toBe(firstToken);
    const onServer = await apiToken();
    expect(onServer.body).toMatchObject({ name: "storefront-v2" });
    expect([...(onServer.body.permissions as string[])].sort()).toEqual(["orders:create", "orders:read"]);
    expect(await verify(firstToken)).toMatchObject({ valid: true });
  });

  it("changes a registry entry's description and routes in place, while tokens use it", async () => {
    const orders = { description: "Order API v2", prefixes: ["/orders", "/v2/orders"] };
    tf.write(
      config({
        ...initial,
        tokenName: "storefront-v2",
        permissions: ["orders:read", "orders:create"],
        orders,
      }),
    );
    const applied = await tf.ok(["apply", "-auto-approve"]);
    expect(applied.stdout).toContain("0 added, 1 changed, 0 destroyed");
    const onServer = await server.admin<{ description: string; routes: { pathPrefix: string }[] }>(
      "GET",
      "/api/v1/resources/orders",
    );
    expect(onServer.body.description).toBe("Order API v2");
    expect(onServer.body.routes.map((r) => r.pathPrefix)).toEqual(["/orders", "/v2/orders"]);
    // Back as it was, so the steps below start from the same registry entry.
    tf.write(
      config({ ...initial, tokenName: "storefront-v2", permissions: ["orders:read", "orders:create"] }),
    );
    expect((await tf.ok(["apply", "-auto-approve"])).stdout).toContain("0 added, 1 changed, 0 destroyed");
  });

  it("rotates when plan finds the token within rotate_before_days of expiry", async () => {
    const before = await apiToken();
    tf.write(
      config({
        ...initial,
        tokenName: "storefront-v2",
        permissions: ["orders:read", "orders:create"],
        rotateBeforeDays: 31,
      }),
    );
    const applied = await tf.ok(["apply", "-auto-approve"]);
    expect(applied.stdout).toMatch(/~ token\s+= \(sensitive value\)/);
    const token = attributesOf(tf.state(), "tokenplane_access_token", "storefront");
    expect(token.id).toBe(tokenId);
    expect(token.token).not.toBe(firstToken);
    expect(await verify(String(token.token))).toMatchObject({ valid: true });
    expect(await verify(firstToken)).toMatchObject({ valid: false, code: "NOT_FOUND" });
    const after = await apiToken();
    expect(Date.parse(String(after.body.expiresAt))).toBeGreaterThan(
      Date.parse(String(before.body.expiresAt)),
    );
    tf.write(
      config({ ...initial, tokenName: "storefront-v2", permissions: ["orders:read", "orders:create"] }),
    );
  });

  it("shows drift: an edit through the API as a diff, a deletion as a create", async () => {
    const edited = await server.admin("PATCH", `/api/v1/users/${userId}/access-tokens/${tokenId}`, {
      body: { description: "edited outside Terraform" },
    });
    expect(edited.status).toBe(200);
    const planEdited = await tf.run("plan", "-detailed-exitcode");
    expect(planEdited.code).toBe(2);
    expect(planEdited.stdout).toMatch(/~ description\s+= "edited outside Terraform" -> ""/);

    expect((await server.admin("DELETE", `/api/v1/users/${userId}/access-tokens/${tokenId}`)).status).toBe(
      204,
    );
    const planDeleted = await tf.run("plan", "-detailed-exitcode");
    expect(planDeleted.code).toBe(2);
    expect(planDeleted.stdout).toContain("tokenplane_access_token.storefront will be created");
  });

  it("imports every resource type, after which a plan shows no changes", async () => {
    const created = await server.admin<{ id: string }>("POST", `/api/v1/users/${userId}/access-tokens`, {
      body: {
        name: "storefront-v2",
        type: "custom",
        permissions: ["orders:read", "orders:create"],
        duration: "30d",
        allowedDomains: ["shop.example.com"],
        allowedIps: ["10.0.0.0/8"],
        credits: { remaining: 100, refill: { amount: 10, interval: "daily" } },
        rateLimit: { limit: 50, window: "1m" },
        metadata: { team: "shop" },
        externalId: "storefront-1",
      },
    });
    expect(created.status).toBe(201);
    const addresses = [
      "tokenplane_user.team",
      "tokenplane_resource.orders",
      "tokenplane_default_permissions.anonymous",
      "tokenplane_access_token.storefront",
    ];
    await tf.ok(["state", "rm", ...addresses]);
    const malformed = await tf.run("import", "tokenplane_access_token.storefront", "not-a-pair");
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('Expected "<user_id>/<token_id>"');

    // Users import by id (or name), registry entries by name, the default permissions by
    // their fixed id, tokens by user_id/token_id.
    const ids = [userId, "orders", "default-permissions", `${userId}/${created.body.id}`];
    const settled = { ...initial, tokenName: "storefront-v2", permissions: ["orders:read", "orders:create"] };
    tf.write(config({ ...settled, imports: Object.fromEntries(addresses.map((a, i) => [a, ids[i] ?? ""])) }));
    const imported = await tf.ok(["apply", "-auto-approve"]);
    // rotation_configuration lives only in Terraform, so the import's apply records it: the one
    // change, made without touching the token.
    expect(imported.stdout).toContain("Resources: 4 imported, 0 added, 1 changed, 0 destroyed");
    expect(imported.stdout).toMatch(/\+ rotation_configuration\s+= \{/);
    const state = tf.state();
    expect(attributesOf(state, "tokenplane_user", "team")).toMatchObject({
      id: userId,
      name: "storefront-team",
    });
    expect(attributesOf(state, "tokenplane_resource", "orders")).toMatchObject({
      name: "orders",
      description: "Order API",
      routes: [{ path_prefix: "/orders", methods: ["GET", "POST"] }],
    });
    expect(attributesOf(state, "tokenplane_default_permissions", "anonymous")).toMatchObject({
      permissions: ["orders:read"],
    });
    const token = attributesOf(state, "tokenplane_access_token", "storefront");
    expect(token).toMatchObject({ id: created.body.id, name: "storefront-v2", token: null, duration: "30d" });
    tokenId = created.body.id;

    tf.write(config(settled));
    const plan = await tf.run("plan", "-detailed-exitcode");
    expect(plan.stdout).toContain("No changes.");
    expect(plan.code).toBe(0);
  });

  it("destroys everything it manages", async () => {
    const destroyed = await tf.ok(["destroy", "-auto-approve"]);
    expect(destroyed.stdout).toContain("Destroy complete! Resources: 4 destroyed");
    expect((await server.admin("GET", `/api/v1/users/${userId}`)).status).toBe(404);
    expect((await server.admin("GET", "/api/v1/resources/orders")).status).toBe(404);
    expect((await server.admin("GET", "/api/v1/settings/default-permissions")).body).toEqual({
      permissions: [],
    });
    expect(tf.stateText()).not.toMatch(PLAIN_TOKEN);
  });
});
