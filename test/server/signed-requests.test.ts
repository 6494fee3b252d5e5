import { createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { httpbis } from "http-message-signatures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User, VerifyResult } from "../../src/api/index.js";
import { contentDigest, signRequest } from "../../src/client/index.js";
import { STORE_KINDS, startTestServer, type TestServer } from "../support/token-server.js";

describe.each(STORE_KINDS)("signed requests on %s", (kind) => {
  let srv: TestServer;
  let token: IssuedAccessToken;
  const url = "https://api.example.com/orders/42?expand=items";
  const body = JSON.stringify({ quantity: 3 });
  const verify = (request?: Record<string, unknown>) =>
    srv.anonymous<VerifyResult>("POST", "/api/v1/verify", {
      body: { token: token.token, ...(request ? { request } : {}) },
    });

  beforeAll(async () => {
    srv = await startTestServer(kind);
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    token = (
      await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name: "signed", signedRequests: true },
      })
    ).body;
  });
  afterAll(() => srv.close());

  it("issues the private key once and keeps only the public key", async () => {
    expect(token.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(createPrivateKey(token.privateKey as string).asymmetricKeyType).toBe("ed25519");
  });

  it("is valid only with a signature made with its key over method, path, digest and time", async () => {
    expect((await verify()).body).toMatchObject({ valid: false, code: "SIGNATURE_REQUIRED" });
    const headers = await signRequest(
      { method: "PUT", url, body, headers: { host: "api.example.com" } },
      token.privateKey as string,
    );
    const res = await verify({ method: "PUT", url: "/orders/42?expand=items", headers, body });
    expect(res.body).toMatchObject({ valid: true, code: "VALID" });
  });

  it("accepts a request whose body the caller checks itself (no body sent)", async () => {
    const headers = await signRequest({ method: "POST", url, body }, token.privateKey as string);
    expect((await verify({ method: "POST", url, headers })).body.code).toBe("VALID");
  });

  it("refuses a replay of the same signature", async () => {
    const headers = await signRequest({ method: "GET", url }, token.privateKey as string);
    expect((await verify({ method: "GET", url, headers })).body.code).toBe("VALID");
    expect((await verify({ method: "GET", url, headers })).body.code).toBe("SIGNATURE_REQUIRED");
  });

  it("gives identical requests distinct signatures (nonce), so both pass", async () => {
    const a = await signRequest({ method: "GET", url }, token.privateKey as string);
    const b = await signRequest({ method: "GET", url }, token.privateKey as string);
    expect(a.signature).not.toBe(b.signature);
    expect((await verify({ method: "GET", url, headers: a })).body.code).toBe("VALID");
    expect((await verify({ method: "GET", url, headers: b })).body.code).toBe("VALID");
  });

  it("refuses tampering: another method, path, body or digest", async () => {
    const headers = await signRequest({ method: "PUT", url, body }, token.privateKey as string);
    const cases = [
      { method: "DELETE", url, headers, body },
      { method: "PUT", url: "https://api.example.com/orders/43", headers, body },
      { method: "PUT", url, headers, body: JSON.stringify({ quantity: 300 }) },
      { method: "PUT", url, headers: { ...headers, "content-digest": contentDigest("other") } },
    ];
    for (const request of cases)
      expect((await verify(request)).body.code, JSON.stringify(request).slice(0, 80)).toBe(
        "SIGNATURE_REQUIRED",
      );
  });

  it("refuses a signature made with another key, a stale one, and one that covers too little", async () => {
    const other = generateKeyPairSync("ed25519")
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const foreign = await signRequest({ method: "GET", url }, other);
    expect((await verify({ method: "GET", url, headers: foreign })).body.code).toBe("SIGNATURE_REQUIRED");

    const key = createPrivateKey(token.privateKey as string);
    const signWith = async (fields: string[], created: Date) =>
      (
        await httpbis.signMessage(
          {
            key: { alg: "ed25519", sign: async (data) => sign(null, data, key) },
            fields,
            params: ["created", "nonce"],
            paramValues: { created, nonce: String(Math.random()) },
          },
          { method: "GET", url, headers: { "content-digest": contentDigest() } },
        )
      ).headers as Record<string, string>;
    const stale = await signWith(["@method", "@path", "content-digest"], new Date(Date.now() - 10 * 60_000));
    expect((await verify({ method: "GET", url, headers: stale })).body.code).toBe("SIGNATURE_REQUIRED");
    const future = await signWith(["@method", "@path", "content-digest"], new Date(Date.now() + 10 * 60_000));
    expect((await verify({ method: "GET", url, headers: future })).body.code).toBe("SIGNATURE_REQUIRED");
    const thin = await signWith(["@method", "@path"], new Date());
    expect((await verify({ method: "GET", url, headers: thin })).body.code).toBe("SIGNATURE_REQUIRED");
    const fresh = await signWith(["@method", "@path", "content-digest"], new Date());
    expect((await verify({ method: "GET", url, headers: fresh })).body.code).toBe("VALID");
  });

  it("survives garbage signature headers", async () => {
    for (const headers of [
      { signature: "sig1=:AAAA:", "signature-input": "garbage((", "content-digest": contentDigest() },
      { signature: "x", "content-digest": contentDigest() },
      {
        signature: "a=:AA:, b=:BB:",
        "signature-input": 'a=("@method");created=1, b=("@method");created=1',
        "content-digest": contentDigest(),
      },
      { "content-digest": "sha-256=:not base64:" },
    ]) {
      const res = await verify({ method: "GET", url, headers });
      expect(res.status).toBe(200);
      expect(res.body.code).toBe("SIGNATURE_REQUIRED");
    }
  });
});
