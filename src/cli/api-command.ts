import type { Command } from "commander";
import { type ManagementApi, managementApi } from "../client/index.js";
import { addConnectionOptions, type ConnectionFlags, resolveConnection } from "./connection.js";
import { addOutputOption, type OutputFormat, print, renderData } from "./output.js";

/* The shape every server-talking leaf command shares: connection flags, `-o`, one API. */

export type ApiFlags = ConnectionFlags & { output: OutputFormat };

export function apiLeaf(
  parent: Command,
  name: string,
  description: string,
  formats: readonly OutputFormat[] = ["table", "json", "yaml"],
): Command {
  return addOutputOption(addConnectionOptions(parent.command(name).description(description)), formats);
}

export const apiFor = (flags: ConnectionFlags, anonymous = false): ManagementApi =>
  managementApi(resolveConnection(flags, process.env, anonymous));

/** JSON/YAML as asked; otherwise what `human` renders. */
export function show(value: unknown, format: OutputFormat, human: () => string): void {
  print(format === "json" || format === "yaml" ? renderData(value, format) : human());
}
