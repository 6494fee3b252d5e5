import { createRequire } from "node:module";
import type TableConstructor from "cli-table3";
import type * as Yaml from "yaml";

/*
 * Libraries only some commands need, loaded on first use: every `tokenplane` start (the
 * server's and the operator's included) registers all commands, and should pay only for
 * what it runs.
 */

const require = createRequire(import.meta.url);

export const cliTable = (): typeof TableConstructor => require("cli-table3") as typeof TableConstructor;
export const yaml = (): typeof Yaml => require("yaml") as typeof Yaml;
