import { configDefaults, defineConfig } from "vitest/config";
import type { TestProjectInlineConfiguration } from "vitest/config";

/*
 * Three projects, all run by `npm test` (`vitest run`) in one pool; pick with `--project`.
 *   unit         pure code: no server, process, database or browser; seconds in all.
 *   integration  everything else: real HTTP servers, PostgreSQL/PGlite, the Kubernetes API fixture.
 *   slow         fuzz and soak, and suites driving external programs at length (terraform,
 *                the cdktf CLI, chromium, the CLI binary); each ~15 s or more on 2 CPUs.
 * A new test file lands in integration unless listed below.
 */
const UNIT = [
  "test/core/**/*.test.ts",
  "test/chart/examples.test.ts",
  "test/kube-api/building-blocks.test.ts",
  "test/operator/building-blocks.test.ts",
  "test/operator/crd-*.test.ts",
  "test/operator/rotation-plan*.test.ts",
  "test/provider/constructs.test.ts",
  "test/provider/package.test.ts",
  "test/provider/props.test.ts",
  "test/provider/validation-property.test.ts",
  "test/server/denial-log.test.ts",
  "test/server/request-path.test.ts",
  "test/terraform/cty-msgpack.test.ts",
];

const SLOW = [
  "test/reliability/http-fuzz.test.ts",
  "test/reliability/soak.test.ts",
  "test/operator/reliability-fuzz.test.ts",
  "test/provider/cdktf-cli.test.ts",
  "test/terraform/**/*.test.ts",
  "test/console/console.test.ts",
  "test/cli/api-commands.test.ts",
  "test/cli/kube-commands.test.ts",
  "test/cli.test.ts",
];

/** One project: which files, and whether it needs the run's PostgreSQL (and the PGlite template). */
const project = (
  name: string,
  include: string[],
  exclude: string[],
  needs: { postgres: boolean },
): TestProjectInlineConfiguration => ({
  test: {
    name,
    include,
    exclude: [...configDefaults.exclude, ...exclude],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Fixes fast-check's seed for the run (TOKENPLANE_FUZZ_SEED overrides).
    setupFiles: ["test/support/fuzz-setup.ts"],
    // Shared by the projects that list it: one PostgreSQL per run.
    ...(needs.postgres ? { globalSetup: ["test/support/global-setup.ts"] } : {}),
  },
});

export default defineConfig({
  test: {
    projects: [
      project("unit", UNIT, [], { postgres: false }),
      project("integration", ["test/**/*.test.ts"], [...UNIT, ...SLOW], { postgres: true }),
      // cty-msgpack is pure: unit, although it sits with the terraform suites.
      project("slow", SLOW, UNIT, { postgres: true }),
    ],
  },
});
