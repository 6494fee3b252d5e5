import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Testing, TerraformStack } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { ServerTokensStack } from "../../examples/cdktf-server/stack.js";
import { TokenplaneProvider, TokenplaneServerToken } from "../../src/provider/index.js";
import { testApp, type TerraformJson } from "../support/cdktf.js";
import { requireTerraform } from "../support/terraform.js";

/*
 * The CDKTF example for tokenplane's own provider: it synthesizes, the bindings write the
 * provider schema's attribute names, mistakes fail synth naming construct and field, and the
 * real terraform validates the synthesized JSON against the schema the provider serves.
 */

const BIN_DIR = fileURLToPath(new URL("../../bin", import.meta.url));

function synth(): TerraformJson {
  return JSON.parse(
    Testing.synth(new ServerTokensStack(testApp(), "tokenplane-server-example"), true),
  ) as TerraformJson;
}

describe("examples/cdktf-server", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-cdktf-server-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("synthesizes provider, resources and outputs with the provider's attribute names", () => {
    const tf = synth();
    expect(tf.terraform?.required_providers).toEqual({ tokenplane: { source: "tokenplane/tokenplane" } });
    const token = tf.resource?.tokenplane_access_token?.storefront;
    expect(token).toMatchObject({
      name: "storefront",
      type: "custom",
      permissions: ["${tokenplane_resource.orders.name}:read", "${tokenplane_resource.articles.name}:read"],
      user_id: "${tokenplane_user.shop_team.id}",
      rotation_configuration: { rotate_before_days: 7, grace_period: "1h" },
      allowed_domains: ["shop.example.com"],
      rate_limit: { limit: 100, window: "1m" },
      external_id: "shop/storefront",
    });
    expect(tf.resource?.tokenplane_resource?.articles).toMatchObject({
      routes: [{ path_prefix: "/articles", methods: ["GET", "HEAD"] }],
    });
    expect(JSON.stringify(tf.output)).not.toContain(".token}");
  });

  it("fails synth naming the construct and the field for a bad literal", () => {
    const stack = new TerraformStack(testApp(), "bad");
    new TokenplaneProvider(stack, "tokenplane");
    new TokenplaneServerToken(stack, "broken", { userId: "u", name: "broken", allowedIps: ["not-an-ip"] });
    expect(() => Testing.synth(stack, true)).toThrow(/bad\/broken: allowedIps\.0: must be an IP address/);
  });

  it("validates with terraform against the schema the provider serves", async () => {
    requireTerraform();
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(synth()));
    writeFileSync(
      join(dir, "terraformrc"),
      `provider_installation {\n  dev_overrides {\n    "registry.terraform.io/tokenplane/tokenplane" = "${BIN_DIR}"\n  }\n  direct {}\n}\n`,
    );
    const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn("terraform", ["validate", "-no-color"], {
        cwd: dir,
        env: {
          ...process.env,
          TF_CLI_CONFIG_FILE: join(dir, "terraformrc"),
          CHECKPOINT_DISABLE: "1",
          TOKENPLANE_PROVIDER_FROM_SOURCE: "1",
        },
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, out }));
    });
    expect(result.out).toContain("Success! The configuration is valid");
    expect(result.code).toBe(0);
  });
});
