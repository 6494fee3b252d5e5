/** go-plugin's handshake: Terraform's cookie, the protocol versions, the line on stdout. */

export const MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE";
export const MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/** go-plugin's own protocol version, and the Terraform plugin protocol this provider speaks. */
export const CORE_PROTOCOL_VERSION = 1;
export const APP_PROTOCOL_VERSION = 6;

export class NotLaunchedByTerraform extends Error {}

/** Refuses to run unless Terraform (or go-plugin) launched us and accepts protocol 6. */
export function checkLaunch(env: NodeJS.ProcessEnv): void {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE)
    throw new NotLaunchedByTerraform(
      "This is the tokenplane Terraform provider: Terraform runs it as a plugin. Install it with a " +
        "dev_overrides or filesystem-mirror entry in your Terraform CLI configuration (see README, " +
        '"Terraform provider") instead of running it directly.',
    );
  const offered = (env.PLUGIN_PROTOCOL_VERSIONS ?? String(APP_PROTOCOL_VERSION))
    .split(",")
    .map((v) => v.trim());
  if (!offered.includes(String(APP_PROTOCOL_VERSION)))
    throw new Error(
      `Terraform offers plugin protocol ${offered.join(", ")}; this provider speaks ${APP_PROTOCOL_VERSION} (Terraform >= 1.0)`,
    );
}

/** `1|6|tcp|127.0.0.1:PORT|grpc|<cert>`: the one line Terraform reads from our stdout. */
export function handshakeLine(address: string, handshakeCert: string): string {
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|tcp|${address}|grpc|${handshakeCert}\n`;
}
