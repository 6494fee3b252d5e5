import type { AccessToken, User } from "../api/index.js";
import type { ManagementApi } from "../client/index.js";
import { CliFailure } from "./failures.js";

/* Users and tokens are named on the command line by id or by name, like `gh` takes both. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isId = (ref: string): boolean => UUID.test(ref);

/** `--user` by id or name; the caller's own user when not given. */
export async function resolveUser(api: ManagementApi, ref: string | undefined): Promise<User> {
  if (ref === undefined) return api.self();
  if (isId(ref)) return api.getUser(ref);
  const [user] = await api.listUsers({ name: ref });
  if (!user) throw new CliFailure(`--user: no user named "${ref}"`);
  return user;
}

/** A token of `userId` by id, else by name (which must then be unambiguous). */
export async function resolveToken(api: ManagementApi, userId: string, ref: string): Promise<AccessToken> {
  if (isId(ref)) return api.getToken(userId, ref);
  const matches = (await api.listTokens(userId)).filter((t) => t.name === ref);
  if (matches.length === 0)
    throw new CliFailure(`TOKEN: no token named "${ref}" (use its id, or --user for another user's)`);
  if (matches.length > 1)
    throw new CliFailure(
      `TOKEN: ${matches.length} tokens are named "${ref}"; use an id: ${matches.map((t) => t.id).join(", ")}`,
    );
  return matches[0] as AccessToken;
}
