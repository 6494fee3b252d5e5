import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, type BuiltCli } from "../cli/cli-process.js";
import { startTestServer, type TestServer } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

const README = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

/** The `sh` blocks of one README section, in order. */
function shellBlocks(section: string): string[] {
  const start = README.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`README has no "## ${section}" section`);
  const end = README.indexOf("\n## ", start + 1);
  const text = README.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
}

/** The README's Quick start, run as a newcomer would (bash, `set -e`), so it cannot drift again. */
describe("README Quick start", () => {
  let srv: TestServer;
  let cli: BuiltCli;
  let home: string;

  beforeAll(async () => {
    [srv, cli] = await Promise.all([startTestServer("pglite"), buildCli()]);
    home = mkdtempSync(join(tmpdir(), "tokenplane-quick-start-"));
  });
  afterAll(async () => {
    await srv.close();
    cli.remove();
    rmSync(home, { recursive: true, force: true });
  });

  it("runs from top to bottom against a fresh server", async () => {
    const lines = shellBlocks("Quick start").join("\n").split("\n");
    // Set by the test instead: the server's admin token and URL. The watch runs until stopped.
    const skipped = (line: string) => /^export (ADMIN|TP)=/.test(line) || line.includes("--watch");
    expect(lines.filter(skipped)).toHaveLength(3);
    const script = [
      "set -euo pipefail",
      // `npx tokenplane` is this checkout's CLI; curl fails on an HTTP error, as a reader would notice.
      'npx() { [ "$1" = tokenplane ] || { echo "unexpected npx $1" >&2; return 99; }; shift; node "$CLI" "$@"; }',
      'curl() { command curl --fail-with-body "$@"; }',
      ...lines.filter((line) => !skipped(line)),
    ].join("\n");
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      CLI: cli.entry,
      ADMIN: srv.adminToken,
      TP: srv.url,
    };
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn("bash", ["-c", script], { env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
    expect(run.status, run.stderr).toBe(0);
    // Confirmations go to stderr ("✓ Created user ..."); an error would start with "tokenplane:".
    expect(run.stderr).not.toContain("tokenplane:");
    expect(run.stderr).toContain("✓ Revoked token storefront");
    // The last step is the raw API's create: its answer carries the plain token once.
    const created = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "") as { token: string; name: string };
    expect(created).toMatchObject({ name: "storefront", token: expect.stringMatching(/^tps_/) as string });

    // The watch line, run as written (it runs until stopped): it shows that token.
    const watchLine = lines.find((line) => line.includes("--watch")) ?? "";
    const args = watchLine.replace(/^npx tokenplane /, "").split(/\s+/);
    const watch = cli.start(args, env);
    await waitFor(() => watch.out.stdout.includes("storefront"), { timeoutMs: 15_000 });
    await watch.stop();
  });
});
