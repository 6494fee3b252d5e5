import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface BuiltCli {
  /** The built entry; a `kubectl-tokenplane` symlink to it is the kubectl plugin. */
  entry: string;
  /** Runs `tokenplane <args>` to its end; `script` may name another file to run (a symlink). */
  run(
    args: string[],
    opts?: { env?: NodeJS.ProcessEnv; stdin?: string; script?: string },
  ): Promise<CliResult>;
  /** Starts a long-running `tokenplane <args>` (e.g. `--watch`) and collects its output. */
  start(args: string[], env: NodeJS.ProcessEnv): Running;
  remove(): void;
}

export interface Running {
  out: { stdout: string; stderr: string };
  stop(): Promise<void>;
}

/**
 * Builds src/cli.ts once for a test file (esbuild, packages left external, under
 * node_modules/.cache so they resolve): each run then starts in a fraction of the time tsx
 * takes, which keeps a suite of dozens of CLI processes fast. Processes run without a
 * terminal and with only the environment given (plus PATH/HOME): no TOKENPLANE_*, KUBECONFIG
 * or NO_COLOR leaks in from the runner.
 */
export async function buildCli(): Promise<BuiltCli> {
  const cache = join(ROOT, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const outdir = mkdtempSync(join(cache, "tokenplane-cli-"));
  await build({
    entryPoints: [join(ROOT, "src", "cli.ts")],
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outdir,
    logLevel: "warning",
  });
  const entry = join(outdir, "cli.js");
  const environment = (env: NodeJS.ProcessEnv | undefined) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...env,
  });

  return {
    entry,
    run(args, opts = {}) {
      const child = spawn(process.execPath, [opts.script ?? entry, ...args], { env: environment(opts.env) });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.stdin.end(opts.stdin ?? "");
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      return new Promise((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (status) => {
          clearTimeout(timer);
          resolve({ status, stdout, stderr });
        });
      });
    },
    start(args, env) {
      const child = spawn(process.execPath, [entry, ...args], { env: environment(env) });
      const out = { stdout: "", stderr: "" };
      child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
      const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
      return {
        out,
        stop: async () => {
          child.kill("SIGTERM");
          await exited;
        },
      };
    },
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
