import type { Command } from "commander";
import * as z from "zod";
import type { Connection } from "../client/index.js";
import { configPath, currentContext, readConfig } from "./config-file.js";
import { CliFailure, UsageFailure } from "./failures.js";

/*
 * Which server a command talks to and with which token: `--server`/`--context` flags, then
 * TOKENPLANE_SERVER / TOKENPLANE_TOKEN, then the current context of the config file. The
 * token is never a flag: flags end up in shell history and `ps`.
 */

export interface ConnectionFlags {
  server?: string;
  context?: string;
}

const ServerUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

export function addConnectionOptions(command: Command): Command {
  return command
    .option("--server <url>", "token server URL (default: TOKENPLANE_SERVER, else the current context)")
    .option("--context <name>", "use this context of the config file instead of the current one");
}

/** `anonymous`: for calls that need no credentials (verify); the token is sent when there is one. */
export function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
  anonymous = false,
): Connection {
  const file = configPath(env);
  const config = readConfig(file);
  const context =
    flags.context !== undefined
      ? config.contexts.find((c) => c.name === flags.context)
      : currentContext(config);
  if (flags.context !== undefined && !context)
    throw new UsageFailure(`--context: no context named "${flags.context}" in ${file}`);
  const server = flags.server ?? (env.TOKENPLANE_SERVER || undefined) ?? context?.server;
  // A context's token goes only to that context's server, never to another one named by a flag.
  const sameServer = context?.server === server ? context : config.contexts.find((c) => c.server === server);
  const token = (env.TOKENPLANE_TOKEN || undefined) ?? sameServer?.token;
  if (!server)
    throw new CliFailure(
      "no server configured: run `tokenplane login --server URL`, or set TOKENPLANE_SERVER and TOKENPLANE_TOKEN",
    );
  const url = ServerUrl.safeParse(server);
  if (!url.success)
    throw new UsageFailure(
      `${flags.server ? "--server" : env.TOKENPLANE_SERVER ? "TOKENPLANE_SERVER" : "server"}: must be an http(s) URL`,
    );
  if (!token && !anonymous)
    throw new CliFailure(
      `no token for ${server}: run \`tokenplane login --server ${server}\`, or set TOKENPLANE_TOKEN`,
    );
  return { url: server, token: token ?? "" };
}
