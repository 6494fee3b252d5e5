import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { customResourceDefinitions, renderCrdsYaml } from "../../src/crd/index.js";

const CHART_FILE = new URL("../../charts/tokenplane/crds/tokenplane.dev_crds.yaml", import.meta.url);

describe("renderCrdsYaml", () => {
  it("is deterministic", () => {
    expect(renderCrdsYaml()).toBe(renderCrdsYaml());
  });

  it("holds every CRD, one document each", () => {
    const docs = parseAllDocuments(renderCrdsYaml());
    expect(docs.map((d) => d.errors)).toEqual(customResourceDefinitions().map(() => []));
    expect(docs.map((d) => d.toJS() as unknown)).toEqual(customResourceDefinitions());
  });

  it("matches the copy checked into the Helm chart", () => {
    const checkedIn = readFileSync(CHART_FILE, "utf8");
    expect(
      checkedIn === renderCrdsYaml(),
      "charts/tokenplane/crds/tokenplane.dev_crds.yaml is out of date with src/crd. " +
        "Regenerate it with: npx tsx src/crd/write-crds.ts",
    ).toBe(true);
  });
});
