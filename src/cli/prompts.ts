import { UsageFailure } from "./failures.js";

/*
 * Questions to a person at a terminal (@inquirer: hidden input, y/N). Without a terminal
 * there is nobody to ask: the command needs its flag instead (`--yes`, `--token-stdin`).
 */

export const interactive = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true;

export async function confirmOrRefuse(message: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!interactive()) throw new UsageFailure("--yes: required to confirm when not running in a terminal");
  const { default: confirm } = await import("@inquirer/confirm");
  return confirm({ message, default: false }, { output: process.stderr });
}

export async function askSecret(message: string): Promise<string> {
  if (!interactive()) throw new UsageFailure("--token-stdin: required when not running in a terminal");
  const { default: password } = await import("@inquirer/password");
  return password({ message, mask: true }, { output: process.stderr });
}

/** All of stdin, trimmed (for `--token-stdin` and `verify -`). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}
