import type { Command } from "commander";
import { colour, relativeTime, renderFields, renderTable } from "./output.js";
import { type ApiFlags, apiFor, apiLeaf, show } from "./api-command.js";
import { resolveUser } from "./selection.js";
import type { User } from "../api/index.js";

/* `tokenplane users list|create|get` (admin). */

const userTable = (users: readonly User[]) =>
  renderTable(
    ["ID", "NAME", "ADMIN", "CREATED"],
    users.map((u) => [u.id, u.name, u.admin ? "yes" : "no", relativeTime(u.createdAt)]),
  );

const userDetails = (u: User) =>
  renderFields([
    ["ID", u.id],
    ["Name", u.name],
    ["Admin", u.admin ? "yes" : "no"],
    ["Created", `${u.createdAt} (${relativeTime(u.createdAt)})`],
  ]);

export function registerUsersCommand(program: Command): void {
  const users = program.command("users").alias("user").description("the users who own tokens (admin)");

  apiLeaf(users, "list", "list users")
    .alias("ls")
    .action(async (flags: ApiFlags) => {
      const items = await apiFor(flags).listUsers();
      show(items, flags.output, () => userTable(items));
    });

  apiLeaf(users, "get", "show a user, by id or name; `me` for the caller")
    .argument("<user>", "user id, name, or me")
    .action(async (ref: string, flags: ApiFlags) => {
      const api = apiFor(flags);
      const user = await resolveUser(api, ref === "me" ? undefined : ref);
      show(user, flags.output, () => userDetails(user));
    });

  apiLeaf(users, "create", "create a user")
    .argument("<name>", "the user's name")
    .option("--admin", "the user may manage other users' tokens and the server")
    .action(async (name: string, flags: ApiFlags & { admin?: boolean }) => {
      const user = await apiFor(flags).createUser({ name, ...(flags.admin ? { admin: true } : {}) });
      if (flags.output === "table") process.stderr.write(colour.green(`✓ Created user ${user.name}\n`));
      show(user, flags.output, () => userDetails(user));
    });
}
