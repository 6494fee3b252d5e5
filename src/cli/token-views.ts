import type { AccessToken, IssuedAccessToken } from "../api/index.js";
import { colour, list, relativeTime, renderFields, renderTable } from "./output.js";

/* How tokens look in tables and on their own. Never the plain token: see `issuedView`. */

function expiry(t: AccessToken): string {
  if (!t.expiresAt) return "never";
  const text = relativeTime(t.expiresAt);
  return Date.parse(t.expiresAt) <= Date.now() ? colour.red(`expired ${text}`) : text;
}

const credits = (t: AccessToken): string =>
  t.credits
    ? `${t.credits.remaining}${t.credits.refill ? ` (+${t.credits.refill.amount} ${t.credits.refill.interval})` : ""}`
    : "-";
const rateLimit = (t: AccessToken): string =>
  t.rateLimit ? `${t.rateLimit.limit}/${t.rateLimit.window}` : "-";

export function tokenRow(t: AccessToken, wide: boolean): string[] {
  const row = [
    t.id,
    t.name,
    t.type,
    `${t.displayPrefix}…`,
    expiry(t),
    relativeTime(t.lastUsedAt, "never"),
    relativeTime(t.createdAt),
  ];
  if (!wide) return row;
  return [
    ...row,
    t.kind,
    list(t.permissions),
    list(t.allowedDomains),
    list(t.allowedIps),
    credits(t),
    rateLimit(t),
  ];
}

export const TOKEN_HEAD = ["ID", "NAME", "TYPE", "PREFIX", "EXPIRES", "LAST USED", "CREATED"];
export const TOKEN_WIDE_HEAD = [
  ...TOKEN_HEAD,
  "KIND",
  "PERMISSIONS",
  "DOMAINS",
  "IPS",
  "CREDITS",
  "RATE LIMIT",
];

export function tokenTable(tokens: readonly AccessToken[], wide: boolean): string {
  return renderTable(
    wide ? TOKEN_WIDE_HEAD : TOKEN_HEAD,
    tokens.map((t) => tokenRow(t, wide)),
  );
}

export function tokenDetails(t: AccessToken): string {
  const at = (iso: string | null, absent: string) => (iso ? `${iso} (${relativeTime(iso)})` : absent);
  return renderFields([
    ["ID", t.id],
    ["Name", t.name],
    ["Description", t.description || "-"],
    ["User", t.userId],
    ["Kind", t.kind],
    ["Type", t.type],
    ["Permissions", list(t.permissions)],
    ["Prefix", `${t.displayPrefix}…`],
    ["Expires", at(t.expiresAt, "never")],
    ["Allowed domains", list(t.allowedDomains, "any")],
    ["Allowed IPs", list(t.allowedIps, "any")],
    ["Credits", credits(t)],
    ["Rate limit", rateLimit(t)],
    ["Signed requests", t.signedRequests ? "required" : "no"],
    ["Metadata", Object.keys(t.metadata).length > 0 ? JSON.stringify(t.metadata) : "-"],
    ["External ID", t.externalId ?? "-"],
    ["Created", at(t.createdAt, "-")],
    ["Updated", at(t.updatedAt, "-")],
    ["Last used", at(t.lastUsedAt, "never")],
    ["Revision", String(t.revision)],
  ]);
}

/** After create/regenerate: the details, then the token (and private key), shown this once. */
export function issuedView(t: IssuedAccessToken, verb: string): string {
  const lines = [
    colour.green(`✓ ${verb} token ${t.name} (${t.id})`),
    "",
    tokenDetails(t).trimEnd(),
    "",
    colour.bold("Token (shown only this once; store it now):"),
    `  ${t.token}`,
  ];
  if (t.privateKey)
    lines.push(
      "",
      colour.bold("Private key for signing requests (shown only this once):"),
      t.privateKey.trimEnd(),
    );
  return `${lines.join("\n")}\n`;
}
