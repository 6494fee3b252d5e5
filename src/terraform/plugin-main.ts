/**
 * The provider's own process entry: `npm run build` bundles it with esbuild into
 * dist/terraform/provider.mjs, which bin/terraform-provider-tokenplane prefers. Terraform
 * starts the plugin several times per command, so it loads one file instead of the CLI and
 * its module graph.
 */
import { runTerraformProvider } from "./index.js";

await runTerraformProvider();
