import type { AccessToken as ServerToken, Page } from "../../src/api/index.js";
import { serverUserName } from "../../src/operator/index.js";
import type { OperatorEnv } from "./operator-env.js";
import type { TestServer } from "./token-server.js";

/** Every token of a server user, all pages. */
export async function listTokens(server: TestServer, userId: string): Promise<ServerToken[]> {
  const tokens: ServerToken[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: Page<ServerToken> } = await server.admin<Page<ServerToken>>(
      "GET",
      `/api/v1/users/${userId}/access-tokens?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    if (page.status !== 200) throw new Error(`listing tokens: HTTP ${page.status}`);
    tokens.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return tokens;
}

/** The id of the server user that owns the environment namespace's tokens. */
export async function namespaceUserId(env: OperatorEnv): Promise<string> {
  const kubeSystem = await env.kube.get<{ metadata: { uid: string } }>("/api/v1/namespaces/kube-system");
  const user = await env.server.server
    .api("test")
    .ensureUser(serverUserName(kubeSystem!.metadata.uid, env.namespace));
  return user.id;
}
