import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiError,
  type CreateAccessTokenBody,
  type TokenServerApi,
  type UpdateAccessTokenBody,
  type VerifyBody,
} from "../../src/api/index.js";
import { httpTokenServerApi } from "../../src/client/index.js";
import { startTestServer, type TestServer } from "../support/token-server.js";

/**
 * The embedded operator's in-process API and a remote server over HTTP refuse the same bad
 * input alike: same status, same problem body (title, detail, field errors).
 */

let srv: TestServer;
let embedded: TokenServerApi;
let remote: TokenServerApi;
let userId: string;
let tokenId: string;
beforeAll(async () => {
  srv = await startTestServer("pglite");
  embedded = srv.server.api("embedded-validation");
  remote = httpTokenServerApi({ url: srv.url, token: srv.adminToken });
  userId = (await embedded.ensureUser("validation")).id;
  tokenId = (await embedded.createToken(userId, { name: "kept" })).id;
});
afterAll(() => srv.close());

// Bad on purpose: what a CRD or a caller could hand over that the types would not allow.
const spec = (body: Record<string, unknown>) => body as unknown as CreateAccessTokenBody;

async function refusal(work: Promise<unknown>): Promise<ApiError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return err;
}

type Case = [string, (api: TokenServerApi) => Promise<unknown>, number, { field: string }[]];

const cases: Case[] = [
  [
    "an unknown field",
    (api) => api.createToken(userId, spec({ name: "t", colour: "red" })),
    422,
    [{ field: "colour" }],
  ],
  [
    "a permission outside the grammar",
    (api) => api.createToken(userId, spec({ name: "t", type: "custom", permissions: ["orders"] })),
    422,
    [{ field: "permissions[0]" }],
  ],
  ["text with NUL", (api) => api.createToken(userId, spec({ name: "a\u0000b" })), 422, [{ field: "name" }]],
  [
    "an unpaired surrogate",
    (api) => api.createToken(userId, spec({ name: "t", description: "x\ud800y" })),
    422,
    [{ field: "description" }],
  ],
  [
    "a metadata key with NUL",
    (api) => api.createToken(userId, spec({ name: "t", metadata: { "k\u0000": 1 } })),
    422,
    [{ field: "metadata" }],
  ],
  [
    "negative credits",
    (api) => api.createToken(userId, spec({ name: "t", credits: { remaining: -1 } })),
    422,
    [{ field: "credits.remaining" }],
  ],
  [
    "a duration that is not one",
    (api) => api.createToken(userId, spec({ name: "t", duration: "soon" })),
    422,
    [{ field: "duration" }],
  ],
  ["a malformed user id (no such user)", (api) => api.createToken("not-a-uuid", { name: "t" }), 404, []],
  [
    "an update with an unknown field",
    (api) => api.updateToken(userId, tokenId, { nmae: "renamed" } as unknown as UpdateAccessTokenBody),
    422,
    [{ field: "nmae" }],
  ],
  [
    "an update with NUL in the description",
    (api) => api.updateToken(userId, tokenId, { description: "\u0000" }),
    422,
    [{ field: "description" }],
  ],
  [
    "a regeneration with a bad grace period",
    (api) => api.regenerateToken(userId, tokenId, { gracePeriod: "-1h" }),
    422,
    [{ field: "gracePeriod" }],
  ],
  [
    "a resource name outside the grammar",
    (api) => api.createResource({ name: "no spaces" }),
    422,
    [{ field: "name" }],
  ],
  [
    "a user name with NUL (the lookup's query)",
    (api) => api.ensureUser("a\u0000b"),
    400,
    [{ field: "name" }],
  ],
  [
    "a verify body with an unknown field",
    (api) => api.verify({ token: "tps_x", extra: true } as unknown as VerifyBody),
    422,
    [{ field: "extra" }],
  ],
];

describe("the embedded API validates like HTTP", () => {
  it.each(cases)("refuses %s alike", async (_label, send, status, fields) => {
    const [inProcess, overHttp] = [await refusal(send(embedded)), await refusal(send(remote))];
    expect(overHttp.status).toBe(status);
    expect(inProcess.status).toBe(status);
    expect(inProcess.problem).toEqual(overHttp.problem);
    expect((overHttp.problem.errors ?? []).map((e) => ({ field: e.field }))).toEqual(fields);
  });

  it("still answers a malformed id on reads as not found", async () => {
    for (const api of [embedded, remote]) {
      expect(await api.getToken(userId, "not-a-uuid")).toBeUndefined();
      expect(await api.revokeToken("not-a-uuid", tokenId)).toBe(false);
      expect(await api.getResource("no spaces")).toBeUndefined();
      expect(await api.deleteResource("no spaces")).toBe(false);
    }
  });

  it("ends a watch of a malformed user id with the same 404", async () => {
    const [inProcess, overHttp] = await Promise.all(
      [embedded, remote].map((api) => {
        const stream = api.watchTokens("not-a-uuid");
        return refusal(stream.next()).finally(() => stream.close());
      }),
    );
    expect(overHttp?.status).toBe(404);
    expect(inProcess?.problem).toEqual(overHttp?.problem);
  });
});
