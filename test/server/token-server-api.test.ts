import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiError,
  type TokenEventStream,
  type TokenServerApi,
  type WatchEvent,
} from "../../src/api/index.js";
import { httpTokenServerApi } from "../../src/client/index.js";
import { startTestServer, type TestServer } from "../support/token-server.js";

async function nextMatching(
  stream: TokenEventStream,
  match: (e: WatchEvent) => boolean,
): Promise<WatchEvent> {
  for (;;) {
    const event = await stream.next();
    if (!event) throw new Error("the watch ended");
    if (match(event)) return event;
  }
}

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer("pglite");
});
afterAll(() => srv.close());

const implementations: [string, () => TokenServerApi][] = [
  ["in-process", () => srv.server.api("test")],
  ["http", () => httpTokenServerApi({ url: srv.url, token: srv.adminToken })],
];

describe.each(implementations)("TokenServerApi %s", (name, make) => {
  let api: TokenServerApi;
  beforeAll(() => {
    api = make();
  });

  it("ensures a user once, also under concurrency", async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => api.ensureUser(`ns-${name}`)));
    expect(new Set(users.map((u) => u.id)).size).toBe(1);
    expect((await api.ensureUser(`ns-${name}`)).id).toBe(users[0]?.id);
  });

  it("registers, reads and unregisters resources; deleting one in use is a 409", async () => {
    const res = `inv-${name}`;
    expect(await api.getResource(res)).toBeUndefined();
    const created = await api.createResource({
      name: res,
      description: "inventory",
      routes: [{ pathPrefix: "/inventory", methods: ["GET"] }],
    });
    expect(created).toMatchObject({ name: res, routes: [{ pathPrefix: "/inventory", methods: ["GET"] }] });
    expect((await api.getResource(res))?.description).toBe("inventory");
    const dup = await api.createResource({ name: res }).catch((e: unknown) => e);
    expect((dup as ApiError).status).toBe(409);

    const user = await api.ensureUser(`res-${name}`);
    const token = await api.createToken(user.id, { name: "t", type: "custom", permissions: [`${res}:read`] });
    const inUse = await api.deleteResource(res).catch((e: unknown) => e);
    expect(inUse).toBeInstanceOf(ApiError);
    expect((inUse as ApiError).status).toBe(409);
    await api.revokeToken(user.id, token.id);
    expect(await api.deleteResource(res)).toBe(true);
    expect(await api.deleteResource(res)).toBe(false);
    expect(await api.getResource(res)).toBeUndefined();
  });

  it("runs a token's whole life and reports refusals as ApiError", async () => {
    const user = await api.ensureUser(`life-${name}`);
    const created = await api.createToken(user.id, { name: "t", externalId: "uid-1", duration: "30d" });
    expect(created.token).toMatch(/^tps_/);
    const dup = await api.createToken(user.id, { name: "t2", externalId: "uid-1" }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ApiError);
    expect((dup as ApiError).status).toBe(409);
    expect((dup as ApiError).problem.existingId).toBe(created.id);

    expect((await api.findTokenByExternalId(user.id, "uid-1"))?.id).toBe(created.id);
    expect(await api.findTokenByExternalId(user.id, "uid-none")).toBeUndefined();
    expect((await api.getToken(user.id, created.id))?.name).toBe("t");
    expect(await api.getToken(user.id, "00000000-0000-4000-8000-000000000000")).toBeUndefined();

    const updated = await api.updateToken(user.id, created.id, { description: "changed" });
    expect(updated).toMatchObject({ description: "changed", revision: 2 });
    const bad = await api
      .updateToken(user.id, created.id, { type: "custom", permissions: ["ghost:read"] })
      .catch((e: unknown) => e);
    expect((bad as ApiError).status).toBe(422);
    expect((bad as ApiError).problem.errors).toEqual([
      { field: "permissions[0]", message: expect.stringContaining("unknown resource") },
    ]);

    const regenerated = await api.regenerateToken(user.id, created.id, { gracePeriod: "1m" });
    expect(regenerated.token).not.toBe(created.token);
    expect(regenerated.id).toBe(created.id);
    expect(await api.revokeToken(user.id, created.id)).toBe(true);
    expect(await api.revokeToken(user.id, created.id)).toBe(false);
  });

  it("watches a user's tokens", async () => {
    const user = await api.ensureUser(`watch-${name}`);
    const before = await api.createToken(user.id, { name: "before" });
    const stream = api.watchTokens(user.id);
    await nextMatching(stream, (e) => e.type === "ADDED" && e.object.id === before.id);
    const during = await api.createToken(user.id, { name: "during" });
    await nextMatching(stream, (e) => e.type === "ADDED" && e.object.id === during.id);
    await api.updateToken(user.id, before.id, { description: "x" });
    await nextMatching(stream, (e) => e.type === "MODIFIED" && e.object.id === before.id);
    await api.revokeToken(user.id, during.id);
    await nextMatching(stream, (e) => e.type === "DELETED" && e.object.id === during.id);
    stream.close();
    expect(await stream.next()).toBeUndefined();
  });

  it("is ready", async () => {
    await expect(api.ready()).resolves.toBeUndefined();
  });
});

describe("TokenServerApi over HTTP with bad credentials or no server", () => {
  it("is not ready with a wrong token", async () => {
    const api = httpTokenServerApi({ url: srv.url, token: "x".repeat(40) });
    const err = await api.ready().catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(401);
  });

  it("fails with a network error when nothing listens", async () => {
    const api = httpTokenServerApi({ url: "http://127.0.0.1:1", token: "x".repeat(40), timeoutMs: 2000 });
    await expect(api.ready()).rejects.toThrow();
    const stream = api.watchTokens("00000000-0000-4000-8000-000000000000");
    expect(await stream.next()).toBeUndefined();
  });
});
