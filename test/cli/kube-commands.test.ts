import { KubeConfig } from "@kubernetes/client-node";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { AccessToken as ServerToken } from "../../src/api/index.js";
import { REAL_CLUSTER_KUBECONFIG, startOperatorEnv, type OperatorEnv } from "../support/operator-env.js";
import { type BuiltCli, buildCli } from "./cli-process.js";

/*
 * `tokenplane rotate` and `tokenplane status` as a person runs them against a cluster: the CLI
 * as its own process with a kubeconfig, the operator reconciling (the Kubernetes API fixture,
 * or the cluster named by TOKENPLANE_TEST_KUBECONFIG), and the token server it issues on.
 */

const Rotated = z.array(
  z.strictObject({
    namespace: z.string(),
    name: z.string(),
    tokenId: z.uuid(),
    revision: z.int(),
    previousRevision: z.int(),
    expiresAt: z.string().optional(),
  }),
);

const Condition = z.object({ type: z.string(), status: z.string(), reason: z.string().optional() }).loose();
const StatusReport = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  serverRef: z.strictObject({
    kind: z.string(),
    name: z.string(),
    url: z.string().optional(),
    ready: z.string().optional(),
  }),
  status: z
    .object({
      conditions: z.array(Condition),
      tokenId: z.uuid(),
      secretName: z.string(),
      issuedAt: z.string(),
      revision: z.int(),
      lastRotationReason: z.string(),
    })
    .loose(),
  secret: z.strictObject({
    name: z.string(),
    exists: z.boolean(),
    type: z.string().optional(),
    keys: z.array(z.string()),
    managed: z.boolean(),
    ownedByThisAccessToken: z.boolean(),
  }),
  events: z.array(
    z.strictObject({
      type: z.string().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      count: z.int().optional(),
      lastSeen: z.string().optional(),
    }),
  ),
  server: z.strictObject({
    url: z.string().optional(),
    token: ServerToken.optional(),
    problem: z.string().optional(),
  }),
});

let env: OperatorEnv;
let built: BuiltCli;
let dir: string;
let cliEnv: NodeJS.ProcessEnv;
const printed: string[] = [];
/** Tokens the operator issued into Secrets during the tests. */
const tokens: string[] = [];

const run = async (args: string[], extra: NodeJS.ProcessEnv = {}, script?: string) => {
  const result = await built.run(args, { env: { ...cliEnv, ...extra }, ...(script ? { script } : {}) });
  printed.push(result.stdout, result.stderr);
  return result;
};

beforeAll(async () => {
  [env, built] = await Promise.all([startOperatorEnv({ name: "cli" }), buildCli()]);
  dir = mkdtempSync(join(tmpdir(), "tokenplane-cli-kube-"));
  // The context's namespace is the test's: commands without -n use it, as kubectl's do.
  const kubeconfig = join(dir, "kubeconfig");
  if (REAL_CLUSTER_KUBECONFIG) {
    const kc = new KubeConfig();
    kc.loadFromFile(REAL_CLUSTER_KUBECONFIG);
    kc.contexts = kc.contexts.map((c) =>
      c.name === kc.currentContext ? { ...c, namespace: env.namespace } : c,
    );
    writeFileSync(kubeconfig, kc.exportConfig(), { mode: 0o600 });
  } else
    writeFileSync(kubeconfig, env.target.fixture!.kubeConfigYaml({ admin: true, namespace: env.namespace }), {
      mode: 0o600,
    });
  cliEnv = {
    KUBECONFIG: kubeconfig,
    XDG_CONFIG_HOME: join(dir, "config"),
    TOKENPLANE_SERVER: env.server.url,
    TOKENPLANE_TOKEN: env.server.adminToken,
  };
});

afterAll(async () => {
  await env?.close();
  built?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Each test runs several CLI processes (each loads the Kubernetes client): generous bounds
// for a loaded CI machine; nothing here measures time.
describe("tokenplane rotate and status", { timeout: 120_000 }, () => {
  it("rotates an AccessToken and waits for the new token in its Secret", async () => {
    await env.apply("storefront", { type: "read-only" });
    const before = await env.ready("storefront", undefined, 60_000);
    const secretBefore = await env.secret("storefront");

    const rotated = await run(["rotate", "storefront", "-n", env.namespace, "-o", "json"]);
    expect(rotated.status).toBe(0);
    const [result] = Rotated.parse(JSON.parse(rotated.stdout));
    expect(result).toMatchObject({
      namespace: env.namespace,
      name: "storefront",
      tokenId: before.status?.tokenId,
      previousRevision: before.status?.revision,
      revision: (before.status?.revision ?? 0) + 1,
    });
    const after = await env.get("storefront");
    expect(after?.status?.lastRotationReason).toBe("Manual");
    const secretAfter = await env.secret("storefront");
    expect(secretAfter?.token).not.toBe(secretBefore?.token);
    expect((await env.verify(secretAfter?.token ?? "")).valid).toBe(true);
    tokens.push(secretBefore?.token ?? "", secretAfter?.token ?? "");
  });

  it("rotates every AccessToken of a namespace with --all (the kubeconfig context's namespace)", async () => {
    await env.apply("billing", { type: "read-only" });
    await env.ready("billing", undefined, 60_000);
    const rotated = await run(["rotate", "--all", "--timeout", "60s"]);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/^NAMESPACE\s+NAME\s+TOKEN ID\s+REVISION\s+EXPIRES$/m);
    expect(rotated.stdout).toMatch(
      new RegExp(`^${env.namespace}\\s+billing\\s+\\S+\\s+1 → 2\\s+never$`, "m"),
    );
    expect(rotated.stdout).toMatch(
      new RegExp(`^${env.namespace}\\s+storefront\\s+\\S+\\s+2 → 3\\s+never$`, "m"),
    );
  });

  it("shows conditions, token, Secret keys, Events and the server's view, never the token", async () => {
    const at = await env.ready("storefront", undefined, 60_000);
    const json = await run(["status", "storefront", "-n", env.namespace, "-o", "json"]);
    expect(json.stderr).toBe("");
    expect(json.status).toBe(0);
    const report = StatusReport.parse(JSON.parse(json.stdout));
    expect(report.status.tokenId).toBe(at.status?.tokenId);
    expect(report.status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(report.secret).toMatchObject({
      name: "storefront",
      exists: true,
      managed: true,
      ownedByThisAccessToken: true,
    });
    expect(report.secret.keys).toEqual(expect.arrayContaining(["token", "token-id"]));
    expect(report.events.map((e) => e.reason)).toEqual(expect.arrayContaining(["Issued", "Rotated"]));
    expect(report.server.url).toBe(env.server.url);
    expect(report.server.token).toMatchObject({ id: at.status?.tokenId, revision: expect.any(Number) });

    const table = await run(["status", "storefront"]);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^Ready:\s+True \(Issued\)/m);
    expect(table.stdout).toMatch(new RegExp(`^Token ID:\\s+${at.status?.tokenId}$`, "m"));
    expect(table.stdout).toMatch(/^Revision:\s+3 \(last: Manual\)$/m);
    expect(table.stdout).toMatch(/^Secret:\s+storefront \(keys: .*token.*\)$/m);
    expect(table.stdout).toMatch(/^Events:$/m);
    expect(table.stdout).toMatch(/^\s+\S.*Normal\s+Rotated\s+rotated \(Manual\)/m);
    expect(table.stdout).toMatch(/^On the server \(http:\/\/127\.0\.0\.1:\d+\):$/m);

    const noServer = await run(["status", "storefront", "-o", "json"], {
      TOKENPLANE_SERVER: "",
      TOKENPLANE_TOKEN: "",
    });
    expect(StatusReport.parse(JSON.parse(noServer.stdout)).server.problem).toContain(
      "not checked: no server configured",
    );
  });

  it("works as a kubectl plugin through a symlink named kubectl-tokenplane", async () => {
    const plugin = join(dir, "kubectl-tokenplane");
    symlinkSync(built.entry, plugin);
    const help = await run(["--help"], {}, plugin);
    expect(help.stdout).toMatch(/^Usage: kubectl tokenplane /m);
    const status = await run(["status", "billing", "-n", env.namespace], {}, plugin);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/^Ready:\s+True/m);
    const missing = await run(["status", "ghost"], {}, plugin);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`kubectl tokenplane: AccessToken ${env.namespace}/ghost not found\n`);
  });

  it("refuses bad input: exit 2 for the command line, 1 for what is not there", async () => {
    const [missing, none, both, badTimeout, badKubeContext] = await Promise.all([
      run(["rotate", "ghost"]),
      run(["rotate"]),
      run(["rotate", "storefront", "--all"]),
      run(["rotate", "storefront", "--timeout", "soon"]),
      run(["status", "storefront", "--context", "elsewhere"]),
    ]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`tokenplane: AccessToken ${env.namespace}/ghost not found\n`);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("ACCESSTOKEN: give at least one name, or --all");
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("--all: give AccessToken names or --all, not both");
    expect(badTimeout.status).toBe(2);
    expect(badTimeout.stderr).toContain("must be a duration such as 90s, 5m or 1h");
    expect(badKubeContext.status).toBe(2);
    expect(badKubeContext.stderr).toContain('--context: no context "elsewhere" in the kubeconfig');
  });

  it("gives up after --timeout when the operator cannot issue the new token", async () => {
    await env.apply("stranded", {
      type: "read-only",
      serverRef: { kind: "ClusterTokenServer", name: `missing-${env.namespace}` },
    });
    const rotated = await run(["rotate", "stranded", "--timeout", "2s"]);
    expect(rotated.status).toBe(1);
    expect(rotated.stderr).toMatch(
      new RegExp(
        `^tokenplane: timed out after 2s waiting for the new token of ${env.namespace}/stranded \\(`,
        "m",
      ),
    );
  });

  it("never printed a token", async () => {
    tokens.push((await env.secret("storefront"))?.token ?? "", (await env.secret("billing"))?.token ?? "");
    const everything = printed.join("\n");
    expect(tokens.filter((t) => t !== "").length).toBe(4);
    for (const token of [...tokens, env.server.adminToken])
      if (token) expect(everything).not.toContain(token);
  });
});
