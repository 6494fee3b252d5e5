import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/token-server.js";
import { attributesOf, requireTerraform, terraformDir, type TerraformDir } from "../support/terraform.js";

/*
 * The same provider against a server on PostgreSQL, shorter than the PGlite flow: create,
 * drift after a deletion through the API, destroy.
 */

const CONFIG = `
resource "tokenplane_user" "ci" {
  name = "ci"
}

resource "tokenplane_access_token" "deploy" {
  user_id  = tokenplane_user.ci.id
  name     = "deploy"
  type     = "full-access"
  duration = "7d"
  metadata = { pipeline = "release" }
}
`;

describe("terraform provider on PostgreSQL", { timeout: 180_000 }, () => {
  let server: TestServer;
  let tf: TerraformDir;

  beforeAll(async () => {
    requireTerraform();
    server = await startTestServer("postgres");
    tf = terraformDir(server);
  });
  afterAll(async () => {
    tf?.remove();
    await server?.close();
  });

  it("creates, notices a token deleted outside Terraform, and destroys", async () => {
    tf.write(CONFIG);
    await tf.ok(["apply", "-auto-approve"]);
    const token = attributesOf(tf.state(), "tokenplane_access_token", "deploy");
    const path = `/api/v1/users/${String(token.user_id)}/access-tokens/${String(token.id)}`;
    expect((await server.admin("GET", path)).body).toMatchObject({
      name: "deploy",
      type: "full-access",
      duration: "7d",
      metadata: { pipeline: "release" },
    });

    expect((await server.admin("DELETE", path)).status).toBe(204);
    const plan = await tf.run("plan", "-detailed-exitcode");
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("tokenplane_access_token.deploy will be created");

    const destroyed = await tf.ok(["destroy", "-auto-approve"]);
    expect(destroyed.stdout).toContain("Destroy complete! Resources: 1 destroyed");
    expect((await server.admin("GET", `/api/v1/users/${String(token.user_id)}`)).status).toBe(404);
  });
});
