import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runLoggingResolves } from "../support/resolve-log.js";

/*
 * `npm run build` bundles the CLI into dist/cli.js and chunks beside it
 * (scripts/bundle-cli.ts). Modules that find files next to themselves must still find them
 * from a chunk: a miss would not fail loudly — the operator would quietly load all of
 * client-node (+50 MB) instead of its KubeConfig bundle.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIST = join(ROOT, "dist");
const work = mkdtempSync(join(tmpdir(), "tokenplane-bundle-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the built CLI; returns every URL it resolved, and how it ended. */
function resolvedBy(args: string[]): { urls: string[]; status: number | null } {
  const { urls, run } = runLoggingResolves([join(DIST, "cli.js"), ...args], {
    cwd: work,
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 20_000,
  });
  return { urls, status: run.status };
}

describe("the bundled CLI", () => {
  it("points each module that reads import.meta.url at the module as tsc built it", () => {
    const chunks = readdirSync(DIST).filter((f) => f.startsWith("cli-chunk-") && f.endsWith(".js"));
    expect(chunks.length).toBeGreaterThan(1);
    const modules = chunks.flatMap((f) =>
      [
        ...readFileSync(join(DIST, f), "utf8").matchAll(/new URL\("\.\/([\w/.-]+\.js)",import\.meta\.url\)/g),
      ].map((m) => m[1] ?? ""),
    );
    // The console, the PGlite template, PGlite's WebAssembly, the KubeConfig bundle, the .proto files.
    expect(new Set(modules)).toEqual(
      new Set([
        "server/http/console-routes.js",
        "server/store/pglite-template.js",
        "server/store/pglite-wasm.js",
        "operator/kube/kube-config.js",
        "terraform/protocol.js",
        "cli/lazy-modules.js",
      ]),
    );
    for (const m of modules) expect(readdirSync(join(DIST, m, ".."))).toContain(m.split("/").pop());
  });

  it("loads its code from the bundle, and client-node's KubeConfig from its own small bundle", () => {
    const kubeconfig = join(work, "kubeconfig");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]",
        "users: [{name: u, user: {token: t}}]",
        "contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]",
        "current-context: x",
      ].join("\n"),
    );
    // Nothing listens there: the command fails, after loading what it needs.
    const { urls, status } = resolvedBy(["status", "some-token", "--kubeconfig", kubeconfig]);
    expect(status).not.toBe(0);
    const ours = urls.filter((u) => u.startsWith(pathToFileURL(DIST).href));
    expect(
      ours.every((u) =>
        /\/dist\/(cli\.js|cli-chunk-\w+\.js|operator\/kube\/kube-config\.bundle\.mjs)$/.test(u),
      ),
    ).toBe(true);
    expect(ours.some((u) => u.endsWith("/dist/operator/kube/kube-config.bundle.mjs"))).toBe(true);
    expect(urls.some((u) => u.includes("/node_modules/@kubernetes/client-node/"))).toBe(false);
  });
});
