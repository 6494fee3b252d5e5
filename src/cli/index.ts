import { basename } from "node:path";
import type { Command } from "commander";
import { registerAuditCommand } from "./audit-command.js";
import { registerCompletionCommand } from "./completion.js";
import { failureOf } from "./failures.js";
import { registerKubeCommands } from "./kube-commands.js";
import { registerLoginCommand } from "./login-command.js";
import { registerResourcesCommand } from "./resources-command.js";
import { registerSettingsCommand } from "./settings-command.js";
import { registerTokensCommand } from "./tokens-command.js";
import { registerUsersCommand } from "./users-command.js";
import { registerVerifyCommand } from "./verify-command.js";

/** The commands for people: the server's API, contexts, AccessToken rotate/status, completion. */
export function registerPeopleCommands(program: Command): Command {
  registerLoginCommand(program);
  registerTokensCommand(program);
  registerUsersCommand(program);
  registerResourcesCommand(program);
  registerSettingsCommand(program);
  registerAuditCommand(program);
  registerVerifyCommand(program);
  registerKubeCommands(program);
  registerCompletionCommand(program);
  return program;
}

/** `kubectl tokenplane` when run through a `kubectl-tokenplane` symlink (a kubectl plugin). */
export function programName(argv: readonly string[] = process.argv): string {
  return basename(argv[1] ?? "").replace(/\.[cm]?[jt]s$/, "") === "kubectl-tokenplane"
    ? "kubectl tokenplane"
    : "tokenplane";
}

/** Prints a failure as one line and exits: 1 when the work failed, 2 for a wrong command line. */
export function exitWithFailure(err: unknown): never {
  const { message, exitCode } = failureOf(err);
  if (message !== undefined) process.stderr.write(`${programName()}: ${message}\n`);
  process.exit(exitCode);
}
