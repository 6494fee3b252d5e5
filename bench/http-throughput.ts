import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertNoFailures, compare } from "./load.js";
import { type Proc, startBaseline, startTokenServer } from "./processes.js";
import { atLeast, atMost, ratio, type ScenarioResult } from "./scenario.js";
import { adminUserId, api, createToken } from "./seed.js";

/**
 * Alternating rounds per comparison: the ratios sit near their targets, and on a shared
 * machine three rounds could not tell 0.8 from 0.75.
 */
const ROUNDS = 5;

/**
 * verify and forward auth on the embedded default against a bare node:http server that
 * answers the same bytes, same load generator, same connections, same run.
 */
export async function httpThroughput(seconds: number): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-bench-"));
  const admin = randomBytes(24).toString("hex");
  const server = await startTokenServer({ TOKENPLANE_ADMIN_TOKEN: admin, TOKENPLANE_DATA_DIR: dir });
  try {
    return await hotPath(
      "verify and forward auth (embedded PGlite, 50 connections, median of 5 interleaved runs)",
      { setup: server, target: server, admin, seconds },
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same on a data-plane server (`--role data-plane`, no Express in the process) on
 * PostgreSQL, with the token issued through a full server on the same database.
 */
export async function dataPlaneThroughput(databaseUrl: string, seconds: number): Promise<ScenarioResult> {
  const admin = randomBytes(24).toString("hex");
  const env = {
    DATABASE_URL: databaseUrl,
    TOKENPLANE_ADMIN_TOKEN: admin,
    TOKENPLANE_PEPPER: `1:${randomBytes(32).toString("hex")}`,
  };
  const full = await startTokenServer(env);
  try {
    const dataPlane = await startTokenServer(env, ["--role", "data-plane"]);
    try {
      return await hotPath(
        "verify and forward auth on a data-plane server (PostgreSQL, 50 connections, median of 5 interleaved runs)",
        { setup: full, target: dataPlane, admin, seconds },
      );
    } finally {
      await dataPlane.stop();
    }
  } finally {
    await full.stop();
  }
}

/** Issues a token through `setup`, then loads `target` and a bare baseline with verify and forward auth. */
async function hotPath(
  name: string,
  { setup, target: server, admin, seconds }: { setup: Proc; target: Proc; admin: string; seconds: number },
): Promise<ScenarioResult> {
  const me = await adminUserId(setup.url, admin);
  await api(setup.url, admin, "POST", "/api/v1/resources", {
    name: "orders",
    routes: [{ pathPrefix: "/orders" }],
  });
  // The spec's case: a valid token, a permission check, a rate limit, no credits.
  const t = await createToken(setup.url, admin, me, {
    name: "bench",
    type: "custom",
    permissions: ["orders:read"],
    rateLimit: { limit: 1_000_000, window: "1s" },
  });
  const body = JSON.stringify({ token: t.token, permission: "orders:read" });
  const sample = await fetch(`${server.url}/api/v1/verify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const answer = await sample.text();
  if (!answer.includes('"VALID"')) throw new Error(`the bench token does not verify: ${answer}`);

  const forward = {
    authorization: `Bearer ${t.token}`,
    "x-original-method": "GET",
    "x-original-uri": "/orders/42",
  };
  // The baseline answers GET with the headers forward auth sends (identity, RateLimit-*),
  // as it answers POST with verify's JSON: same bytes on the wire, bare node:http behind them.
  const allowed = await fetch(`${server.url}/api/v1/authorize`, { headers: forward });
  if (allowed.status !== 200) throw new Error(`the bench token is not authorized: ${allowed.status}`);
  const forwardHeaders = [...allowed.headers].filter(
    ([k]) => k.startsWith("x-token-") || k.startsWith("ratelimit-"),
  );

  const baseline = await startBaseline(answer, Object.fromEntries(forwardHeaders));
  try {
    // The same two sample requests the target answered: V8 tunes each process to the requests
    // it has seen, so both start the measured runs with the same history.
    await (
      await fetch(`${baseline.url}/api/v1/verify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      })
    ).text();
    await (await fetch(`${baseline.url}/api/v1/authorize`, { headers: forward })).text();
    const post = {
      method: "POST" as const,
      headers: { "content-type": "application/json" },
      body,
      seconds,
    };
    const { baseline: basePost, target: verify } = await compare(
      { ...post, url: `${baseline.url}/api/v1/verify`, pid: baseline.pid },
      { ...post, url: `${server.url}/api/v1/verify`, pid: server.pid },
      ROUNDS,
    );
    const { baseline: baseGet, target: authorize } = await compare(
      { url: `${baseline.url}/api/v1/authorize`, headers: forward, seconds, pid: baseline.pid },
      { url: `${server.url}/api/v1/authorize`, headers: forward, seconds, pid: server.pid },
      ROUNDS,
    );
    // The per-proxy endpoint the README's nginx configuration uses.
    const { baseline: baseNginx, target: nginx } = await compare(
      { url: `${baseline.url}/api/v1/authorize/nginx`, headers: forward, seconds, pid: baseline.pid },
      { url: `${server.url}/api/v1/authorize/nginx`, headers: forward, seconds, pid: server.pid },
      ROUNDS,
    );
    assertNoFailures({ verify, authorize, "authorize/nginx": nginx });
    const verifyRatio = ratio(verify.rps, basePost.rps);
    const p99Ratio = ratio(Math.max(verify.p99, 0.01), Math.max(basePost.p99, 0.01));
    const authorizeRatio = ratio(authorize.rps, baseGet.rps);
    const nginxRatio = ratio(nginx.rps, baseNginx.rps);
    // CPU per request, the server's and the baseline's (each on a CPU of its own): the
    // steadier reading of the same comparison, reported beside the throughput targets.
    const cpu = (r: { cpuUsPerRequest?: number }) => Math.round((r.cpuUsPerRequest ?? 0) * 10) / 10;
    // The kernel's share (socket reads, writes and loopback TCP): the same bytes in both, yet
    // it grows as a server slows and the load generator sleeps more often between answers.
    const kernel = (r: { kernelUsPerRequest?: number }) => Math.round((r.kernelUsPerRequest ?? 0) * 10) / 10;
    return {
      name,
      metrics: {
        "baseline POST req/s": Math.round(basePost.rps),
        "verify req/s": Math.round(verify.rps),
        "baseline POST p99 ms": basePost.p99,
        "verify p99 ms": verify.p99,
        "baseline GET req/s": Math.round(baseGet.rps),
        "authorize req/s": Math.round(authorize.rps),
        "verify / baseline": verifyRatio,
        "verify p99 / baseline p99": p99Ratio,
        "baseline GET (nginx) req/s": Math.round(baseNginx.rps),
        "authorize/nginx req/s": Math.round(nginx.rps),
        "authorize / baseline": authorizeRatio,
        "authorize/nginx / baseline": nginxRatio,
        "baseline POST CPU µs/request": cpu(basePost),
        "verify CPU µs/request": cpu(verify),
        "baseline GET CPU µs/request": cpu(baseGet),
        "authorize CPU µs/request": cpu(authorize),
        "authorize/nginx CPU µs/request": cpu(nginx),
        "baseline GET kernel µs/request": kernel(baseGet),
        "authorize kernel µs/request": kernel(authorize),
        "verify, by CPU: baseline / verify": ratio(cpu(basePost), cpu(verify)),
        "authorize, by CPU: baseline / authorize": ratio(cpu(baseGet), cpu(authorize)),
        "authorize/nginx, by CPU: baseline / nginx": ratio(cpu(baseNginx), cpu(nginx)),
      },
      targets: [
        atLeast("verify throughput vs bare node:http", verifyRatio, 0.8),
        atMost("verify p99 vs bare node:http", p99Ratio, 2),
        atLeast("authorize throughput vs bare node:http", authorizeRatio, 0.8),
        atLeast("authorize/nginx throughput vs bare node:http", nginxRatio, 0.8),
      ],
    };
  } finally {
    await baseline.stop();
  }
}
