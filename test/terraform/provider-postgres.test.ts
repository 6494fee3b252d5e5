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
 * The same provider against a server on PostgreSQL, shorter than the PGlite flow: create,
 * regenerate in place on a kind / signed_requests change, drift after a deletion through
 * the API, destroy.
 */

const config = (type = "full-access", extra = "") => `
resource "tokenplane_user" "ci" {
  name = "ci"
}

resource "tokenplane_access_token" "deploy" {
  user_id  = tokenplane_user.ci.id
  name     = "deploy"
  type     = "${type}"
  duration = "7d"
  metadata = { pipeline = "release" }
  ${extra}
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
    tf.write(config());
    await tf.ok(["apply", "-auto-approve"]);
    const token = attributesOf(tf.state(), "tokenplane_access_token", "deploy");
    expect(token.private_key).toBeNull();
    const path = `/api/v1/users/${String(token.user_id)}/access-tokens/${String(token.id)}`;
    expect((await server.admin("GET", path)).body).toMatchObject({
      name: "deploy",
      kind: "secret",
      type: "full-access",
      duration: "7d",
      metadata: { pipeline: "release" },
      signedRequests: false,
    });

    // kind and signed_requests change the secret itself: regenerated in place, same id
    // (publishable tokens may only read, so the type changes in the same apply).
    tf.write(config("read-only", 'kind = "publishable"\n  signed_requests = true'));
    const regenerated = await tf.ok(["apply", "-auto-approve"]);
    expect(regenerated.stdout).toMatch(/~ kind\s+= "secret" -> "publishable"/);
    expect(regenerated.stdout).toMatch(/~ signed_requests\s+= false -> true/);
    expect(regenerated.stdout).toMatch(/~ token\s+= \(sensitive value\)/);
    expect(regenerated.stdout).toMatch(/\+ private_key\s+= \(sensitive value\)/);
    expect(regenerated.stdout).toContain("0 added, 1 changed, 0 destroyed");
    const after = attributesOf(tf.state(), "tokenplane_access_token", "deploy");
    expect(after.id).toBe(token.id);
    expect(String(after.token)).toMatch(PLAIN_TOKEN);
    expect(after.token).not.toBe(token.token);
    expect(String(after.private_key)).toContain("-----BEGIN PRIVATE KEY-----");
    expect((await server.admin("GET", path)).body).toMatchObject({
      kind: "publishable",
      signedRequests: true,
    });
    const old = await server.anonymous<{ code: string }>("POST", "/api/v1/verify", {
      body: { token: String(token.token) },
    });
    expect(old.body.code).toBe("NOT_FOUND");
    // The key is handed out once: the next plan keeps it and changes nothing.
    const settled = await tf.run("plan", "-detailed-exitcode");
    expect(settled.stdout).toContain("No changes.");
    expect(settled.code).toBe(0);

    expect((await server.admin("DELETE", path)).status).toBe(204);
    const plan = await tf.run("plan", "-detailed-exitcode");
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("tokenplane_access_token.deploy will be created");

    const destroyed = await tf.ok(["destroy", "-auto-approve"]);
    expect(destroyed.stdout).toContain("Destroy complete! Resources: 1 destroyed");
    expect((await server.admin("GET", `/api/v1/users/${String(token.user_id)}`)).status).toBe(404);
  });
});
