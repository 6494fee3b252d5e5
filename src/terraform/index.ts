/**
 * tokenplane's Terraform provider (`registry.terraform.io/tokenplane/tokenplane`): the plugin
 * protocol 6 over go-plugin's gRPC handshake, written in TypeScript.
 */
import { stderrLog } from "./log.js";
import { NotLaunchedByTerraform } from "./handshake.js";
import { servePlugin } from "./plugin-server.js";
import { providerService } from "./provider-service.js";

export { ctyTypeJson, parseCtyType, type CtyType } from "./cty-type.js";
export {
  decodeJson,
  decodeMsgpack,
  encodeMsgpack,
  isDynamic,
  UNKNOWN,
  type DynamicValue,
  type Value,
  type ValueObject,
} from "./cty-value.js";
export { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "./handshake.js";
export { providerSchema } from "./provider-config.js";
export { blockType, type BlockSpec } from "./schema.js";
export { DATA_SOURCES, EPHEMERAL_RESOURCES, RESOURCES } from "./provider-service.js";
export { servePlugin, type RunningPlugin } from "./plugin-server.js";
export { generatePluginIdentity, type PluginIdentity } from "./auto-mtls.js";
export { loadPluginPackage } from "./protocol.js";

/**
 * `tokenplane terraform-provider`: serves until Terraform shuts the plugin down. Terraform
 * handles Ctrl-C itself (StopProvider), so SIGINT is ignored here as go-plugin plugins do.
 */
export async function runTerraformProvider(): Promise<void> {
  const log = stderrLog();
  process.on("SIGINT", () => log("debug", "interrupt ignored: Terraform stops the provider"));
  try {
    const plugin = await servePlugin(providerService(log), log);
    await plugin.stopped;
    process.exit(0);
  } catch (err) {
    if (err instanceof NotLaunchedByTerraform) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
