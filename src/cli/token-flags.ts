import { type Command, InvalidArgumentError, Option } from "commander";
import { CreateAccessTokenBody, RegenerateAccessTokenBody, UpdateAccessTokenBody } from "../api/index.js";
import { TOKEN_KINDS, TOKEN_TYPES } from "../core/index.js";
import { checkedBody } from "./checked-body.js";
import { UsageFailure } from "./failures.js";

/*
 * Flags for every field of a token, turned into the API's request bodies and checked with
 * the API's own schemas before anything is sent: a mistake names the flag, exit 2.
 */

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== ""),
];

const wholeNumber = (value: string): number => {
  if (!/^\d{1,10}$/.test(value)) throw new InvalidArgumentError("must be a whole number");
  return Number(value);
};

/** `1000/monthly` */
const refill = (value: string) => {
  const m = /^(\d{1,10})\/(daily|weekly|monthly)$/.exec(value);
  if (!m)
    throw new InvalidArgumentError("must be AMOUNT/INTERVAL, e.g. 1000/monthly (daily, weekly, monthly)");
  return { amount: Number(m[1]), interval: m[2] as "daily" | "weekly" | "monthly" };
};

/** `100/1m` */
const rateLimit = (value: string) => {
  const m = /^(\d{1,10})\/(\S+)$/.exec(value);
  if (!m) throw new InvalidArgumentError("must be LIMIT/WINDOW, e.g. 100/1m");
  return { limit: Number(m[1]), window: m[2] as string };
};

/** `team=shop` (a string) or `tier=3` / `flags=["a"]` (JSON when it parses as JSON). */
const metadataEntry = (value: string, previous: Record<string, unknown> | undefined) => {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError("must be KEY=VALUE");
  const raw = value.slice(eq + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return { ...(previous ?? {}), [value.slice(0, eq)]: parsed };
};

const metadataJson = (value: string): Record<string, unknown> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError("must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError("must be a JSON object");
  return parsed as Record<string, unknown>;
};

/** The settings create and update share. */
function addSettingFlags(command: Command): Command {
  return command
    .option("--description <text>", "what the token is for")
    .addOption(new Option("--type <type>", "token type").choices(TOKEN_TYPES))
    .option(
      "-p, --permission <resource:action>",
      "a permission (repeat or comma-separate; type custom)",
      collect,
    )
    .option("--duration <duration>", "7d, 30d, 90d, unlimited or a duration such as 12h")
    .option("--expires-at <time>", "expiry as an RFC 3339 time instead of --duration")
    .option("--domain <host>", "allowed Origin/Referer host, e.g. *.example.com (repeatable)", collect)
    .option("--ip <cidr>", "allowed client address or CIDR range (repeatable)", collect)
    .option("--credits <n>", "credits the token may spend", wholeNumber)
    .option("--refill <amount/interval>", "refill credits, e.g. 1000/monthly", refill)
    .option("--rate-limit <limit/window>", "requests per window, e.g. 100/1m", rateLimit)
    .option("--metadata <key=value>", "a metadata entry; JSON values are parsed (repeatable)", metadataEntry)
    .option("--metadata-json <object>", "the whole metadata object as JSON", metadataJson)
    .option("--external-id <id>", "your own unique id for the token");
}

export function addCreateFlags(command: Command): Command {
  return addSettingFlags(command)
    .addOption(
      new Option("--kind <kind>", "secret (for servers) or publishable (may be seen)").choices(TOKEN_KINDS),
    )
    .option("--publishable", "same as --kind publishable")
    .option("--signed-requests", "require signed requests: an Ed25519 key pair is issued with the token");
}

export function addUpdateFlags(command: Command): Command {
  return addSettingFlags(command)
    .option("--name <name>", "rename the token")
    .option("--clear-expiry", "remove the expiry")
    .option("--clear-credits", "remove the credit limit")
    .option("--clear-rate-limit", "remove the rate limit")
    .option("--clear-external-id", "remove the external id");
}

export function addRegenerateFlags(command: Command): Command {
  return command
    .option("--grace-period <duration>", "the previous token keeps working this long (at most 30d)")
    .addOption(new Option("--kind <kind>", "switch the kind").choices(TOKEN_KINDS))
    .option("--signed-requests", "turn signed requests on (a new key pair is issued)");
}

export interface SettingFlags {
  description?: string;
  type?: string;
  permission?: string[];
  duration?: string;
  expiresAt?: string;
  domain?: string[];
  ip?: string[];
  credits?: number;
  refill?: { amount: number; interval: "daily" | "weekly" | "monthly" };
  rateLimit?: { limit: number; window: string };
  metadata?: Record<string, unknown>;
  metadataJson?: Record<string, unknown>;
  externalId?: string;
}
export interface CreateFlags extends SettingFlags {
  kind?: string;
  publishable?: boolean;
  signedRequests?: boolean;
}
export interface UpdateFlags extends SettingFlags {
  name?: string;
  clearExpiry?: boolean;
  clearCredits?: boolean;
  clearRateLimit?: boolean;
  clearExternalId?: boolean;
}
export interface RegenerateFlags {
  gracePeriod?: string;
  kind?: string;
  signedRequests?: boolean;
}

/** Which flag sets an API field, for messages. */
export const FLAG_OF: Record<string, string> = {
  name: "NAME",
  description: "--description",
  type: "--type",
  kind: "--kind",
  permissions: "--permission",
  duration: "--duration",
  expiresAt: "--expires-at",
  allowedDomains: "--domain",
  allowedIps: "--ip",
  credits: "--credits (or --refill)",
  rateLimit: "--rate-limit",
  metadata: "--metadata",
  externalId: "--external-id",
  gracePeriod: "--grace-period",
  signedRequests: "--signed-requests",
};

function settings(flags: SettingFlags) {
  if (flags.refill && flags.credits === undefined) throw new UsageFailure("--refill: needs --credits");
  if (flags.metadata && flags.metadataJson)
    throw new UsageFailure("--metadata: use it or --metadata-json, not both");
  if (flags.duration !== undefined && flags.expiresAt !== undefined)
    throw new UsageFailure("--expires-at: use it or --duration, not both");
  const metadata = flags.metadataJson ?? flags.metadata;
  return {
    ...(flags.description !== undefined ? { description: flags.description } : {}),
    ...(flags.type !== undefined ? { type: flags.type } : {}),
    ...(flags.permission !== undefined ? { permissions: flags.permission } : {}),
    ...(flags.duration !== undefined ? { duration: flags.duration } : {}),
    ...(flags.expiresAt !== undefined ? { expiresAt: flags.expiresAt } : {}),
    ...(flags.domain !== undefined ? { allowedDomains: flags.domain } : {}),
    ...(flags.ip !== undefined ? { allowedIps: flags.ip } : {}),
    ...(flags.credits !== undefined
      ? { credits: { remaining: flags.credits, ...(flags.refill ? { refill: flags.refill } : {}) } }
      : {}),
    ...(flags.rateLimit !== undefined ? { rateLimit: flags.rateLimit } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    ...(flags.externalId !== undefined ? { externalId: flags.externalId } : {}),
  };
}

export function createBody(name: string, flags: CreateFlags): CreateAccessTokenBody {
  if (flags.publishable && flags.kind === "secret")
    throw new UsageFailure("--publishable: conflicts with --kind secret");
  const kind = flags.publishable ? "publishable" : flags.kind;
  return checkedBody(
    CreateAccessTokenBody,
    {
      name,
      ...settings(flags),
      ...(kind !== undefined ? { kind } : {}),
      ...(flags.signedRequests ? { signedRequests: true } : {}),
    },
    FLAG_OF,
  );
}

export function updateBody(flags: UpdateFlags): UpdateAccessTokenBody {
  const clash = (clear: boolean | undefined, set: unknown, what: string) => {
    if (clear && set !== undefined) throw new UsageFailure(`--clear-${what}: conflicts with --${what}`);
  };
  clash(flags.clearExpiry, flags.expiresAt ?? flags.duration, "expiry");
  clash(flags.clearCredits, flags.credits, "credits");
  clash(flags.clearRateLimit, flags.rateLimit, "rate-limit");
  clash(flags.clearExternalId, flags.externalId, "external-id");
  const body = {
    ...settings(flags),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.clearExpiry ? { expiresAt: null } : {}),
    ...(flags.clearCredits ? { credits: null } : {}),
    ...(flags.clearRateLimit ? { rateLimit: null } : {}),
    ...(flags.clearExternalId ? { externalId: null } : {}),
  };
  if (Object.keys(body).length === 0) throw new UsageFailure("nothing to change: give at least one flag");
  return checkedBody(UpdateAccessTokenBody, body, FLAG_OF);
}

export function regenerateBody(flags: RegenerateFlags): RegenerateAccessTokenBody {
  return checkedBody(
    RegenerateAccessTokenBody,
    {
      ...(flags.gracePeriod !== undefined ? { gracePeriod: flags.gracePeriod } : {}),
      ...(flags.kind !== undefined ? { kind: flags.kind } : {}),
      ...(flags.signedRequests ? { signedRequests: true } : {}),
    },
    FLAG_OF,
  );
}
