import type { AccessToken } from "../api/index.js";
import { ApiError, managementApi } from "../client/index.js";
import { MANAGED_BY_LABEL } from "../crd/index.js";
import { EMBEDDED_SERVER_NAME } from "../crd/index.js";
import {
  type AccessTokenObject,
  AccessTokenObject as AccessTokenSchema,
  accessTokensPath,
  EventList,
  eventsPath,
  SecretObject,
  secretPath,
  serverPath,
  TokenServerObject,
} from "./access-token-object.js";
import { resolveConnection } from "./connection.js";
import { CliFailure, failureOf } from "./failures.js";
import { type KubeFlags, kubeAccess } from "./kube-access.js";
import {
  colour,
  list,
  type OutputFormat,
  print,
  relativeTime,
  renderData,
  renderFields,
  renderTable,
} from "./output.js";

/*
 * `tokenplane status`: everything about one AccessToken in one place, like `cmctl status
 * certificate` — its conditions, the token's id, expiry and renewal, the Secret (its keys,
 * never its values), recent Events, and the token as the server sees it.
 */

export interface StatusFlags extends KubeFlags {
  output: OutputFormat;
  server?: string;
  events: number;
}

interface SecretSummary {
  name: string;
  exists: boolean;
  type?: string;
  keys: string[];
  managed: boolean;
  ownedByThisAccessToken: boolean;
}

interface ServerView {
  url?: string;
  token?: AccessToken;
  problem?: string;
}

interface StatusReport {
  namespace: string;
  name: string;
  serverRef: { kind: string; name: string; url?: string; ready?: string };
  status: NonNullable<AccessTokenObject["status"]>;
  secret: SecretSummary;
  events: { type?: string; reason?: string; message?: string; count?: number; lastSeen?: string }[];
  server: ServerView;
}

type Kube = Awaited<ReturnType<typeof kubeAccess>>["client"];

async function secretSummary(client: Kube, at: AccessTokenObject, namespace: string): Promise<SecretSummary> {
  const name = at.status?.secretName ?? at.spec.secretTemplate?.name ?? at.metadata.name;
  const raw = await client.get(secretPath(namespace, name)).catch((err: unknown) => {
    // Reading Secrets is often not allowed; the rest of the report still helps.
    if (err instanceof Error && "status" in err && err.status === 403) return undefined;
    throw err;
  });
  if (!raw) return { name, exists: false, keys: [], managed: false, ownedByThisAccessToken: false };
  const secret = SecretObject.parse(raw);
  return {
    name,
    exists: true,
    ...(secret.type ? { type: secret.type } : {}),
    keys: Object.keys(secret.data ?? {}).sort(),
    managed: secret.metadata.labels?.[MANAGED_BY_LABEL] === "tokenplane",
    ownedByThisAccessToken:
      secret.metadata.ownerReferences?.some((r) => r.kind === "AccessToken" && r.uid === at.metadata.uid) ??
      false,
  };
}

async function recentEvents(client: Kube, namespace: string, name: string, max: number) {
  const list = EventList.parse(
    await client.request("GET", eventsPath(namespace), {
      query: { fieldSelector: `involvedObject.kind=AccessToken,involvedObject.name=${name}` },
    }),
  );
  return list.items
    .map((e) => ({
      ...(e.type ? { type: e.type } : {}),
      ...(e.reason ? { reason: e.reason } : {}),
      ...(e.message ? { message: e.message } : {}),
      ...(e.count !== undefined ? { count: e.count } : {}),
      lastSeen: e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? undefined,
    }))
    .sort((a, b) => Date.parse(a.lastSeen ?? "") - Date.parse(b.lastSeen ?? ""))
    .slice(-max);
}

/**
 * The token as the server sees it, through the CLI's own context (TOKENPLANE_SERVER and
 * TOKENPLANE_TOKEN or `tokenplane login`): the operator's users are named
 * `k8s:<cluster>:<namespace>`, so the token is looked for among the namespace's users.
 */
async function serverView(
  flags: StatusFlags,
  namespace: string,
  tokenId: string | undefined,
): Promise<ServerView> {
  if (!tokenId) return { problem: "no token issued yet" };
  let conn;
  try {
    conn = resolveConnection({ ...(flags.server ? { server: flags.server } : {}) });
  } catch (err) {
    return { problem: `not checked: ${failureOf(err).message ?? "no server configured"}` };
  }
  const api = managementApi(conn);
  try {
    const users = (await api.listUsers()).filter(
      (u) => u.name.startsWith("k8s:") && u.name.endsWith(`:${namespace}`),
    );
    for (const user of users) {
      try {
        return { url: conn.url, token: await api.getToken(user.id, tokenId) };
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
    }
    return { url: conn.url, problem: `token ${tokenId} is not on this server (revoked, or another server)` };
  } catch (err) {
    return { url: conn.url, problem: failureOf(err).message ?? "unknown failure" };
  }
}

async function gather(flags: StatusFlags, name: string): Promise<StatusReport> {
  const { client, namespace } = await kubeAccess(flags);
  try {
    const raw = await client.get(accessTokensPath(namespace, name));
    if (!raw) throw new CliFailure(`AccessToken ${namespace}/${name} not found`);
    const at = AccessTokenSchema.parse(raw);
    const ref = at.spec.serverRef ?? { kind: "ClusterTokenServer", name: EMBEDDED_SERVER_NAME };
    const serverRaw = await client.get(serverPath(ref, namespace)).catch(() => undefined);
    const server = serverRaw ? TokenServerObject.safeParse(serverRaw).data : undefined;
    const ready = server?.status?.conditions?.find((c) => c.type === "Ready");
    const [secret, events, view] = await Promise.all([
      secretSummary(client, at, namespace),
      recentEvents(client, namespace, name, flags.events),
      serverView(flags, namespace, at.status?.tokenId),
    ]);
    return {
      namespace,
      name,
      serverRef: {
        ...ref,
        ...(server?.spec.url ? { url: server.spec.url } : {}),
        ...(ready ? { ready: ready.status } : {}),
      },
      status: at.status ?? {},
      secret,
      events,
      server: view,
    };
  } finally {
    client.close();
  }
}

const when = (iso: string | undefined, absent: string) => (iso ? `${iso} (${relativeTime(iso)})` : absent);

function conditionLine(c: { status: string; reason?: string; message?: string }): string {
  const status =
    c.status === "True" ? colour.green(c.status) : c.status === "False" ? colour.red(c.status) : c.status;
  return `${status}${c.reason ? ` (${c.reason})` : ""}${c.message ? ` ${c.message}` : ""}`;
}

function human(r: StatusReport): string {
  const s = r.status;
  const secret = r.secret.exists
    ? `${r.secret.name} (keys: ${list(r.secret.keys)}${r.secret.managed ? "" : "; not managed by tokenplane"}${
        r.secret.ownedByThisAccessToken ? "" : "; not owned by this AccessToken"
      })`
    : `${r.secret.name} (${colour.red("missing or not readable")})`;
  const out = [
    renderFields([
      ["Name", `${r.namespace}/${r.name}`],
      ...(s.conditions ?? []).map((c) => [c.type, conditionLine(c)] as [string, string]),
      ["Token ID", s.tokenId ?? "-"],
      ["Revision", s.revision !== undefined ? `${s.revision} (last: ${s.lastRotationReason ?? "-"})` : "-"],
      ["Issued", when(s.issuedAt, "-")],
      ["Expires", when(s.expiresAt, "never")],
      ["Renews", when(s.renewalTime, "not scheduled")],
      ["Secret", secret],
      [
        "Token server",
        `${r.serverRef.kind}/${r.serverRef.name}${r.serverRef.url ? ` ${r.serverRef.url}` : ""}${
          r.serverRef.ready ? ` (Ready=${r.serverRef.ready})` : ""
        }`,
      ],
    ]),
  ];
  out.push(`\n${colour.bold("Events:")}\n`);
  out.push(
    r.events.length === 0
      ? "  none\n"
      : renderTable(
          ["LAST SEEN", "TYPE", "REASON", "MESSAGE"],
          r.events.map((e) => [relativeTime(e.lastSeen), e.type ?? "-", e.reason ?? "-", e.message ?? ""]),
        )
          .split("\n")
          .map((l) => (l ? `  ${l}` : l))
          .join("\n"),
  );
  out.push(`\n${colour.bold(`On the server${r.server.url ? ` (${r.server.url})` : ""}:`)}\n`);
  const t = r.server.token;
  out.push(
    t
      ? renderFields(
          [
            ["Name", t.name],
            ["Type", `${t.type} (${list(t.permissions)})`],
            ["Prefix", `${t.displayPrefix}…`],
            ["Expires", when(t.expiresAt ?? undefined, "never")],
            ["Last used", when(t.lastUsedAt ?? undefined, "never")],
            ["Revision", String(t.revision)],
          ],
          "  ",
        )
      : `  ${r.server.problem ?? "-"}\n`,
  );
  return out.join("");
}

export async function status(name: string, flags: StatusFlags): Promise<void> {
  const report = await gather(flags, name);
  print(
    flags.output === "json" || flags.output === "yaml" ? renderData(report, flags.output) : human(report),
  );
}
