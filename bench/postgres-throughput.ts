import { randomBytes } from "node:crypto";
import { assertNoFailures, compare, measure } from "./load.js";
import { startTokenServer } from "./processes.js";
import { atLeast, ratio, type ScenarioResult } from "./scenario.js";
import { adminUserId, createToken } from "./seed.js";

/** Credits (a storage write per request) and token creation on PostgreSQL. */
export async function postgresThroughput(databaseUrl: string, seconds: number): Promise<ScenarioResult> {
  const admin = randomBytes(24).toString("hex");
  const server = await startTokenServer({
    DATABASE_URL: databaseUrl,
    TOKENPLANE_ADMIN_TOKEN: admin,
    TOKENPLANE_PEPPER: `1:${randomBytes(32).toString("hex")}`,
  });
  try {
    const me = await adminUserId(server.url, admin);
    const free = await createToken(server.url, admin, me, {
      name: "free",
      rateLimit: { limit: 1_000_000, window: "1s" },
    });
    const metered = await createToken(server.url, admin, me, {
      name: "metered",
      rateLimit: { limit: 1_000_000, window: "1s" },
      credits: { remaining: 2_000_000_000 },
    });
    const verify = (token: string) => ({
      url: `${server.url}/api/v1/verify`,
      method: "POST" as const,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
      seconds,
    });
    const { baseline: withoutCredits, target: withCredits } = await compare(
      verify(free.token),
      verify(metered.token),
    );
    const creation = await measure({
      url: `${server.url}/api/v1/users/${me}/access-tokens`,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
      body: JSON.stringify({ name: "created-by-bench", type: "read-only", duration: "30d" }),
      seconds,
    });
    assertNoFailures({ verify: withoutCredits, "verify with credits": withCredits, create: creation });
    const creditRatio = ratio(withCredits.rps, withoutCredits.rps);
    return {
      name: "PostgreSQL: credits and token creation (50 connections)",
      metrics: {
        "verify req/s": Math.round(withoutCredits.rps),
        "verify with credits req/s": Math.round(withCredits.rps),
        "with credits / without": creditRatio,
        "tokens created /s": Math.round(creation.rps),
        "create p99 ms": creation.p99,
      },
      targets: [
        atLeast("verify with credits vs credit-free verify", creditRatio, 0.5),
        atLeast("token creation on PostgreSQL", Math.round(creation.rps), 1000, "/s"),
      ],
    };
  } finally {
    await server.stop();
  }
}
