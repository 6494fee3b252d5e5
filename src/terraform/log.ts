/**
 * Plugin logs go to stderr as hclog JSON lines: go-plugin parses them, and Terraform shows
 * them under TF_LOG / TF_LOG_PROVIDER. Stdout carries only the handshake line.
 */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

export interface PluginLog {
  (level: LogLevel, message: string, fields?: Record<string, string | number | boolean>): void;
}

export function stderrLog(write: (line: string) => void = (l) => process.stderr.write(l)): PluginLog {
  return (level, message, fields = {}) =>
    write(
      `${JSON.stringify({
        "@level": level,
        "@message": message,
        "@module": "tokenplane",
        "@timestamp": new Date().toISOString(),
        ...fields,
      })}\n`,
    );
}
