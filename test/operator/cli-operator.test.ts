import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_CLUSTER_RULES, OPERATOR_NAMESPACE_RULES } from "../../src/operator/index.js";
import { customResourceDefinitions } from "../../src/crd/index.js";
import { runCli, startCli } from "../support/cli.js";
import { startKubeApi, type KubeApi, type KubeObject } from "../support/kube-api/index.js";
import { waitFor } from "../support/wait.js";

/*
 * `tokenplane operator` as the Helm chart runs it: a process with a kubeconfig, one port for
 * the token API and the operations endpoints, and a clean exit on SIGTERM that releases the
 * Lease. Runs against the fixture (it starts a process, not the in-process operator).
 */

let kube: KubeApi;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  kube = await startKubeApi({
    crds: customResourceDefinitions() as unknown as KubeObject[],
    namespaces: ["shop", "tokenplane-system"],
    // What the chart grants: a ClusterRole, and a Role for the Lease in its own namespace.
    rbac: {
      rules: [...OPERATOR_CLUSTER_RULES],
      namespaced: { "tokenplane-system": [...OPERATOR_NAMESPACE_RULES] },
    },
  });
  dir = mkdtempSync(join(tmpdir(), "tokenplane-operator-cli-"));
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, kube.kubeConfigYaml());
});

afterAll(async () => {
  await kube?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = {
  TOKENPLANE_ADMIN_TOKEN: `admin-${randomBytes(24).toString("hex")}`,
  TOKENPLANE_PEPPER: `1:${randomBytes(32).toString("hex")}`,
  POD_NAMESPACE: "tokenplane-system",
  TOKENPLANE_LOG_LEVEL: "info",
};

type Lease = KubeObject & { spec: { holderIdentity?: string } };

/** Starting a process, taking the Lease, issuing a token and draining outlast 30 s on a busy machine. */
const PROCESS_TEST_TIMEOUT_MS = 120_000;

describe("tokenplane operator", () => {
  it("documents its flags", () => {
    const help = runCli(["operator", "--help"]);
    expect(help.status).toBe(0);
    for (const flag of [
      "--kubeconfig",
      "--namespace",
      "--embedded-server",
      "--no-embedded-server",
      "--port",
      "--host",
      "--data-dir",
      "--database-url",
      "--admin-token-file",
      "--log-level",
      "--leader-election-namespace",
      "--leader-election-id",
      "TOKENPLANE_ADMIN_TOKEN",
      "POD_NAME",
    ])
      expect(help.stdout).toContain(flag);
  });

  it(
    "serves the token API and operations on one port, reconciles as leader, and stops cleanly on SIGTERM",
    async () => {
      const cli = startCli(
        [
          "operator",
          "--kubeconfig",
          kubeconfig,
          "--port",
          "0",
          "--host",
          "127.0.0.1",
          "--data-dir",
          join(dir, "data"),
        ],
        { ...env, POD_NAME: "operator-0" },
      );
      try {
        const port = await waitFor(() => /"port":(\d+)/.exec(cli.out.stdout)?.[1], {
          timeoutMs: 30_000,
          what: "the operator to listen",
        });
        const base = `http://127.0.0.1:${port}`;
        expect((await fetch(`${base}/healthz`)).status).toBe(200);
        await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, {
          timeoutMs: 20_000,
          what: "readiness",
        });
        await waitFor(
          () =>
            kube.get<Lease>("leases.coordination.k8s.io", "tokenplane-system", "tokenplane-operator")?.spec
              .holderIdentity === "operator-0",
          { what: "the lease" },
        );
        const metrics = await (await fetch(`${base}/metrics`)).text();
        expect(metrics).toContain("tokenplane_operator_leader 1");
        expect(metrics).toContain("tokenplane_operator_queue_depth");
        expect(metrics).toContain("tokenplane_http_requests_total");

        kube.create({
          apiVersion: "tokenplane.dev/v1alpha1",
          kind: "AccessToken",
          metadata: { name: "storefront", namespace: "shop" },
          spec: { type: "read-only" },
        });
        const secret = await waitFor(
          () => kube.get<KubeObject & { data: Record<string, string> }>("secrets", "shop", "storefront"),
          {
            timeoutMs: 20_000,
            what: "the Secret",
          },
        );
        const token = Buffer.from(secret.data.token!, "base64").toString("utf8");
        const verified = await fetch(`${base}/api/v1/verify`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token, permission: "orders:read" }),
        });
        expect(((await verified.json()) as { code: string }).code).toBe("VALID");
        const embedded = kube.get<KubeObject & { spec: { url: string } }>(
          "clustertokenservers.tokenplane.dev",
          undefined,
          "embedded",
        );
        expect(embedded?.spec.url).toBe(`http://tokenplane.tokenplane-system.svc:${port}`);
        expect(cli.out.stdout + cli.out.stderr).not.toContain(token);

        cli.child.kill("SIGTERM");
        expect(await cli.exited).toBe(0);
        const lease = kube.get<Lease>(
          "leases.coordination.k8s.io",
          "tokenplane-system",
          "tokenplane-operator",
        );
        expect(lease?.spec.holderIdentity).toBeFalsy();
      } finally {
        cli.child.kill("SIGKILL");
      }
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it("without the embedded server, still serves /healthz, /readyz and /metrics on its port", async () => {
    const cli = startCli(
      [
        "operator",
        "--kubeconfig",
        kubeconfig,
        "--no-embedded-server",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
        "--namespace",
        "shop",
        "--leader-election-id",
        "other",
      ],
      env,
    );
    try {
      const port = await waitFor(() => /"port":(\d+)/.exec(cli.out.stdout)?.[1], {
        timeoutMs: 30_000,
        what: "the operator to listen",
      });
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { what: "readiness" });
      expect(await (await fetch(`${base}/metrics`)).text()).toContain("tokenplane_operator_reconcile_total");
      expect((await fetch(`${base}/api/v1/user`)).status).toBe(404);
      cli.child.kill("SIGTERM");
      expect(await cli.exited).toBe(0);
    } finally {
      cli.child.kill("SIGKILL");
    }
  });
});
