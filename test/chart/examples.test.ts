import { readdirSync, readFileSync } from "node:fs";
import { Environment } from "@marcbachmann/cel-js";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { parseAccessToken, parseClusterTokenServer, parseTokenServer } from "../../src/crd/index.js";
import { customResourceErrors } from "../support/crd-validator.js";

/*
 * examples/manifests (what users apply) against the CRDs, and the GitOps health checks the
 * README documents: the Argo CD Lua is the same everywhere it is shown, and the Flux CEL
 * expressions say what they should for AccessTokens in every state.
 */

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("examples/manifests", () => {
  const files = readdirSync(new URL("../../examples/manifests", import.meta.url)).filter((f) =>
    f.endsWith(".yaml"),
  );
  const objects = files.flatMap((f) =>
    parseAllDocuments(read(`examples/manifests/${f}`)).map((d) => ({
      file: f,
      object: d.toJS() as Record<string, unknown>,
    })),
  );

  it("hold AccessTokens, a TokenServer and a ClusterTokenServer", () => {
    const kinds = objects.map((o) => o.object.kind);
    expect(kinds.filter((k) => k === "AccessToken").length).toBeGreaterThanOrEqual(3);
    expect(kinds).toContain("ClusterTokenServer");
    expect(kinds).toContain("TokenServer");
  });

  it("are accepted by the CRDs' schemas and rules, and by the operator's parse functions", () => {
    const parsers: Record<string, (o: unknown) => { ok: boolean }> = {
      AccessToken: parseAccessToken,
      TokenServer: parseTokenServer,
      ClusterTokenServer: parseClusterTokenServer,
    };
    for (const { file, object } of objects) {
      const at = `${file}: ${String(object.kind)} ${JSON.stringify(object.metadata)}`;
      expect(customResourceErrors(object), at).toEqual([]);
      expect(parsers[String(object.kind)]?.(object).ok, at).toBe(true);
    }
  });

  it("use every AccessToken spec field at least once", () => {
    const used = new Set(
      objects
        .filter((o) => o.object.kind === "AccessToken")
        .flatMap((o) => Object.keys(o.object.spec as object)),
    );
    const crd = JSON.parse(
      JSON.stringify(parse(read("charts/tokenplane/crds/tokenplane.dev_crds.yaml").split("---\n")[1]!)),
    ) as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: object } } } } }[] };
    };
    const fields = Object.keys(crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties);
    expect(fields.filter((f) => !used.has(f))).toEqual([]);
  });
});

describe("Argo CD health check", () => {
  const lua = read("examples/gitops/argocd/accesstoken-health.lua");

  it("is the same in the argocd-cm example and in the README", () => {
    const cm = parse(read("examples/gitops/argocd/argocd-cm.yaml")) as { data: Record<string, string> };
    expect(cm.data["resource.customizations.health.tokenplane.dev_AccessToken"]).toBe(lua);
    expect(read("README.md")).toContain("```lua\n" + lua + "```");
  });

  it("covers Healthy, Progressing and Degraded with the terminal reasons", () => {
    for (const word of [
      '"Healthy"',
      '"Progressing"',
      '"Degraded"',
      "SecretConflict",
      "NamespaceNotAllowed",
      "InvalidSpec",
    ])
      expect(lua).toContain(word);
    expect(lua).toContain("observedGeneration ~= generation");
  });
});

describe("Flux health check expressions", () => {
  const kustomization = parse(read("examples/gitops/flux/kustomization.yaml")) as {
    spec: {
      wait: boolean;
      healthCheckExprs: { apiVersion: string; kind: string; current: string; failed: string }[];
    };
  };
  const [exprs] = kustomization.spec.healthCheckExprs;
  const cel = new Environment({ unlistedVariablesAreDyn: true });
  const evaluate = (expr: string, object: Record<string, unknown>) => {
    const toCel = (v: unknown): unknown =>
      typeof v === "number" && Number.isInteger(v)
        ? BigInt(v)
        : Array.isArray(v)
          ? v.map(toCel)
          : v !== null && typeof v === "object"
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]))
            : v;
    return cel.evaluate(expr, toCel(object) as Record<string, unknown>) as boolean;
  };
  const token = (generation: number, status: Record<string, unknown>) => ({
    apiVersion: "tokenplane.dev/v1alpha1",
    kind: "AccessToken",
    metadata: { name: "storefront", namespace: "shop", generation },
    spec: {},
    status,
  });
  const condition = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    message: "",
    observedGeneration: 2,
    lastTransitionTime: "2025-01-01T00:00:00Z",
  });

  it("are declared for AccessTokens, with wait on", () => {
    expect(kustomization.spec.wait).toBe(true);
    expect(exprs).toMatchObject({ apiVersion: "tokenplane.dev/v1alpha1", kind: "AccessToken" });
  });

  const ready = (status: string, reason: string) => [condition("Ready", status, reason)];
  it.each([
    { what: "not yet seen by the operator", object: token(2, {}), current: false, failed: false },
    {
      what: "Ready for an older generation",
      object: token(3, { observedGeneration: 2, conditions: ready("True", "Issued") }),
      current: false,
      failed: false,
    },
    {
      what: "Ready for the current generation",
      object: token(2, { observedGeneration: 2, conditions: ready("True", "Issued") }),
      current: true,
      failed: false,
    },
    {
      what: "rotating",
      object: token(2, {
        observedGeneration: 2,
        conditions: [...ready("True", "Issued"), condition("Issuing", "True", "Rotating")],
      }),
      current: false,
      failed: false,
    },
    {
      what: "retrying",
      object: token(2, { observedGeneration: 2, conditions: ready("False", "ServerUnavailable") }),
      current: false,
      failed: false,
    },
    {
      what: "in conflict with a Secret",
      object: token(2, { observedGeneration: 2, conditions: ready("False", "SecretConflict") }),
      current: false,
      failed: true,
    },
    {
      what: "refused by its server",
      object: token(2, { observedGeneration: 2, conditions: ready("False", "NamespaceNotAllowed") }),
      current: false,
      failed: true,
    },
  ])("when $what: current=$current, failed=$failed", ({ object, current, failed }) => {
    expect(evaluate(exprs!.current, object)).toBe(current);
    expect(evaluate(exprs!.failed, object)).toBe(failed);
  });
});
