/**
 * Regenerates the Helm chart's CRDs: `npx tsx src/crd/write-crds.ts`.
 * (`tokenplane crds > charts/tokenplane/crds/tokenplane.dev_crds.yaml` writes the same bytes.)
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderCrdsYaml } from "./crds.js";

export const CHART_CRDS_FILE = fileURLToPath(
  new URL("../../../charts/tokenplane/crds/tokenplane.dev_crds.yaml", import.meta.url),
);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CHART_CRDS_FILE, renderCrdsYaml());
  process.stdout.write(`wrote ${CHART_CRDS_FILE}\n`);
}
