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
 * The ephemeral path: `ephemeral "tokenplane_access_token"` mints a token for the run, an
 * aliased provider authenticates with it (ephemeral values may flow into provider blocks and
 * write-only arguments only), and Terraform closes it, which revokes the token. The plain
 * token never reaches the state file.
 */

const CONFIG = `
data "tokenplane_user" "me" {}

ephemeral "tokenplane_access_token" "run" {
  user_id  = data.tokenplane_user.me.id
  name     = "terraform-run"
  type     = "full-access"
  duration = "15m"
}

provider "tokenplane" {
  alias = "run_scoped"
  token = ephemeral.tokenplane_access_token.run.token
}

resource "tokenplane_user" "made_with_run_token" {
  provider = tokenplane.run_scoped
  name     = "made-with-run-token"
}

# Regenerate mode: a managed token's fresh secret, handed on without touching state.
resource "tokenplane_access_token" "service" {
  user_id = data.tokenplane_user.me.id
  name    = "service"
}

ephemeral "tokenplane_access_token" "service_secret" {
  user_id  = data.tokenplane_user.me.id
  token_id = tokenplane_access_token.service.id
}

provider "tokenplane" {
  alias = "service"
  token = ephemeral.tokenplane_access_token.service_secret.token
}

data "tokenplane_user" "seen_by_service" {
  provider   = tokenplane.service
  depends_on = [tokenplane_access_token.service]
}

output "service_user" {
  value = data.tokenplane_user.seen_by_service.name
}
`;

describe("terraform provider: ephemeral access token", { timeout: 180_000 }, () => {
  let server: TestServer;
  let tf: TerraformDir;

  beforeAll(async () => {
    requireTerraform();
    server = await startTestServer("pglite");
    tf = terraformDir(server);
  });
  afterAll(async () => {
    tf?.remove();
    await server?.close();
  });

  it("hands minted and regenerated tokens to providers, revokes the minted one, keeps both out of state", async () => {
    tf.write(CONFIG);
    const applied = await tf.ok(["apply", "-auto-approve"]);
    expect(applied.stdout).toContain("ephemeral.tokenplane_access_token.run: Closing complete");

    const user = attributesOf(tf.state(), "tokenplane_user", "made_with_run_token");
    expect((await server.admin("GET", `/api/v1/users/${String(user.id)}`)).status).toBe(200);

    // The user was created with the minted token (the audit log says which token acted).
    const audit = await server.admin<{
      items: { action: string; target: { id: string | null }; actor: { displayPrefix: string | null } }[];
    }>("GET", "/api/v1/audit-events?limit=100");
    const creation = audit.body.items.find((e) => e.action === "user.create" && e.target.id === user.id);
    expect(creation?.actor.displayPrefix).toMatch(/^tps_/);

    // Every minted token was revoked when Terraform closed the ephemeral resource.
    const me = await server.admin<{ id: string }>("GET", "/api/v1/user");
    const left = await server.admin<{ items: { name: string }[] }>(
      "GET",
      `/api/v1/users/${me.body.id}/access-tokens`,
    );
    expect(left.body.items.map((t) => t.name)).not.toContain("terraform-run");

    // Regenerate mode: the provider authenticated with the new secret; state keeps only the
    // secret from creation, which the regeneration replaced.
    const state = tf.state();
    expect(state.outputs?.service_user?.value).toBe("admin");
    const stored = String(attributesOf(state, "tokenplane_access_token", "service").token);
    const verdict = await server.anonymous<{ code: string }>("POST", "/api/v1/verify", {
      body: { token: stored },
    });
    expect(verdict.body.code).toBe("NOT_FOUND");
    const plain = tf.stateText().match(new RegExp(PLAIN_TOKEN.source, "g")) ?? [];
    expect(plain).toEqual([stored]);
  });
});
