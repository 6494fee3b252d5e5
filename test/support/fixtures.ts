import type { AccessToken, IssuedAccessToken, User } from "../../src/api/index.js";
import { client, type Client } from "./http.js";
import type { TestServer } from "./token-server.js";

/** Creates a user with a full-access token of their own; returns a client acting as them. */
export async function createUserWithToken(
  srv: TestServer,
  name: string,
  tokenBody: Record<string, unknown> = { name: `${name}-token`, type: "full-access" },
  admin = false,
): Promise<{ user: User; token: IssuedAccessToken; as: Client }> {
  const created = await srv.admin<User>("POST", "/api/v1/users", { body: { name, admin } });
  if (created.status !== 201) throw new Error(`creating user ${name}: ${created.status} ${created.text}`);
  const user = created.body;
  const issued = await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${user.id}/access-tokens`, {
    body: tokenBody,
  });
  if (issued.status !== 201) throw new Error(`creating a token for ${name}: ${issued.status} ${issued.text}`);
  return { user, token: issued.body, as: client(srv.url, issued.body.token) };
}

export async function registerResource(srv: TestServer, name: string, routes?: unknown[]): Promise<void> {
  const res = await srv.admin("POST", "/api/v1/resources", { body: { name, ...(routes ? { routes } : {}) } });
  if (res.status !== 201) throw new Error(`registering ${name}: ${res.status} ${res.text}`);
}

export type { AccessToken };
