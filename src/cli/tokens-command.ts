import type { Command } from "commander";
import type { AccessToken, IssuedAccessToken } from "../api/index.js";
import { type ManagementApi, managementApi } from "../client/index.js";
import { addConnectionOptions, type ConnectionFlags, resolveConnection } from "./connection.js";
import { inFlagTerms } from "./checked-body.js";
import { CliFailure, UsageFailure } from "./failures.js";
import { addOutputOption, colour, type OutputFormat, print, renderData } from "./output.js";
import { confirmOrRefuse } from "./prompts.js";
import { resolveToken, resolveUser } from "./selection.js";
import {
  addCreateFlags,
  addRegenerateFlags,
  addUpdateFlags,
  type CreateFlags,
  createBody,
  FLAG_OF,
  type RegenerateFlags,
  regenerateBody,
  type UpdateFlags,
  updateBody,
} from "./token-flags.js";
import {
  issuedView,
  TOKEN_HEAD,
  TOKEN_WIDE_HEAD,
  tokenDetails,
  tokenRow,
  tokenTable,
} from "./token-views.js";

/* `tokenplane tokens list|get|create|update|regenerate|delete` (alias `token`). */

type Flags = ConnectionFlags & { user?: string; output: OutputFormat };

const READ_FORMATS = ["table", "wide", "json", "yaml"] as const;
const ISSUE_FORMATS = ["table", "json", "yaml", "token"] as const;

function leaf(parent: Command, name: string, description: string, formats: readonly OutputFormat[]): Command {
  const command = parent.command(name).description(description);
  addConnectionOptions(command);
  addOutputOption(command, formats);
  return command.option("-u, --user <user>", "whose tokens: a user id or name (default: the caller)");
}

async function context(flags: Flags): Promise<{ api: ManagementApi; userId: string }> {
  const api = managementApi(resolveConnection(flags));
  const user = await resolveUser(api, flags.user);
  return { api, userId: user.id };
}

function showOne(t: AccessToken, format: OutputFormat): void {
  if (format === "json" || format === "yaml") print(renderData(t, format));
  else print(tokenDetails(t));
}

function showIssued(t: IssuedAccessToken, format: OutputFormat, verb: string): void {
  if (format === "token") print(`${t.token}\n`);
  else if (format === "json" || format === "yaml") print(renderData(t, format));
  else print(issuedView(t, verb));
}

/** `-o token` prints the token alone: a private key issued with it would be lost. */
function refuseLostKey(format: OutputFormat, signedRequests: boolean | undefined): void {
  if (format === "token" && signedRequests)
    throw new UsageFailure("-o token: would drop the private key issued with --signed-requests; use -o json");
}

export function registerTokensCommand(program: Command): void {
  const tokens = program
    .command("tokens")
    .alias("token")
    .description("list, create, change, regenerate and revoke access tokens");

  leaf(tokens, "list", "list a user's tokens (oldest first); --watch follows changes", READ_FORMATS)
    .alias("ls")
    .option("-w, --watch", "keep the table up to date as tokens change (Ctrl-C to stop)")
    .action(async (flags: Flags & { watch?: boolean }) => {
      const { api, userId } = await context(flags);
      if (flags.watch) return watchTokens(api, userId, flags.output);
      const items = await api.listTokens(userId);
      if (flags.output === "json" || flags.output === "yaml") return print(renderData(items, flags.output));
      if (items.length === 0) return void process.stderr.write("No tokens.\n");
      print(tokenTable(items, flags.output === "wide"));
    });

  leaf(tokens, "get", "show one token, by id or name", READ_FORMATS)
    .argument("<token>", "token id or name")
    .action(async (ref: string, flags: Flags) => {
      const { api, userId } = await context(flags);
      const t = await resolveToken(api, userId, ref);
      if (flags.output === "wide") return print(tokenTable([t], true));
      showOne(t, flags.output);
    });

  addCreateFlags(leaf(tokens, "create", "create a token; the plain token is shown this once", ISSUE_FORMATS))
    .argument("<name>", "the token's name")
    .addHelpText(
      "after",
      `
Examples:
  tokenplane tokens create storefront --type custom -p orders:read -p articles:read --duration 30d
  TOKEN=$(tokenplane tokens create ci --duration 1d -o token)
  tokenplane tokens create widget --publishable --domain shop.example.com --rate-limit 100/1m`,
    )
    .action(async (name: string, flags: Flags & CreateFlags) => {
      const body = createBody(name, flags);
      refuseLostKey(flags.output, body.signedRequests);
      const { api, userId } = await context(flags);
      const created = await api.createToken(userId, body).catch((err: unknown) => {
        throw inFlagTerms(err, FLAG_OF);
      });
      showIssued(created, flags.output, "Created");
    });

  addUpdateFlags(leaf(tokens, "update", "change a token's settings (lists are replaced)", READ_FORMATS))
    .alias("edit")
    .argument("<token>", "token id or name")
    .action(async (ref: string, flags: Flags & UpdateFlags) => {
      const body = updateBody(flags);
      const { api, userId } = await context(flags);
      const t = await resolveToken(api, userId, ref);
      const updated = await api.updateToken(userId, t.id, body).catch((err: unknown) => {
        throw inFlagTerms(err, FLAG_OF);
      });
      if (flags.output === "table") process.stderr.write(colour.green(`✓ Updated token ${updated.name}\n`));
      if (flags.output === "wide") return print(tokenTable([updated], true));
      showOne(updated, flags.output);
    });

  addRegenerateFlags(
    leaf(tokens, "regenerate", "give a token a new secret; same id and settings", ISSUE_FORMATS),
  )
    .alias("rotate-secret")
    .argument("<token>", "token id or name")
    .action(async (ref: string, flags: Flags & RegenerateFlags) => {
      const body = regenerateBody(flags);
      refuseLostKey(flags.output, body.signedRequests);
      const { api, userId } = await context(flags);
      const t = await resolveToken(api, userId, ref);
      // A token that signs its requests gets a new key pair with its new secret.
      refuseLostKey(flags.output, t.signedRequests);
      const regenerated = await api.regenerateToken(userId, t.id, body).catch((err: unknown) => {
        throw inFlagTerms(err, FLAG_OF);
      });
      showIssued(regenerated, flags.output, "Regenerated");
    });

  const del = tokens
    .command("delete")
    .alias("revoke")
    .description("revoke a token: it stops working at once");
  addConnectionOptions(del)
    .option("-u, --user <user>", "whose token: a user id or name (default: the caller)")
    .option("-y, --yes", "do not ask for confirmation")
    .argument("<token>", "token id or name")
    .action(async (ref: string, flags: ConnectionFlags & { user?: string; yes?: boolean }) => {
      const api = managementApi(resolveConnection(flags));
      const userId = (await resolveUser(api, flags.user)).id;
      const t = await resolveToken(api, userId, ref);
      if (!(await confirmOrRefuse(`Revoke token ${t.name} (${t.id})?`, flags.yes)))
        throw new CliFailure("not revoked");
      await api.deleteToken(userId, t.id);
      process.stderr.write(colour.green(`✓ Revoked token ${t.name} (${t.id})\n`));
    });
}

/**
 * The subscribe stream as a live table: redrawn in place on a terminal; elsewhere one line
 * per change (with the event), or NDJSON with `-o json`. Reconnects when the stream ends.
 */
async function watchTokens(api: ManagementApi, userId: string, format: OutputFormat): Promise<void> {
  const live = format !== "json" && format !== "yaml" && process.stdout.isTTY === true;
  const wide = format === "wide";
  const current = new Map<string, AccessToken>();
  let headerShown = false;
  for (;;) {
    const stream = api.watchTokens(userId);
    for (let event = await stream.next(); event; event = await stream.next()) {
      if (event.type === "HEARTBEAT") continue;
      if (event.type === "DELETED") current.delete(event.object.id);
      else current.set(event.object.id, event.object);
      if (format === "json") print(`${JSON.stringify(event)}\n`);
      else if (format === "yaml") print(`---\n${renderData(event, "yaml")}`);
      else if (live) print(`\x1b[H\x1b[2J${tokenTable([...current.values()], wide)}`);
      else {
        // A stream has no final column widths to align to: one tab-separated line per change.
        const head = ["EVENT", ...(wide ? TOKEN_WIDE_HEAD : TOKEN_HEAD)];
        if (!headerShown) print(`${head.join("\t")}\n`);
        headerShown = true;
        print(`${[event.type, ...tokenRow(event.object, wide)].join("\t")}\n`);
      }
    }
    // The server ended the stream (a restart, an idle proxy): open it again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
