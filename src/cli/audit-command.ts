import { type Command, InvalidArgumentError } from "commander";
import type { AuditEvent } from "../api/index.js";
import { type ApiFlags, apiFor, apiLeaf, show } from "./api-command.js";
import { relativeTime, renderTable } from "./output.js";

/* `tokenplane audit list`: management actions, newest first. */

const limit = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new InvalidArgumentError("must be a number from 1 to 10000");
  return n;
};

const actorOf = (e: AuditEvent) =>
  e.actor.displayPrefix ? `${e.actor.userId ?? "-"} (${e.actor.displayPrefix}…)` : (e.actor.userId ?? "-");

const auditTable = (events: readonly AuditEvent[], wide: boolean) =>
  renderTable(
    ["WHEN", "ACTION", "TARGET", "ACTOR", ...(wide ? ["AT", "DETAILS"] : [])],
    events.map((e) => [
      relativeTime(e.at),
      e.action,
      `${e.target.type}${e.target.id ? `/${e.target.id}` : ""}`,
      actorOf(e),
      ...(wide ? [e.at, Object.keys(e.details).length > 0 ? JSON.stringify(e.details) : "-"] : []),
    ]),
  );

export function registerAuditCommand(program: Command): void {
  const audit = program.command("audit").description("the audit log of management actions");
  apiLeaf(audit, "list", "list audit events, newest first", ["table", "wide", "json", "yaml"])
    .alias("ls")
    .option("--actor <userId>", "only actions by this user")
    .option("--token-id <id>", "only events about this token")
    .option("--limit <n>", "at most this many events", limit, 50)
    .action(async (flags: ApiFlags & { actor?: string; tokenId?: string; limit: number }) => {
      const events = await apiFor(flags).listAuditEvents({
        limit: flags.limit,
        ...(flags.actor ? { actor: flags.actor } : {}),
        ...(flags.tokenId ? { tokenId: flags.tokenId } : {}),
      });
      show(events, flags.output, () => auditTable(events, flags.output === "wide"));
    });
}
