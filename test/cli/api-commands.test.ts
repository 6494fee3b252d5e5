import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AccessToken,
  AuditEvent,
  DefaultPermissions,
  IssuedAccessToken,
  Resource,
  User,
  VerifyResult,
} from "../../src/api/index.js";
import { inspectToken } from "../../src/core/index.js";
import { registerResource } from "../support/fixtures.js";
import { startTestServer, type TestServer } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";
import { type BuiltCli, buildCli, type CliResult } from "./cli-process.js";

/*
 * The people-facing commands as a person runs them: the CLI as its own process against a
 * listening server, on PGlite and on PostgreSQL. Every JSON output is parsed with the API's
 * schemas; every plain token the server issued is looked for in everything else printed.
 */

const execFileAsync = promisify(execFile);

const json = <S extends z.ZodType>(schema: S, result: CliResult): z.output<S> => {
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return schema.parse(JSON.parse(result.stdout));
};

let built: BuiltCli;
beforeAll(async () => {
  built = await buildCli();
});
afterAll(() => built?.remove());

/*
 * The CLI talks HTTP only, so the store behind the server changes nothing it does: every
 * command runs against PGlite, and the token lifecycle again against PostgreSQL.
 */
describe("tokenplane CLI against a server on PGlite", { timeout: 120_000 }, () => {
  const store = "pglite";
  let srv: TestServer;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  /** Everything printed by commands other than create/regenerate. */
  const printed: string[] = [];
  const issued: string[] = [];
  const run = async (args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const result = await built.run(args, {
      env: { ...env, ...opts.env },
      ...(opts.stdin ? { stdin: opts.stdin } : {}),
    });
    printed.push(result.stdout, result.stderr);
    return result;
  };
  /** For create/regenerate: remembered as issued, not as printed elsewhere. */
  const issue = async (args: string[]) => {
    const result = await built.run(args, { env });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    return result;
  };

  beforeAll(async () => {
    srv = await startTestServer(store);
    await registerResource(srv, "articles");
    dir = mkdtempSync(join(tmpdir(), "tokenplane-cli-api-"));
    env = { XDG_CONFIG_HOME: join(dir, "config") };
  });
  afterAll(async () => {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs in with --token-stdin: a context in a 0600 file (0700 directory) that lists without its token", async () => {
    const bad = await run(["login", "--server", srv.url, "--token-stdin"], {
      stdin: "tps_not-a-real-token\n",
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^tokenplane: .*HTTP 401/m);

    const login = await run(["login", "--server", srv.url, "--token-stdin", "--context", "local"], {
      stdin: `${srv.adminToken}\n`,
    });
    expect(login.status).toBe(0);
    expect(login.stderr).toContain('context "local" saved');
    const file = join(dir, "config", "tokenplane", "config.yaml");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "config", "tokenplane")).mode & 0o777).toBe(0o700);

    const contexts = json(
      z.array(z.strictObject({ name: z.string(), server: z.string(), current: z.boolean() })),
      await run(["context", "list", "-o", "json"]),
    );
    expect(contexts).toEqual([{ name: "local", server: srv.url, current: true }]);
    expect((await run(["context", "current"])).stdout).toBe("local\n");
    const use = await run(["context", "use", "nowhere"]);
    expect(use.status).toBe(1);
    expect(use.stderr).toContain('no context named "nowhere"');
  });

  it("manages resources, users and settings, answering JSON in the API's schemas", async () => {
    const created = json(
      Resource,
      await run([
        "resources",
        "create",
        "orders",
        "--route",
        "/orders=GET,POST",
        "--description",
        "the orders API",
        "-o",
        "json",
      ]),
    );
    expect(created).toMatchObject({
      name: "orders",
      routes: [{ pathPrefix: "/orders", methods: ["GET", "POST"] }],
    });
    const resources = json(z.array(Resource), await run(["resources", "list", "-o", "json"]));
    expect(resources.map((r) => r.name)).toEqual(expect.arrayContaining(["orders", "articles", "tokens"]));
    const table = await run(["resources", "list"]);
    expect(table.stdout).toMatch(/^NAME\s+BUILT-IN\s+ROUTES/);
    expect(table.stdout).toMatch(
      /^orders\s+no\s+\/orders=GET\|POST\s+the orders API\s+(just now|\d+ seconds? ago)$/m,
    );

    const user = json(User, await run(["users", "create", "storefront-team", "-o", "json"]));
    expect(user).toMatchObject({ name: "storefront-team", admin: false });
    expect(json(User, await run(["users", "get", "storefront-team", "-o", "json"])).id).toBe(user.id);
    expect(json(User, await run(["users", "get", "me", "-o", "json"])).admin).toBe(true);
    const users = json(z.array(User), await run(["users", "list", "-o", "json"]));
    expect(users.map((u) => u.name)).toContain("storefront-team");

    const set = json(
      DefaultPermissions,
      await run(["settings", "set", "default-permissions", "articles:read", "-o", "json"]),
    );
    expect(set.permissions).toEqual(["articles:read"]);
    expect((await run(["settings", "get", "default-permissions"])).stdout).toBe("articles:read\n");
    const unknown = await run(["settings", "get", "colour"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('SETTING: unknown setting "colour"');

    const missing = await run(["resources", "delete", "nope", "--yes"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^tokenplane: .*\(HTTP 404\)$/m);
  });

  it("creates, lists, changes, regenerates and revokes tokens; the plain token only where asked", async () => {
    const plain = (await issue(["tokens", "create", "ci", "--duration", "1d", "-o", "token"])).stdout;
    expect(plain).toMatch(/^tps_[0-9A-Za-z]+\n$/);
    const token = plain.trim();
    issued.push(token);
    expect(inspectToken(token)).toEqual({ ok: true, kind: "secret" });

    const full = IssuedAccessToken.parse(
      JSON.parse(
        (
          await issue([
            "token",
            "create",
            "storefront",
            "--type",
            "custom",
            "-p",
            "orders:read,articles:read",
            "--duration",
            "30d",
            "--domain",
            "shop.example.com",
            "--ip",
            "10.0.0.0/8",
            "--credits",
            "100",
            "--refill",
            "100/monthly",
            "--rate-limit",
            "10/1m",
            "--metadata",
            "team=shop",
            "--metadata",
            "tier=3",
            "--description",
            "the storefront",
            "--user",
            "storefront-team",
            "-o",
            "json",
          ])
        ).stdout,
      ),
    );
    issued.push(full.token);
    expect(full).toMatchObject({
      name: "storefront",
      type: "custom",
      permissions: ["orders:read", "articles:read"],
      allowedDomains: ["shop.example.com"],
      allowedIps: ["10.0.0.0/8"],
      credits: { remaining: 100, refill: { amount: 100, interval: "monthly" } },
      rateLimit: { limit: 10, window: "1m" },
      metadata: { team: "shop", tier: 3 },
      description: "the storefront",
    });

    const human = await issue(["tokens", "create", "widget", "--publishable", "--signed-requests"]);
    expect(human.stdout).toContain("Token (shown only this once; store it now):");
    expect(human.stdout).toContain("-----BEGIN PRIVATE KEY-----");
    const widget = /\n {2}(tpp_[0-9A-Za-z]+)\n/.exec(human.stdout)?.[1];
    expect(widget).toBeDefined();
    issued.push(widget as string);

    const mine = json(z.array(AccessToken), await run(["tokens", "list", "-o", "json"]));
    expect(mine.map((t) => t.name)).toEqual(expect.arrayContaining(["ci", "widget"]));
    const theirs = json(
      z.array(AccessToken),
      await run(["tokens", "ls", "--user", "storefront-team", "-o", "json"]),
    );
    expect(theirs.map((t) => t.id)).toEqual([full.id]);
    const table = await run(["tokens", "list", "--user", "storefront-team"]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+TYPE\s+PREFIX\s+EXPIRES\s+LAST USED\s+CREATED$/m);
    expect(table.stdout).toMatch(
      new RegExp(
        `^${full.id}\\s+storefront\\s+custom\\s+tps_\\w{4}…\\s+in 30 days\\s+never\\s+(just now|\\d+ seconds? ago)$`,
        "m",
      ),
    );
    const wide = await run(["tokens", "list", "-u", "storefront-team", "-o", "wide"]);
    expect(wide.stdout).toContain("orders:read,articles:read");
    expect(wide.stdout).toContain("100 (+100 monthly)");

    const byName = json(
      AccessToken,
      await run(["tokens", "get", "storefront", "-u", "storefront-team", "-o", "json"]),
    );
    expect(byName.id).toBe(full.id);
    const yaml = await run(["tokens", "get", full.id, "-u", "storefront-team", "-o", "yaml"]);
    expect(yaml.stdout).toContain(`id: ${full.id}`);

    const updated = json(
      AccessToken,
      await run([
        "tokens",
        "update",
        "storefront",
        "-u",
        "storefront-team",
        "-p",
        "orders:read",
        "-p",
        "orders:create",
        "--clear-credits",
        "--name",
        "shopfront",
        "-o",
        "json",
      ]),
    );
    expect(updated).toMatchObject({
      name: "shopfront",
      permissions: ["orders:read", "orders:create"],
      credits: null,
    });

    const again = (
      await issue(["tokens", "regenerate", "ci", "--grace-period", "1h", "-o", "token"])
    ).stdout.trim();
    issued.push(again);
    expect(again).not.toBe(token);
    const verified = await run(["verify", "-", "-p", "articles:read", "-o", "json"], { stdin: again });
    expect(json(VerifyResult, verified)).toMatchObject({ valid: true, code: "VALID", name: "ci" });
    const forbidden = await run(["verify", "-", "-p", "orders:create"], { stdin: again });
    expect(forbidden.status).toBe(1);
    expect(forbidden.stdout).toMatch(/^Valid:\s+no$/m);
    expect(forbidden.stdout).toMatch(/^Code:\s+FORBIDDEN$/m);

    const refused = await run(["tokens", "delete", "ci"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("--yes: required to confirm");
    const revoked = await run(["tokens", "revoke", "ci", "--yes"]);
    expect(revoked.status).toBe(0);
    const gone = await run(["verify", "-", "-o", "json"], { stdin: again });
    expect(gone.status).toBe(1);
    expect(VerifyResult.parse(JSON.parse(gone.stdout)).code).toBe("NOT_FOUND");
    const missing = await run(["tokens", "get", "ci"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('TOKEN: no token named "ci"');

    const audit = json(
      z.array(AuditEvent),
      await run(["audit", "list", "--token-id", full.id, "--limit", "5", "-o", "json"]),
    );
    expect(audit.map((e) => e.action).sort()).toEqual(["token.create", "token.update"]);
    const auditTable = await run(["audit", "list", "--limit", "2"]);
    expect(auditTable.stdout).toMatch(/^WHEN\s+ACTION\s+TARGET\s+ACTOR$/m);
    expect(auditTable.stdout.trim().split("\n")).toHaveLength(3);
  });

  it("follows a user's tokens with --watch, as NDJSON with -o json", async () => {
    const watch = built.start(["tokens", "list", "--watch", "-u", "storefront-team", "-o", "json"], env);
    try {
      const events = () =>
        watch.out.stdout
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => z.object({ type: z.string(), object: AccessToken }).parse(JSON.parse(l)));
      await waitFor(() => events().some((e) => e.object.name === "shopfront"), {
        timeoutMs: 60_000,
        what: "the current state",
      });
      const created = await issue(["tokens", "create", "watched", "-u", "storefront-team", "-o", "json"]);
      issued.push(IssuedAccessToken.parse(JSON.parse(created.stdout)).token);
      await waitFor(() => events().some((e) => e.type === "ADDED" && e.object.name === "watched"), {
        timeoutMs: 60_000,
        what: "the new token's event",
      });
      printed.push(watch.out.stdout, watch.out.stderr);
    } finally {
      await watch.stop();
    }
  });

  it("refuses bad input with the field's name: exit 2 for the command line, 1 for the server's refusal", async () => {
    const [
      badPermission,
      unknownResource,
      badCredits,
      badRefill,
      unknownCommand,
      badOutput,
      noChange,
      lostKey,
    ] = await Promise.all([
      run(["tokens", "create", "x", "--type", "custom", "-p", "orders"]),
      run(["tokens", "create", "x", "--type", "custom", "-p", "ghost:read"]),
      run(["tokens", "create", "x", "--credits", "lots"]),
      run(["tokens", "create", "x", "--refill", "10/monthly"]),
      run(["tokens", "frobnicate"]),
      run(["tokens", "list", "-o", "token"]),
      run(["tokens", "update", "shopfront", "-u", "storefront-team"]),
      run(["tokens", "create", "x", "--signed-requests", "-o", "token"]),
    ]);
    expect(badPermission.status).toBe(2);
    expect(badPermission.stderr).toContain("tokenplane: --permission[0]: must be resource:action");
    expect(unknownResource.status).toBe(1);
    expect(unknownResource.stderr).toMatch(
      /^tokenplane: .*--permission\[0\]: unknown resource "ghost".*\(HTTP 422\)$/m,
    );
    expect(badCredits.status).toBe(2);
    expect(badCredits.stderr).toContain("'--credits <n>' argument 'lots' is invalid. must be a whole number");
    expect(badRefill.status).toBe(2);
    expect(badRefill.stderr).toContain("--refill: needs --credits");
    expect(unknownCommand.status).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'frobnicate'");
    expect(badOutput.status).toBe(2);
    expect(badOutput.stderr).toContain("argument 'token' is invalid");
    expect(noChange.status).toBe(2);
    expect(noChange.stderr).toContain("nothing to change");
    expect(lostKey.status).toBe(2);
    expect(lostKey.stderr).toContain("-o token: would drop the private key issued with --signed-requests");
  });

  it("takes TOKENPLANE_SERVER and TOKENPLANE_TOKEN over the config file, and explains a missing or broken one", async () => {
    const empty = join(dir, "empty");
    const none = await run(["tokens", "list"], { env: { XDG_CONFIG_HOME: empty } });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("no server configured: run `tokenplane login --server URL`");
    const fromEnv = await run(["users", "list", "-o", "json"], {
      env: { XDG_CONFIG_HOME: empty, TOKENPLANE_SERVER: srv.url, TOKENPLANE_TOKEN: srv.adminToken },
    });
    expect(json(z.array(User), fromEnv).length).toBeGreaterThan(0);
    const wrongToken = await run(["users", "list"], { env: { TOKENPLANE_TOKEN: "tps_wrong" } });
    expect(wrongToken.status).toBe(1);
    expect(wrongToken.stderr).toContain("HTTP 401");

    const broken = join(dir, "broken");
    mkdirSync(join(broken, "tokenplane"), { recursive: true });
    writeFileSync(
      join(broken, "tokenplane", "config.yaml"),
      "contexts:\n  - name: x\n    server: ftp://x\n    token: t\n",
    );
    const invalid = await run(["tokens", "list"], { env: { XDG_CONFIG_HOME: broken } });
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain(
      `config file ${join(broken, "tokenplane", "config.yaml")} is invalid: contexts[0].server`,
    );
    writeFileSync(join(broken, "tokenplane", "config.yaml"), "contexts: [\n");
    const notYaml = await run(["tokens", "list"], { env: { XDG_CONFIG_HOME: broken } });
    expect(notYaml.status).toBe(1);
    expect(notYaml.stderr).toContain("is not valid YAML");

    const unreachable = await run(["users", "list"], {
      env: { TOKENPLANE_SERVER: "http://127.0.0.1:1", TOKENPLANE_TOKEN: srv.adminToken },
    });
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toContain("cannot reach the server (127.0.0.1:1): connection refused");
  });

  it("colours tables only on a terminal, and never with NO_COLOR", async () => {
    // `script` (util-linux) runs the command on a pseudo-terminal.
    const inTerminal = async (extra: NodeJS.ProcessEnv) => {
      const { stdout } = await execFileAsync(
        "script",
        ["-qec", `"${process.execPath}" "${built.entry}" users list`, "/dev/null"],
        { env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: "xterm", ...env, ...extra } },
      );
      return stdout;
    };
    const [coloured, plain] = await Promise.all([inTerminal({}), inTerminal({ NO_COLOR: "1" })]);
    expect(coloured).toContain("\x1b[1mID\x1b[22m");
    expect(plain).toMatch(/^ID\s+NAME\s+ADMIN\s+CREATED\s*$/m);
    expect(plain).not.toContain("\x1b[");
  });

  it("never printed a plain token except from create and regenerate, nor colour without a terminal", () => {
    expect(issued.length).toBeGreaterThanOrEqual(5);
    const everything = printed.join("\n");
    for (const token of [...issued, srv.adminToken]) expect(everything).not.toContain(token);
    expect(everything).not.toContain("\x1b[");
  });
});

describe("tokenplane CLI against a server on PostgreSQL", { timeout: 120_000 }, () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer("postgres");
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("creates, lists, regenerates and revokes a token with TOKENPLANE_SERVER and TOKENPLANE_TOKEN", async () => {
    const env = {
      TOKENPLANE_SERVER: srv.url,
      TOKENPLANE_TOKEN: srv.adminToken,
      XDG_CONFIG_HOME: "/nonexistent",
    };
    const created = await built.run(["tokens", "create", "pg", "--duration", "7d", "-o", "token"], { env });
    expect(created.status).toBe(0);
    const token = created.stdout.trim();
    expect(inspectToken(token)).toEqual({ ok: true, kind: "secret" });
    const listed = await built.run(["tokens", "list", "-o", "json"], { env });
    expect(json(z.array(AccessToken), listed).map((t) => t.name)).toContain("pg");
    const regenerated = await built.run(["tokens", "regenerate", "pg", "-o", "json"], { env });
    const again = json(IssuedAccessToken, regenerated);
    expect(again.token).not.toBe(token);
    const [revoked, verified] = await Promise.all([
      built.run(["tokens", "delete", again.id, "--yes"], { env }),
      built.run(["verify", "-", "-o", "json"], { env, stdin: token }),
    ]);
    expect(revoked.status).toBe(0);
    expect(VerifyResult.parse(JSON.parse(verified.stdout)).code).toBe("NOT_FOUND");
    for (const out of [listed.stdout, listed.stderr, revoked.stderr, verified.stdout])
      for (const t of [token, again.token, srv.adminToken]) expect(out).not.toContain(t);
  });
});
