import type { Command } from "commander";
import { managementApi } from "../client/index.js";
import {
  configPath,
  type Context,
  currentContext,
  readConfig,
  withContext,
  writeConfig,
} from "./config-file.js";
import { CliFailure, UsageFailure } from "./failures.js";
import { addOutputOption, colour, type OutputFormat, print, renderData, renderTable } from "./output.js";
import { askSecret, readStdin } from "./prompts.js";

/*
 * `tokenplane login` stores a context (server + token) after checking the token works;
 * `tokenplane context list|use|delete` switches between them, like kubectl's contexts.
 */

const contextNameOf = (server: string): string => new URL(server).host;

export function registerLoginCommand(program: Command): void {
  program
    .command("login")
    .description("store a server and a token as a context in the config file (0600)")
    .requiredOption("--server <url>", "the token server's URL")
    .option("--token-stdin", "read the token from stdin instead of asking for it")
    .option("--context <name>", "the context's name (default: the server's host:port)")
    .addHelpText(
      "after",
      `
The file is $XDG_CONFIG_HOME/tokenplane/config.yaml (default ~/.config/tokenplane/config.yaml).
TOKENPLANE_SERVER and TOKENPLANE_TOKEN, when set, override the current context.

Examples:
  tokenplane login --server http://localhost:8080              # asks for the token
  echo "$ADMIN" | tokenplane login --server https://tokens.internal --token-stdin`,
    )
    .action(async (flags: { server: string; tokenStdin?: boolean; context?: string }) => {
      let server: string;
      try {
        const url = new URL(flags.server);
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
        server = flags.server.replace(/\/+$/, "");
      } catch {
        throw new UsageFailure("--server: must be an http(s) URL");
      }
      const token = flags.tokenStdin ? await readStdin() : await askSecret(`Token for ${server}:`);
      if (token === "") throw new UsageFailure("--token-stdin: no token on stdin");
      // Only a token the server accepts is stored.
      const user = await managementApi({ url: server, token }).self();
      const file = configPath();
      const name = flags.context ?? contextNameOf(server);
      writeConfig(withContext(readConfig(file), { name, server, token }), file);
      process.stderr.write(
        colour.green(
          `✓ Logged in to ${server} as ${user.name}${user.admin ? " (admin)" : ""}; context "${name}" saved in ${file}\n`,
        ),
      );
    });

  const context = program.command("context").alias("contexts").description("the contexts of the config file");

  addOutputOption(context.command("list").alias("ls").description("list contexts; * marks the current one"), [
    "table",
    "json",
    "yaml",
  ]).action((flags: { output: OutputFormat }) => {
    const config = readConfig();
    const current = currentContext(config)?.name;
    // Tokens stay in the file: listings show where a context points, never its credential.
    const rows = config.contexts.map((c: Context) => ({
      name: c.name,
      server: c.server,
      current: c.name === current,
    }));
    if (flags.output === "json" || flags.output === "yaml") return print(renderData(rows, flags.output));
    if (rows.length === 0)
      return void process.stderr.write("No contexts. Add one with: tokenplane login --server URL\n");
    print(
      renderTable(
        ["CURRENT", "NAME", "SERVER"],
        rows.map((r) => [r.current ? "*" : "", r.name, r.server]),
      ),
    );
  });

  context
    .command("use")
    .description("make a context the current one")
    .argument("<name>", "the context's name")
    .action((name: string) => {
      const file = configPath();
      const config = readConfig(file);
      if (!config.contexts.some((c) => c.name === name))
        throw new CliFailure(`no context named "${name}" in ${file} (see: tokenplane context list)`);
      writeConfig({ ...config, "current-context": name }, file);
      process.stderr.write(`Switched to context "${name}".\n`);
    });

  context
    .command("current")
    .description("print the current context's name")
    .action(() => {
      const current = currentContext(readConfig());
      if (!current) throw new CliFailure("no current context (see: tokenplane context list)");
      print(`${current.name}\n`);
    });

  context
    .command("delete")
    .alias("rm")
    .description("remove a context and its token from the config file")
    .argument("<name>", "the context's name")
    .action((name: string) => {
      const file = configPath();
      const config = readConfig(file);
      if (!config.contexts.some((c) => c.name === name))
        throw new CliFailure(`no context named "${name}" in ${file}`);
      const contexts = config.contexts.filter((c) => c.name !== name);
      const current = config["current-context"] === name ? undefined : config["current-context"];
      writeConfig({ contexts, ...(current ? { "current-context": current } : {}) }, file);
      process.stderr.write(`Deleted context "${name}".\n`);
    });
}
