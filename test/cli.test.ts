import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inspectToken } from "../src/core/index.js";
import { runCli, startCli } from "./support/cli.js";
import { waitFor } from "./support/wait.js";

describe("tokenplane CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("documents its commands and flags", () => {
    const top = runCli(["--help"]);
    expect(top.status).toBe(0);
    expect(top.stdout).toContain("server");
    expect(top.stdout).toContain("generate-token");
    expect(top.stdout).toContain("crds");
    const server = runCli(["server", "--help"]);
    for (const flag of [
      "--port",
      "--data-dir",
      "--database-url",
      "--admin-token-file",
      "TOKENPLANE_ADMIN_TOKEN",
      "TOKENPLANE_PEPPER",
      "--no-console",
      "TOKENPLANE_CONSOLE",
    ]) {
      expect(server.stdout).toContain(flag);
    }
    expect(runCli(["generate-token", "--help"]).stdout).toContain("--kind");
  });

  it("prints the CRDs exactly as checked into the chart", () => {
    const crds = runCli(["crds"]);
    expect(crds.status).toBe(0);
    expect(crds.stdout).toBe(
      readFileSync(new URL("../charts/tokenplane/crds/tokenplane.dev_crds.yaml", import.meta.url), "utf8"),
    );
    expect(crds.stdout).toContain("kind: CustomResourceDefinition");
  });

  it("generates well-formed tokens", () => {
    const secret = runCli(["generate-token"]);
    expect(secret.status).toBe(0);
    expect(inspectToken(secret.stdout.trim())).toEqual({ ok: true, kind: "secret" });
    const pub = runCli(["generate-token", "--kind", "publishable"]);
    expect(inspectToken(pub.stdout.trim())).toEqual({ ok: true, kind: "publishable" });
    const bad = runCli(["generate-token", "--kind", "nope"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("nope");
  });

  it("runs the server on the embedded default, prints the admin token once, and stops on SIGTERM", async () => {
    const dataDir = join(dir, "data");
    const first = startCli(["server", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir]);
    const port = await waitFor(() => /"port":(\d+)/.exec(first.out.stdout)?.[1], {
      timeoutMs: 30_000,
      what: "the server to listen",
    });
    const token = await waitFor(() => /\n {2}(tps_[0-9A-Za-z]+)\n/.exec(first.out.stderr)?.[1], {
      what: "the admin token",
    });
    const self = await fetch(`http://127.0.0.1:${port}/api/v1/access-tokens/self`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(self.status).toBe(200);
    expect(first.out.stdout).not.toContain(token);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const second = startCli(["server", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir]);
    const port2 = await waitFor(() => /"port":(\d+)/.exec(second.out.stdout)?.[1], {
      timeoutMs: 30_000,
      what: "the restart",
    });
    const again = await fetch(`http://127.0.0.1:${port2}/api/v1/access-tokens/self`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(again.status).toBe(200);
    expect(second.out.stderr).not.toContain("tps_");
    // One line on how to recover admin access, since the token is never shown again.
    expect(second.out.stdout).toContain("lost it? restart with TOKENPLANE_ADMIN_TOKEN set to a new secret");
    expect(first.out.stdout).not.toContain("lost it?");
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  it("refuses bad configuration naming the variable, never its value", () => {
    const short = runCli(["server", "--data-dir", join(dir, "x")], {
      TOKENPLANE_ADMIN_TOKEN: "tooshort-secret",
    });
    expect(short.status).toBe(1);
    expect(short.stderr).toContain("TOKENPLANE_ADMIN_TOKEN: must be at least 32 characters");
    expect(short.stderr).not.toContain("tooshort-secret");
    const port = runCli(["server", "--port", "99999"]);
    expect(port.status).not.toBe(0);
    expect(port.stderr).toContain("must be a port number");
    const pepper = runCli(["server", "--data-dir", join(dir, "y")], { TOKENPLANE_PEPPER: "1:short-pepper" });
    expect(pepper.status).toBe(1);
    expect(pepper.stderr).toContain("TOKENPLANE_PEPPER version 1: the secret must be at least 32 characters");
    expect(pepper.stderr).not.toContain("short-pepper");
    // A bad log level is a usage error (exit 2) that lists the levels, from the flag or the env.
    for (const [args, env] of [
      [["server", "--log-level", "loud"], {}],
      [["server"], { TOKENPLANE_LOG_LEVEL: "loud" }],
    ] as const) {
      const level = runCli([...args], env);
      expect(level.status).toBe(2);
      expect(level.stderr).toContain("Allowed choices are trace, debug, info, warn, error, silent");
    }
  });
});
