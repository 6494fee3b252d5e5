import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Testing } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { TokensStack } from "../../examples/cdktf/stack.js";
import { testApp } from "../support/cdktf.js";

/*
 * `npx cdktf synth` on the repository, as a user runs it after `npm ci`: cdktf.json → the example
 * app → Terraform JSON, with no `cdktf get`, no provider download and no telemetry. Where the
 * machine allows an unprivileged network namespace (`unshare -rn`), the CLI runs without any
 * network at all. It runs once: the CLI takes several seconds to start.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CDKTF = join(ROOT, "node_modules", ".bin", "cdktf");
const run = promisify(execFile);

const canIsolateNetwork = spawnSync("unshare", ["-rn", "true"]).status === 0;

/** Drops the `//` metadata CDKTF adds (paths, ids). */
function comparable(tf: Record<string, unknown>): Record<string, unknown> {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== "//")
        .map(([k, x]) => [k, strip(x)]),
    );
  };
  return strip(tf) as Record<string, unknown>;
}

describe("npx cdktf synth", () => {
  const out = mkdtempSync(join(tmpdir(), "tokenplane-cdktf-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it(`synthesizes the example app offline${canIsolateNetwork ? " (no network namespace)" : ""}`, async () => {
    const [command, args] = canIsolateNetwork
      ? ["unshare", ["-rn", CDKTF, "synth", "--output", out]]
      : [CDKTF, ["synth", "--output", out]];
    const result = await run(command, args, {
      cwd: ROOT,
      env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", FORCE_COLOR: "0" },
      timeout: 120_000,
    });
    expect(result.stdout).toContain("Generated Terraform code for the stacks: tokenplane-example");

    const synthesized = JSON.parse(
      readFileSync(join(out, "stacks", "tokenplane-example", "cdk.tf.json"), "utf8"),
    ) as Record<string, unknown>;
    const inProcess = JSON.parse(Testing.synth(new TokensStack(testApp(), "tokenplane-example"))) as Record<
      string,
      unknown
    >;
    expect(comparable(synthesized)).toEqual(comparable(inProcess));
    // The state path is relative (next to cdktf.json): no path of this machine in the output.
    expect(synthesized).toMatchObject({
      terraform: { backend: { local: { path: "../../../terraform.tokenplane-example.tfstate" } } },
    });
    expect(JSON.stringify(synthesized)).not.toContain(ROOT.replace(/\/$/, ""));
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as {
      stacks: Record<string, unknown>;
    };
    expect(Object.keys(manifest.stacks)).toEqual(["tokenplane-example"]);
  }, 150_000);
});
