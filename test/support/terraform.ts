import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleTerraformProvider } from "../../scripts/bundle-terraform-provider.js";

/*
 * Runs the real `terraform` binary against the provider from this checkout: a dev_overrides
 * entry in a temporary CLI configuration points registry.terraform.io/tokenplane/tokenplane
 * at bin/, whose wrapper starts the provider bundled (as `npm run build` does) from this
 * checkout's source, not a possibly stale dist/. Nothing is downloaded; `terraform init` is
 * not needed with dev_overrides.
 */

const BIN_DIR = fileURLToPath(new URL("../../bin", import.meta.url));

let bundle: Promise<string> | undefined;

/** One bundle per test process: Terraform starts the provider ~3 times per command. */
export function providerBundle(): Promise<string> {
  if (!bundle) {
    const dir = mkdtempSync(join(tmpdir(), "tokenplane-tf-bundle-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    bundle = bundleTerraformProvider(dir);
  }
  return bundle;
}

/** `terraform version`, or a clear failure naming what to install. */
export function requireTerraform(): string {
  const found = spawnSync("terraform", ["version"], { encoding: "utf8" });
  if (found.error || found.status !== 0)
    throw new Error(
      "these tests need the terraform CLI (>= 1.11) on PATH: install it (e.g. /usr/local/bin/terraform) and run again",
    );
  const version = /Terraform v(\d+)\.(\d+)/.exec(found.stdout);
  if (!version || Number(version[1]) < 1 || (Number(version[1]) === 1 && Number(version[2]) < 11))
    throw new Error(
      `these tests need Terraform >= 1.11 (write-only attributes), found: ${found.stdout.split("\n")[0]}`,
    );
  return found.stdout.split("\n")[0] ?? "";
}

export interface TerraformRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface TerraformDir {
  dir: string;
  write(mainTf: string): void;
  /** Runs terraform asynchronously: the token server under test lives in this process. */
  run(...args: string[]): Promise<TerraformRun>;
  /** Like run, failing with terraform's output unless it exits 0 (or one of `codes`). */
  ok(args: string[], codes?: number[]): Promise<TerraformRun>;
  stateText(): string;
  state(): TerraformState;
  remove(): void;
}

export interface TerraformState {
  outputs?: Record<string, { value: unknown }>;
  resources: {
    type: string;
    name: string;
    mode: string;
    instances: { attributes: Record<string, unknown> }[];
  }[];
}

const PROVIDER_BLOCK = `terraform {
  required_providers {
    tokenplane = { source = "tokenplane/tokenplane" }
  }
}
`;

export function terraformDir(server: { url: string; adminToken: string }): TerraformDir {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-tf-"));
  const cliConfig = join(dir, "terraformrc");
  writeFileSync(
    cliConfig,
    `provider_installation {\n  dev_overrides {\n    "registry.terraform.io/tokenplane/tokenplane" = "${BIN_DIR}"\n  }\n  direct {}\n}\n`,
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    TOKENPLANE_SERVER: server.url,
    TOKENPLANE_TOKEN: server.adminToken,
  };
  const run = async (...args: string[]) => {
    const providerEnv = { ...env, TOKENPLANE_PROVIDER_BUNDLE: await providerBundle() };
    return new Promise<TerraformRun>((resolve, reject) => {
      const child = spawn("terraform", [...args, "-no-color"], { cwd: dir, env: providerEnv });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  };
  return {
    dir,
    write: (mainTf) => writeFileSync(join(dir, "main.tf"), PROVIDER_BLOCK + mainTf),
    run,
    async ok(args, codes = [0]) {
      const result = await run(...args);
      if (!codes.includes(result.code ?? -1))
        throw new Error(
          `terraform ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`,
        );
      return result;
    },
    stateText: () => readFileSync(join(dir, "terraform.tfstate"), "utf8"),
    state() {
      return JSON.parse(this.stateText()) as TerraformState;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The attributes of one managed resource instance in a state. */
export function attributesOf(state: TerraformState, type: string, name: string): Record<string, unknown> {
  const found = state.resources.find((r) => r.mode === "managed" && r.type === type && r.name === name);
  const attributes = found?.instances[0]?.attributes;
  if (!attributes) throw new Error(`${type}.${name} is not in the state`);
  return attributes;
}

/** Plain tokens look like this (prefix, 43 base62 characters, 6-character checksum). */
export const PLAIN_TOKEN = /tp[sp]_[0-9A-Za-z]{40,}/;
