import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type IssuedAccessToken, type User, VERIFY_CODES, VerifyBody } from "../../src/api/index.js";
import { createUserWithToken, registerResource } from "../support/fixtures.js";
import { fuzzSeed } from "../support/fuzz-seed.js";
import { type RawExchange, type RawRequest, type RawResponse, RawConnection } from "../support/raw-http.js";
import { arbitraryFor, type JsonSchema, plausibleFor } from "../support/schema-arbitrary.js";
import { startTestServer, type TestServer } from "../support/token-server.js";
import { type TokenCase, tokenCase, unissuedToken } from "../support/token-variants.js";

/**
 * Property-based HTTP fuzzing of the token server: every operation of its own OpenAPI
 * document plus the verify and forward-auth endpoints, with bodies from the schemas and
 * garbage, hostile headers, paths and query strings, and tokens that are almost right —
 * sent as raw HTTP/1.1 over one kept-alive connection. Whatever arrives: no 5xx, every
 * 4xx a problem+json saying what was wrong (400/422 naming the fields), no token in a
 * response or a log line, nothing unhandled, and the server still healthy afterwards.
 *
 * Seeded (test/support/fuzz-seed.ts): a failure prints the seed that replays it
 * (TOKENPLANE_FUZZ_SEED picks another base seed).
 */
const SEED = fuzzSeed();
const RUNS = { verify: 3000, authorize: 3000, raw: 2500, management: 2500 };
const PROPERTY_TIMEOUT_MS = 120_000;

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        parameters?: { name: string; in: "path" | "query"; schema: JsonSchema }[];
        requestBody?: { content: { "application/json": { schema: JsonSchema } } };
        security?: unknown[];
      }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
};

interface Operation {
  method: string;
  path: string;
  operationId: string;
  auth: boolean;
  pathParams: { name: string; schema: JsonSchema }[];
  queryParams: { name: string; schema: JsonSchema }[];
  body?: JsonSchema | undefined;
}

/** One generated request and how to send it. */
interface Case {
  /** First word: the kind of request, for the tally of outcomes. */
  label: string;
  request: RawRequest;
  /** A lying Content-Length or the like: sent on a fresh connection that the client then half-closes. */
  halfClose?: boolean;
}

interface Credential {
  headers: [string, string][];
  /** The server issued exactly this credential, as it will read it from the header. */
  real: boolean;
  describe: string;
}

/** A body that prints as a short preview in counterexamples (some are 64 KiB of brackets). */
function shown(bytes: Buffer): Buffer {
  const preview = bytes.subarray(0, 60).toString("utf8");
  return Object.assign(bytes, {
    [fc.toStringMethod]: () =>
      `<${bytes.length} bytes: ${JSON.stringify(preview)}${bytes.length > 60 ? "…" : ""}>`,
  });
}

const percentDecoded = (text: string): string =>
  text.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
/** Header values must not contain CR or LF (that would be another header, not a value). */
const headerSafe = (value: string) => value.replace(/[\r\n]/g, "");
/** What may not appear raw in a request target (whitespace, '?', '#') percent-encoded. */
const rawSafe = (s: string) => s.replace(/[\s?#]/g, (c) => encodeURIComponent(c));
/** Also non-ASCII percent-encoded, for values that should reach the application. */
const urlSafe = (s: string) => s.replace(/[^\x21-\x7e]|[?#]/gu, (c) => encodeURIComponent(c));
/** What the server reads from a header: the UTF-8 bytes as latin1, trimmed. */
const asHeaderValue = (s: string) => Buffer.from(s, "utf8").toString("latin1").trim();

describe("HTTP fuzzing of the token server (property-based, seeded)", () => {
  let srv: TestServer;
  let conn: RawConnection;
  let doc: Doc;
  let operations: Operation[];
  /** Every plain token the server issued to this test: no part may ever appear in a response or log. */
  const issued: string[] = [];
  /** Tokens used for verify and forward auth, never named by id, so they stay live. */
  let holderTokens: string[];
  let limitedToken: string;
  /** Plain tokens the lookup and revoke-by-value operations may be given (and may revoke). */
  let leakedTokens: string[] = [];
  /** Ids the management fuzzing uses: stable ones for reads and edits, victims for deletions. */
  let ids: {
    users: string[];
    tokens: string[];
    victimUsers: string[];
    victimTokens: string[];
    resources: string[];
    victimResources: string[];
  };
  /** The keys inside the server's own cursors (learned from real pages), for forging cursors. */
  let cursorKeys: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  /** How often each kind of request got each status (and verify each code). */
  const outcomes = new Map<string, number>();
  let cases = 0;

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    process.on("uncaughtException", onUnhandled);
    srv = await startTestServer("postgres", { trustProxy: "loopback" });
    conn = new RawConnection(srv.server.port);
    issued.push(srv.adminToken);
    doc = (await srv.anonymous<Doc>("GET", "/openapi.json")).body;
    // Verify and forward auth have their own properties below (bodies, header styles).
    operations = Object.entries(doc.paths)
      .filter(([path]) => path !== "/api/v1/verify" && !path.startsWith("/api/v1/authorize"))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({
          [fc.toStringMethod]: () => op.operationId,
          method: method.toUpperCase(),
          path,
          operationId: op.operationId,
          auth: !Array.isArray(op.security) || op.security.length > 0,
          pathParams: (op.parameters ?? []).filter((p) => p.in === "path"),
          queryParams: (op.parameters ?? []).filter((p) => p.in === "query"),
          body: op.requestBody?.content["application/json"].schema,
        })),
      );

    await registerResource(srv, "orders", [
      { pathPrefix: "/orders" },
      { pathPrefix: "/orders/export", methods: ["GET"] },
    ]);
    await registerResource(srv, "public", [{ pathPrefix: "/public" }]);
    for (const name of ["victim-1", "victim-2", "victim-3"]) await registerResource(srv, name);
    await srv.admin("PUT", "/api/v1/settings/default-permissions", {
      body: { permissions: ["public:read"] },
    });

    const holder = await createUserWithToken(srv, "holder", { name: "plain", type: "full-access" });
    const holderBase = `/api/v1/users/${holder.user.id}/access-tokens`;
    const more = await Promise.all(
      [
        { name: "orders", type: "custom", permissions: ["orders:read", "orders:create"] },
        { name: "credits", credits: { remaining: 1_000_000 } },
        { name: "few-credits", credits: { remaining: 5 } },
        { name: "rate", rateLimit: { limit: 3, window: "1h" } },
        { name: "publishable", kind: "publishable" },
        { name: "ip", allowedIps: ["10.0.0.0/8"] },
        { name: "origin", allowedDomains: ["shop.example.com"] },
        { name: "signed", signedRequests: true },
        { name: "expiring", duration: "1s" },
      ].map(async (body) => (await srv.admin<IssuedAccessToken>("POST", holderBase, { body })).body),
    );
    holderTokens = [holder.token.token, ...more.map((t) => t.token)];

    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    const target = await createUserWithToken(srv, "target", { name: "target-token", type: "full-access" });
    const limited = await createUserWithToken(srv, "limited", { name: "limited", type: "read-only" });
    limitedToken = limited.token.token;
    const victims = await Promise.all(
      ["victim-a", "victim-b", "victim-c"].map((name) => createUserWithToken(srv, name)),
    );
    const own = async (name: string, extra = {}) =>
      (
        await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
          body: { name, ...extra },
        })
      ).body;
    const stable = await Promise.all(["a", "b", "c"].map((n) => own(n, { externalId: `ext-${n}` })));
    const doomed = await Promise.all(["d1", "d2", "d3", "d4", "d5", "d6"].map((n) => own(n)));
    leakedTokens = (await Promise.all(Array.from({ length: 20 }, (_, i) => own(`leaked-${i}`)))).map(
      (t) => t.token,
    );
    issued.push(
      ...holderTokens,
      target.token.token,
      limitedToken,
      ...victims.map((v) => v.token.token),
      ...stable.map((t) => t.token),
      ...doomed.map((t) => t.token),
      ...leakedTokens,
    );
    for (const list of [`/api/v1/users/${me.id}/access-tokens`, "/api/v1/users", "/api/v1/audit-events"]) {
      const page = await srv.admin<{ nextCursor: string | null }>("GET", `${list}?limit=1`);
      cursorKeys.push(
        ...Object.keys(JSON.parse(Buffer.from(page.body.nextCursor ?? "", "base64url").toString()) as object),
      );
    }
    cursorKeys = [...new Set(cursorKeys)];
    ids = {
      users: [me.id, me.id, me.id, target.user.id, limited.user.id, "00000000-0000-0000-0000-000000000000"],
      tokens: [...stable.map((t) => t.id), target.token.id],
      victimUsers: [...victims.map((v) => v.user.id), me.id],
      victimTokens: [...doomed.map((t) => t.id), target.token.id],
      resources: ["orders", "public", "tokens", "ghost"],
      victimResources: ["victim-1", "victim-2", "victim-3", "orders", "tokens", "ghost"],
    };
  });

  afterAll(async () => {
    conn?.close();
    process.off("unhandledRejection", onUnhandled);
    process.off("uncaughtException", onUnhandled);
    await srv?.close();
  });

  // ---------------------------------------------------------------------------------------
  // What every exchange must satisfy.

  const tally = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);

  /** 12-character pieces of every issued token after its display prefix: none may leak. */
  let fragmentsOf: { count: number; list: string[] } = { count: -1, list: [] };
  const fragments = (): string[] => {
    if (fragmentsOf.count !== issued.length) {
      const list = issued.flatMap((token) =>
        Array.from({ length: Math.floor((token.length - 8) / 12) }, (_, i) =>
          token.slice(8 + i * 12, 20 + i * 12),
        ),
      );
      fragmentsOf = { count: issued.length, list };
    }
    return fragmentsOf.list;
  };
  const leaked = (text: string): string | undefined => {
    const decoded = percentDecoded(text);
    return fragments().find((f) => text.includes(f) || decoded.includes(f));
  };

  // Plain checks first, `expect` only to report: thousands of cases make assertions the main cost.
  function checkResponse(r: RawResponse, c: Case, why: string): void {
    if (r.status >= 500) expect.fail(`${r.status} to ${why}\n${r.text.slice(0, 500)}`);
    if (r.status >= 400) {
      if (!/^application\/problem\+json/.test(r.headers["content-type"] ?? "")) {
        expect.fail(`${r.status} without problem+json (${JSON.stringify(r.headers)}) to ${why}`);
      }
      if (c.request.method !== "HEAD" && !r.truncated) {
        const problem = JSON.parse(r.text) as {
          type?: unknown;
          title?: unknown;
          status?: unknown;
          detail?: unknown;
          errors?: { field?: unknown; message?: unknown }[];
        };
        const text = (v: unknown) => typeof v === "string" && /\S/.test(v);
        const wellFormed =
          problem.status === r.status &&
          typeof problem.type === "string" &&
          problem.type.startsWith("https://tokenplane.dev/problems/") &&
          text(problem.title) &&
          // Every rejection says what was wrong: a detail, and for bad input the fields.
          (text(problem.detail) || Array.isArray(problem.errors)) &&
          (r.status !== 400 && r.status !== 422
            ? true
            : Array.isArray(problem.errors) &&
              problem.errors.length > 0 &&
              problem.errors.every((e) => text(e.field) && text(e.message)));
        if (!wellFormed) expect.fail(`a problem that does not say what was wrong: ${r.text} to ${why}`);
      }
    }
    // No part of an issued token in a response (raw or percent-decoded, body or headers);
    // create and regenerate answer with a new token, which is none of these.
    const fragment = leaked(`${r.text}\n${JSON.stringify(r.headers)}`);
    if (fragment) expect.fail(`token fragment ${fragment} in the response to ${why}`);
  }

  async function run(c: Case): Promise<RawExchange> {
    const exchange = await conn.exchange(c.request, c.halfClose ? { halfClose: true, fresh: true } : {});
    cases++;
    const kind = c.label.split(" ")[0] ?? "";
    const why = `${c.label}\n${c.request.method} ${c.request.target.slice(0, 300)}`;
    if (exchange.responses.length === 0) {
      // Closing without an answer is acceptable only where the client broke the framing.
      expect(c.halfClose, `no response: ${why}`).toBe(true);
      tally(`${kind} closed`);
    }
    for (const r of exchange.responses) {
      tally(`${kind} ${r.status}`);
      checkResponse(r, c, why);
    }
    return exchange;
  }

  // ---------------------------------------------------------------------------------------
  // Building blocks.

  const contentType = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "application/merge-patch+json",
        "APPLICATION/JSON",
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=utf-16",
        "application/json; charset=latin1",
        "application/jsonx",
        "*/*",
      ),
    },
  );

  /** Bodies that are not what any schema asks for, deep nesting and oversize included. */
  const garbageBody: fc.Arbitrary<Buffer> = fc
    .oneof(
      { weight: 3, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? "null")) },
      { weight: 2, arbitrary: fc.string({ maxLength: 200, unit: "grapheme" }).map((s) => Buffer.from(s)) },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 1, max: 30_000 })
          .map((n) => Buffer.from(`${"[".repeat(n)}${"]".repeat(n)}`)),
      },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 1, max: 20_000 })
          .map((n) => Buffer.from(`{"name":"deep","metadata":{"a":${"[".repeat(n)}${"]".repeat(n)}}}`)),
      },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 1, max: 10_000 })
          .map((n) => Buffer.from(`${'{"a":'.repeat(n)}1${"}".repeat(n)}`)),
      },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom("", "{", "{}", "[]", "null", "0", '"x"', '{"name": \u0000}', "\ufeff{}", "{'a':1}")
          .map((s) => Buffer.from(s)),
      },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 64 * 1024 - 16, max: 70 * 1024 })
          .map((n) => Buffer.from(`{"name":"${"x".repeat(n)}"}`)),
      },
      {
        weight: 1,
        arbitrary: fc.constant(
          Buffer.from('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"name":"p"}'),
        ),
      },
    )
    .map(shown);

  /** A valid-ish object with one field's value replaced, one removed, or an unknown one added. */
  const mutated = (base: fc.Arbitrary<unknown>) =>
    fc
      .tuple(base, fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 12 }))
      .map(([b, pick, value, key]) => {
        if (b === null || typeof b !== "object" || Array.isArray(b)) return value;
        const obj = { ...(b as Record<string, unknown>) };
        const keys = Object.keys(obj);
        const k = keys[pick % Math.max(1, keys.length)];
        if (pick % 3 === 0 && k !== undefined) obj[k] = value;
        else if (pick % 3 === 1 && k !== undefined) delete obj[k];
        else obj[key || "surprise"] = value;
        return obj;
      });

  const future = fc
    .date({
      min: new Date(Date.now() + 86_400_000),
      max: new Date("2100-01-01T00:00:00Z"),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString());
  /** Realistic values for fields by name, so valid-ish bodies get past the refinements. */
  const hints = (): Record<string, fc.Arbitrary<unknown>> => ({
    token: fc.constantFrom(...leakedTokens),
    name: fc.oneof(
      fc.string({ minLength: 1, maxLength: 20, unit: "grapheme" }).filter((s) => s.trim() !== ""),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/),
    ),
    description: fc.string({ maxLength: 40, unit: "grapheme" }),
    permissions: fc.uniqueArray(
      fc.constantFrom("orders:read", "orders:*", "public:read", "*:read", "tokens:*", "*:*", "audit:read"),
      { maxLength: 3 },
    ),
    allowedIps: fc.uniqueArray(
      fc.oneof(
        fc.ipV4(),
        fc.ipV6(),
        fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, bits]) => `${ip}/${bits}`),
      ),
      { maxLength: 3 },
    ),
    allowedDomains: fc.uniqueArray(
      fc.oneof(
        fc.domain(),
        fc.domain().map((d) => `*.${d}`),
      ),
      { maxLength: 3 },
    ),
    duration: fc.constantFrom("7d", "30d", "90d", "unlimited", "12h", "1h30m"),
    expiresAt: future,
    gracePeriod: fc.constantFrom("1h", "10m", "1d"),
    credits: fc.record(
      {
        remaining: fc.nat({ max: 1_000_000 }),
        refill: fc.record({
          amount: fc.integer({ min: 1, max: 1000 }),
          interval: fc.constantFrom("daily", "weekly", "monthly"),
        }),
      },
      { requiredKeys: ["remaining"] },
    ),
    rateLimit: fc.record({
      limit: fc.integer({ min: 1, max: 1000 }),
      window: fc.constantFrom("1s", "1m", "1h", "1d"),
    }),
    metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    externalId: fc.oneof(fc.constantFrom("ext-a", "ext-b"), fc.string({ minLength: 1, maxLength: 10 })),
    routes: fc.uniqueArray(
      fc.record(
        {
          pathPrefix: fc.constantFrom("/a", "/b/c", "/orders/x", "/"),
          methods: fc.uniqueArray(fc.constantFrom("GET", "POST", "DELETE")),
        },
        { requiredKeys: ["pathPrefix"] },
      ),
      { maxLength: 2, selector: (r) => r.pathPrefix },
    ),
  });

  const bodyFor = (schema: JsonSchema): fc.Arbitrary<{ bytes: Buffer | undefined; kind: string }> => {
    const options = { components: doc.components.schemas, hints: hints() };
    const valid = arbitraryFor(schema, options);
    const asBody = (kind: string) => (v: unknown) => ({
      bytes: shown(Buffer.from(JSON.stringify(v) ?? "null")),
      kind,
    });
    return fc.oneof(
      { weight: 4, arbitrary: plausibleFor(schema, options).map(asBody("plausible")) },
      { weight: 3, arbitrary: valid.map(asBody("valid-ish")) },
      {
        weight: 2,
        arbitrary: mutated(valid).map((v) => ({
          bytes: shown(Buffer.from(JSON.stringify(v) ?? "null")),
          kind: "mutated",
        })),
      },
      { weight: 1, arbitrary: garbageBody.map((bytes) => ({ bytes, kind: "garbage" })) },
      { weight: 1, arbitrary: fc.constant({ bytes: undefined, kind: "none" }) },
    );
  };

  /** A path segment that is not what the route expects. */
  const badSegment = fc.oneof(
    fc.string({ minLength: 1, maxLength: 40, unit: "grapheme" }),
    fc.constantFrom("%ZZ", "%", "%00", "%2e%2e", "..", ".", "%2F", "%C0%AF", "%ED%A0%80", "a%00b", "%u0041"),
    fc.integer({ min: 100, max: 9000 }).map((n) => "a".repeat(n)),
    fc.uuid().map((u) => u.toUpperCase()),
    unissuedToken,
  );

  const paramValue = (op: Operation, name: string, schema: JsonSchema): fc.Arbitrary<string> => {
    // Deletions get their own victims, so reads and edits keep finding real things.
    const deleting = op.method === "DELETE";
    const pool =
      name === "userId"
        ? deleting && op.pathParams.length === 1
          ? ids.victimUsers
          : ids.users
        : name === "tokenId"
          ? deleting
            ? ids.victimTokens
            : ids.tokens
          : name === "name"
            ? deleting
              ? ids.victimResources
              : ids.resources
            : [];
    const own = arbitraryFor(schema, { components: doc.components.schemas }).map((v) =>
      encodeURIComponent(String(v)),
    );
    return fc.oneof(
      ...(pool.length ? [{ weight: 8, arbitrary: fc.constantFrom(...pool) }] : []),
      { weight: 1, arbitrary: own },
      { weight: 1, arbitrary: badSegment.map(rawSafe) },
    );
  };

  /** Forged cursors: the server's own keys with values of every kind, and junk. */
  const cursorArbitrary = () =>
    fc.oneof(
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      {
        weight: 3,
        arbitrary: fc
          .tuple(
            fc.constantFrom(...cursorKeys, "x"),
            fc.oneof(
              fc.stringMatching(/^[0-9]{1,19}$/),
              fc.constantFrom("9999999999999999999", "9223372036854775808", "9223372036854775807", "0", "-1"),
              fc.bigInt({ min: 2n ** 63n, max: 10n ** 19n - 1n }).map(String),
              fc.string({ maxLength: 10 }),
            ),
          )
          .map(([k, v]) => Buffer.from(JSON.stringify({ [k]: v })).toString("base64url")),
      },
    );

  const queryFor = (op: Operation, cursor: fc.Arbitrary<string>): fc.Arbitrary<string> => {
    const params = op.queryParams.map((p) =>
      fc.oneof(
        { weight: p.name === "cursor" ? 1 : 3, arbitrary: fc.constant(undefined) },
        {
          weight: 1,
          arbitrary: fc
            .oneof(
              {
                weight: 5,
                arbitrary:
                  p.name === "cursor"
                    ? cursor
                    : arbitraryFor(p.schema, { components: doc.components.schemas }).map(String),
              },
              fc.string({ maxLength: 20, unit: "grapheme" }),
              fc.constantFrom("%00", "%ZZ", "", "a".repeat(600), "-1", "1e309"),
            )
            .map((v) => `${p.name}=${rawSafe(v.includes("%") ? v : encodeURIComponent(v))}`),
        },
      ),
    );
    const extra = fc.oneof(
      { weight: 5, arbitrary: fc.constant(undefined) },
      fc.constantFrom(
        "surprise=1",
        "limit=1&limit=2",
        "a[b]=c",
        "%ZZ=1",
        "=",
        "&&",
        "subscribe",
        "__proto__=x",
      ),
      fc
        .tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
    );
    return fc.tuple(fc.tuple(...params), extra).map(([parts, more]) => {
      const all = [...parts, more].filter((p): p is string => p !== undefined);
      return all.length ? `?${all.join("&")}` : "";
    });
  };

  /** Credential headers in every accepted style, then some the server must not accept. */
  const credentialStyles: ((token: string) => [string, string][])[] = [
    (t) => [["Authorization", `Bearer ${t}`]],
    (t) => [["authorization", `bearer ${t}`]],
    (t) => [["Authorization", `Bearer   ${t}  `]],
    (t) => [["Private-Token", t]],
    (t) => [["X-API-Key", t]],
    (t) => [
      ["Authorization", `Bearer ${t}`],
      ["Authorization", "Bearer tps_other"],
    ],
    (t) => [["Authorization", `Basic ${t}`]],
    (t) => [["Authorization", t]],
    (t) => [
      ["X-API-Key", "tps_other"],
      ["Private-Token", t],
    ],
  ];
  const ACCEPTED_STYLES = 6;
  const anyStyle = fc.nat({ max: credentialStyles.length - 1 });

  /** Who a management request claims to be: mostly the admin, sometimes a near-miss or nobody. */
  const credentialArbitrary = (): fc.Arbitrary<Credential> =>
    fc
      .tuple(
        fc.oneof(
          { weight: 8, arbitrary: fc.constant<TokenCase | "admin" | "limited" | "none">("admin") },
          { weight: 1, arbitrary: fc.constant<"limited">("limited") },
          { weight: 2, arbitrary: tokenCase(issued) },
          { weight: 1, arbitrary: fc.constant<"none">("none") },
        ),
        fc.nat({ max: ACCEPTED_STYLES - 1 }),
        anyStyle,
      )
      .map(([who, accepted, any]): Credential => {
        if (who === "none") return { headers: [], real: false, describe: "no credential" };
        const known = typeof who === "string";
        const token =
          who === "admin" ? srv.adminToken : who === "limited" ? limitedToken : headerSafe(who.token);
        return {
          headers: credentialStyles[known ? accepted : any]!(token),
          real: issued.includes(asHeaderValue(token)),
          describe: known ? who : JSON.stringify(token.slice(0, 60)),
        };
      });

  /** A token as someone might mistype or cut it, still starting with its prefix. */
  const typoKeepingPrefix = (real: string): fc.Arbitrary<string> =>
    fc.oneof(
      fc.integer({ min: 16, max: real.length - 1 }).map((k) => real.slice(0, k)),
      fc.string({ minLength: 1, maxLength: 4 }).map((x) => real + x),
      fc
        .tuple(fc.integer({ min: 4, max: real.length - 1 }), fc.constantFrom("x", "0", "\uff21", "-", "%"))
        .map(([i, c]) => real.slice(0, i) + c + real.slice(i + 1)),
      fc.constant(encodeURIComponent(real).replace(/_/g, "%5F")),
      // A stray delimiter inside, raw or encoded: the rest must not escape redaction.
      fc
        .tuple(
          fc.integer({ min: 5, max: real.length - 1 }),
          fc.constantFrom("&", "/", "=", ";", "%26", "%2F", "%20", "%0A"),
        )
        .map(([i, c]) => real.slice(0, i) + c + real.slice(i)),
    );

  // ---------------------------------------------------------------------------------------
  // Properties. Verify and forward auth run first, while every holder token is as issued.

  it(
    `POST /api/v1/verify: ${RUNS.verify} bodies of tokens, permissions, origins, IPs, costs and signatures`,
    async () => {
      // The fast-path endpoints are not in /openapi.json: their schema comes from the contract.
      const schema = z.toJSONSchema(VerifyBody, { io: "input", unrepresentable: "any" }) as JsonSchema & {
        $defs?: Record<string, JsonSchema>;
      };
      const tokens = tokenCase(holderTokens);
      const options = {
        components: schema.$defs ?? {},
        hints: {
          permission: fc.constantFrom(
            "orders:read",
            "orders:delete",
            "public:read",
            "*:*",
            "orders:*",
            "ghost:read",
          ),
          origin: fc.oneof(fc.webUrl(), fc.constantFrom("https://shop.example.com", "null", "")),
          ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom("10.1.2.3", "::ffff:10.0.0.1")),
          cost: fc.nat({ max: 3 }),
        },
      };
      const withToken = (fields: fc.Arbitrary<unknown>) =>
        fc
          .tuple(tokens, fields)
          .map(([t, rest]) => ({ token: t, json: { ...(rest as object), token: t.token } }));
      const body = fc.oneof(
        { weight: 4, arbitrary: withToken(plausibleFor(schema, options, 3)) },
        { weight: 2, arbitrary: withToken(arbitraryFor(schema, options)) },
        {
          weight: 2,
          arbitrary: fc.tuple(tokens, fc.jsonValue({ maxDepth: 2 })).map(([t, junk]) => ({
            token: t,
            json: { token: t.token, permission: junk },
          })),
        },
        { weight: 1, arbitrary: tokens.map((t) => ({ token: t, json: t.token })) },
      );
      const method = fc.oneof(
        { weight: 12, arbitrary: fc.constant("POST") },
        { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "HEAD", "OPTIONS") },
      );
      await fc.assert(
        fc.asyncProperty(
          body,
          contentType,
          fc.boolean(),
          method,
          async ({ token, json }, type, chunked, m) => {
            const bytes = Buffer.from(JSON.stringify(json));
            const request: RawRequest = {
              method: m,
              target: "/api/v1/verify",
              headers: [
                ["Host", "fuzz"],
                ["Content-Type", type],
                chunked ? ["Transfer-Encoding", "chunked"] : ["Content-Length", String(bytes.length)],
              ],
              body: chunked
                ? Buffer.concat([
                    Buffer.from(`${bytes.length.toString(16)}\r\n`),
                    bytes,
                    Buffer.from("\r\n0\r\n\r\n"),
                  ])
                : bytes,
            };
            const { responses } = await run({
              label: `verify ${JSON.stringify(json).slice(0, 200)}`,
              request,
            });
            const [r] = responses;
            if (r?.status === 200 && m === "POST") {
              const answer = JSON.parse(r.text) as { valid: boolean; code: string };
              tally(`verify ${answer.code}`);
              expect(VERIFY_CODES).toContain(answer.code);
              expect(answer.valid).toBe(answer.code === "VALID");
              // Only a token the server issued ever verifies.
              if (!token.real) expect(answer.code, token.token).not.toBe("VALID");
            }
          },
        ),
        { numRuns: RUNS.verify, seed: SEED },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    `forward auth (nginx, Traefik, Envoy): ${RUNS.authorize} requests with odd methods, URIs, credentials and bodies`,
    async () => {
      const uri = fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(
            "/orders",
            "/orders/1",
            "/orders/export/2024",
            "/public/x",
            "/admin",
            "/",
          ),
        },
        { weight: 2, arbitrary: fc.webPath() },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom("/orders", "/public", ""), badSegment.map(rawSafe))
            .map(([a, b]) => `${a}/${b}`),
        },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            "",
            "*",
            "/public/../orders/1",
            "/public/%2e%2e/orders",
            "/public/%2E%2E%2Forders",
            "//orders",
            "/orders%00/x",
            "/orders\\..\\admin",
            "/%ZZ",
            "/orders?token=x#frag",
            "https://shop.example.com/orders/1",
            "http://[::1]:99999/orders",
          ),
        },
        {
          weight: 1,
          arbitrary: fc.integer({ min: 1000, max: 12_000 }).map((n) => `/orders/${"a".repeat(n)}`),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 30, unit: "grapheme" }) },
      );
      const method = fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS") },
        { weight: 1, arbitrary: fc.constantFrom("get", "TRACE", "CONNECT", "PROPFIND", "", "G E T") },
        { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
      );
      const extraHeaders = fc.constantFrom<[string, string][]>(
        [["Origin", "https://shop.example.com"]],
        [["Referer", "https://evil.example/x"]],
        [["X-Forwarded-For", "10.1.2.3, 1.2.3.4"]],
        [["X-Forwarded-For", "garbage"]],
        [
          ["Signature", "sig=:AAAA:"],
          ["Signature-Input", "sig=();created=1"],
          ["Content-Digest", "sha-256=:x:"],
        ],
      );
      const forwardedBody = fc.oneof(
        { weight: 4, arbitrary: garbageBody },
        {
          weight: 1,
          arbitrary: fc
            .integer({ min: 1 << 20, max: (1 << 20) + 4096 })
            .map((n) => shown(Buffer.alloc(n, 97))),
        },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("traefik", "nginx", "nginx-url", "envoy", "none"),
          // The proxy's own endpoint, or the plain one that reads whichever proxy's headers.
          fc.boolean(),
          method,
          uri,
          fc.option(fc.tuple(tokenCase(holderTokens), anyStyle), { nil: undefined, freq: 5 }),
          fc.option(extraHeaders, { nil: undefined }),
          fc.option(forwardedBody, { nil: undefined, freq: 4 }),
          async (how, dedicated, originalMethod, originalUri, carried, extra, body) => {
            const value = headerSafe(originalUri);
            const m = headerSafe(originalMethod);
            const headers: [string, string][] = [["Host", "fuzz"]];
            const endpoint = {
              traefik: "/traefik",
              nginx: "/nginx",
              "nginx-url": "/ingress-nginx",
              envoy: "/envoy",
              none: "/nginx",
            };
            let target = `/api/v1/authorize${dedicated ? endpoint[how] : ""}`;
            let method = "GET";
            if (how === "traefik") {
              headers.push(
                ["X-Forwarded-Method", m],
                ["X-Forwarded-Uri", value],
                ["X-Forwarded-Host", "shop.example.com"],
                ["X-Forwarded-Proto", "https"],
              );
            } else if (how === "nginx") {
              headers.push(["X-Original-Method", m], ["X-Original-URI", value]);
            } else if (how === "nginx-url") {
              headers.push(
                ["X-Original-Method", m],
                ["X-Original-URL", `https://shop.example.com${value.startsWith("/") ? "" : "/"}${value}`],
              );
            } else if (how === "envoy") {
              target = `${target}${rawSafe(value.startsWith("/") ? value : `/${value}`)}`;
              method = /^[A-Z]{1,10}$/.test(m) && m !== "CONNECT" ? m : "GET";
            }
            const token = carried ? headerSafe(carried[0].token) : undefined;
            if (carried && token !== undefined) headers.push(...credentialStyles[carried[1]]!(token));
            headers.push(...(extra ?? []));
            if (body)
              headers.push(
                ["Content-Length", String(body.length)],
                ["Content-Type", "application/octet-stream"],
              );
            const { responses } = await run({
              label: `authorize ${how} ${m} ${value.slice(0, 100)}`,
              request: { method, target, headers, body },
            });
            const [r] = responses;
            // Forward auth never lets an unissued credential through as a token.
            const real = token !== undefined && holderTokens.includes(asHeaderValue(token));
            if (r?.status === 200 && token !== undefined && !real)
              expect(r.headers["x-token-id"]).toBeUndefined();
          },
        ),
        { numRuns: RUNS.authorize, seed: SEED + 1 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    `any path: ${RUNS.raw} raw requests with hostile headers, paths, query strings and lying Content-Lengths`,
    async () => {
      const routePaths = Object.keys(doc.paths);
      const filled = (p: string) =>
        p.replace(
          /\{(\w+)\}/g,
          (_, n: string) =>
            (n === "userId" ? ids.users[0] : n === "tokenId" ? ids.tokens[0] : "orders") ?? "x",
        );
      const path = fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(...routePaths, "/api/v1/verify", "/api/v1/authorize").map(filled),
        },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.constantFrom(...routePaths), badSegment.map(rawSafe))
            .map(([p, seg]) => filled(p.replace(/\{\w+\}/, seg))),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(
              fc.constantFrom("/api/v1/", "/", "/api/v1/users/"),
              fc.oneof(badSegment, fc.webSegment()).map(rawSafe),
            )
            .map(([a, b]) => a + b),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            "*",
            "/api/v1/verify/../users",
            "/api//v1/users",
            "/API/V1/USERS",
            "/api/v1/users/",
            "/%2e%2e/api/v1/user",
            "http://other.example/api/v1/user",
            "/api/v1/user;x=1",
            "/api/v1/user%3Fa=b",
          ),
        },
        // Issued tokens, and mistyped or truncated ones, where no token belongs.
        {
          weight: 2,
          arbitrary: fc
            .tuple(
              fc.oneof(
                fc.constantFrom(...issued),
                fc.oneof(...issued.filter((t) => t.startsWith("tp")).map(typoKeepingPrefix)),
                unissuedToken,
              ),
              fc.constantFrom(
                "/api/v1/nothing/",
                "/api/v1/user?token=",
                "/api/v1/users/",
                "/api/v1/user?a=1&access_token=",
              ),
            )
            .map(([t, p]) => p + urlSafe(t)),
        },
        {
          weight: 1,
          arbitrary: fc.integer({ min: 2000, max: 20_000 }).map((n) => `/api/v1/users?name=${"n".repeat(n)}`),
        },
      );
      const query = fc.oneof(
        { weight: 4, arbitrary: fc.constant("") },
        fc.webQueryParameters().map((q) => (q ? `?${q}` : "")),
        fc.string({ maxLength: 40, unit: "grapheme" }).map((q) => `?${rawSafe(q)}`),
        fc.constantFrom(
          "?limit=0",
          "?limit=abc",
          "?cursor=%00",
          "?subscribe=maybe",
          "?name=%00",
          "?actor=%ED%A0%80",
          "?%",
          "?a=%E0%A4%A",
        ),
      );
      const method = fc.oneof(
        {
          weight: 12,
          arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"),
        },
        { weight: 1, arbitrary: fc.constantFrom("TRACE", "CONNECT", "FOO", "get", "PRI", "M-SEARCH") },
      );
      const headerName = fc.oneof(
        {
          weight: 6,
          arbitrary: fc.constantFrom(
            "Content-Type",
            "Content-Encoding",
            "Expect",
            "Connection",
            "Upgrade",
            "X-Request-Id",
            "X-Forwarded-For",
            "Accept",
            "Accept-Encoding",
            "Origin",
            "Cookie",
            "Authorization",
            "Private-Token",
            "X-API-Key",
            "Host",
            "If-None-Match",
            "Range",
            "Content-Length",
            "Transfer-Encoding",
          ),
        },
        { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,30}$/) },
        { weight: 1, arbitrary: fc.constantFrom("Bad Header", "X:Y", "\u00e9t\u00e9", "") },
      );
      const headerValue = fc.oneof(
        { weight: 4, arbitrary: fc.stringMatching(/^[\x21-\x7e]{0,40}$/) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30, unit: "grapheme" }) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            "100-continue",
            "gzip",
            "deflate, br",
            "chunked",
            "identity",
            "close",
            "keep-alive",
            "websocket",
            "application/json",
            "-1",
            "1e3",
            "bytes=0-1",
            "*",
            "\u0000",
            "\t",
            "",
          ),
        },
      );
      const huge = fc.oneof(
        { weight: 12, arbitrary: fc.constant<[string, string][]>([]) },
        {
          weight: 1,
          arbitrary: fc
            .integer({ min: 8000, max: 40_000 })
            .map((n): [string, string][] => [["X-Huge", "v".repeat(n)]]),
        },
        {
          weight: 1,
          arbitrary: fc
            .integer({ min: 100, max: 300 })
            .map((n) =>
              Array.from({ length: n }, (_, i): [string, string] => [`X-Filler-${i}`, "y".repeat(90)]),
            ),
        },
      );
      const framing = fc.oneof(
        { weight: 8, arbitrary: fc.constant("honest") },
        {
          weight: 1,
          arbitrary: fc.constantFrom("short", "long", "both", "duplicate", "chunked-bad", "chunked"),
        },
      );
      await fc.assert(
        fc.asyncProperty(
          method,
          path,
          query,
          fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }),
          huge,
          credentialArbitrary(),
          fc.option(garbageBody, { nil: undefined }),
          framing,
          async (m, p, q, hs, big, cred, body, how) => {
            const target = p + (p.includes("?") ? q.replace(/^\?/, "&") : q);
            const list: [string, string][] = [["Host", "fuzz"]];
            for (const [name, value] of hs) list.push([headerSafe(name), headerSafe(value)]);
            list.push(...big, ...cred.headers);
            let bytes = body;
            const n = bytes?.length ?? 0;
            // Anything that breaks the framing runs on its own connection, which the client half-closes.
            let halfClose = how !== "honest" && how !== "chunked";
            if (how === "short" && n > 1) list.push(["Content-Length", String(n - 1)]);
            else if (how === "long") list.push(["Content-Length", String(n + 10)]);
            else if (how === "both")
              list.push(["Content-Length", String(n)], ["Transfer-Encoding", "chunked"]);
            else if (how === "duplicate")
              list.push(["Content-Length", String(n)], ["Content-Length", String(n + 1)]);
            else if (how === "chunked-bad") {
              list.push(["Transfer-Encoding", "chunked"]);
              bytes = Buffer.from(`zz\r\n${bytes?.toString("latin1") ?? ""}\r\n0\r\n\r\n`, "latin1");
            } else if (how === "chunked" && bytes) {
              list.push(["Transfer-Encoding", "chunked"]);
              const chunk = n > 0 ? [Buffer.from(`${n.toString(16)}\r\n`), bytes, Buffer.from("\r\n")] : [];
              bytes = Buffer.concat([...chunk, Buffer.from("0\r\n\r\n")]);
            } else if (bytes) list.push(["Content-Length", String(n)]);
            // Headers that change framing or the connection may cut the exchange short too.
            if (
              hs.some(([name]) =>
                /^(content-length|transfer-encoding|expect|connection|upgrade)$/i.test(name),
              )
            )
              halfClose = true;
            if (m === "CONNECT" || m === "PRI") halfClose = true;
            await run({
              label: `raw ${how} ${JSON.stringify(hs).slice(0, 300)}`,
              request: { method: m, target, headers: list, body: bytes },
              halfClose,
            });
          },
        ),
        { numRuns: RUNS.raw, seed: SEED + 2 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    `every operation of /openapi.json: ${RUNS.management} requests with schema-made and broken bodies, parameters and credentials`,
    async () => {
      // Built once per operation: building arbitraries (regexes, schemas) per case is the slow part.
      const cursor = cursorArbitrary();
      const credential = credentialArbitrary();
      const opCase = fc.oneof(
        ...operations.map((op) =>
          fc.record({
            op: fc.constant(op),
            params: fc.tuple(...op.pathParams.map((p) => paramValue(op, p.name, p.schema))),
            query: queryFor(op, cursor),
            body: op.body
              ? bodyFor(op.body)
              : fc.oneof(
                  { weight: 8, arbitrary: fc.constant({ bytes: undefined, kind: "none" }) },
                  { weight: 1, arbitrary: garbageBody.map((bytes) => ({ bytes, kind: "garbage" })) },
                ),
            type: contentType,
            cred: credential,
          }),
        ),
      );
      await fc.assert(
        fc.asyncProperty(opCase, async ({ op, params, query, body, type, cred }) => {
          let i = 0;
          const path = op.path.replace(/\{\w+\}/g, () => params[i++] ?? "x");
          const headers: [string, string][] = [["Host", "fuzz"], ...cred.headers];
          if (body.bytes) headers.push(["Content-Type", type], ["Content-Length", String(body.bytes.length)]);
          const { responses } = await run({
            label: `${op.operationId} ${body.kind} ${body.bytes?.subarray(0, 300).toString() ?? ""}`,
            request: { method: op.method, target: path + query, headers, body: body.bytes },
          });
          const [r] = responses;
          // A credential the server did not issue never gets anything done.
          if (r && op.auth && !cred.real)
            expect(r.status, `${op.operationId} with ${cred.describe}`).toBeGreaterThanOrEqual(400);
        }),
        { numRuns: RUNS.management, seed: SEED + 3 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it("reached every operation and outcome, stayed healthy, left nothing unhandled and no token in its logs", async () => {
    expect(cases).toBeGreaterThanOrEqual(RUNS.verify + RUNS.authorize + RUNS.raw + RUNS.management);
    const table = [...outcomes]
      .sort()
      .map(([k, n]) => `${k}: ${n}`)
      .join("\n");
    // The fuzzing got past validation everywhere: each operation succeeded at least once...
    for (const op of operations) {
      const succeeded = [...outcomes.keys()].some((k) => k.startsWith(`${op.operationId} 2`));
      expect(succeeded, `${op.operationId} never succeeded\n${table}`).toBe(true);
    }
    // ...verification gave every verdict, and forward auth every answer.
    for (const code of VERIFY_CODES) expect(outcomes.has(`verify ${code}`), `${code}\n${table}`).toBe(true);
    for (const status of [200, 400, 401, 403, 429]) {
      expect(outcomes.has(`authorize ${status}`), `authorize ${status}\n${table}`).toBe(true);
    }

    expect(unhandled).toEqual([]);
    const health = await conn.exchange({ method: "GET", target: "/healthz", headers: [["Host", "fuzz"]] });
    expect(health.responses[0]?.status).toBe(200);
    const ready = await conn.exchange({ method: "GET", target: "/readyz", headers: [["Host", "fuzz"]] });
    expect(ready.responses[0]?.status).toBe(200);

    expect(srv.logs.text).not.toMatch(/unhandled|uncaught/i);
    const errors = srv.logs.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
    expect(errors, errors.slice(0, 3).join("\n")).toEqual([]);
    expect(
      srv.logs.lines.find((l) => leaked(l) !== undefined),
      "a token fragment in the logs",
    ).toBeUndefined();
  });
});
