import { createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { httpbis } from "http-message-signatures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User, VerifyResult } from "../../src/api/index.js";
import { contentDigest, signRequest } from "../../src/client/index.js";
import { client } from "../support/http.js";
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
    expect((await verify()).body).toMatchObject({
      valid: false,
      code: "SIGNATURE_REQUIRED",
      denial: { reason: "signature_missing", detail: "the request is not signed" },
    });
    expect((await verify({ method: "GET", url, headers: {} })).body.denial).toEqual({
      reason: "signature_missing",
      detail: "Signature and Signature-Input are required",
    });
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
    expect((await verify({ method: "GET", url, headers })).body).toMatchObject({
      code: "SIGNATURE_REQUIRED",
      denial: { reason: "signature_replayed" },
    });
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
    for (const request of cases) {
      const res = await verify(request);
      expect(res.body.code, JSON.stringify(request).slice(0, 80)).toBe("SIGNATURE_REQUIRED");
      expect(res.body.denial, JSON.stringify(request).slice(0, 80)).toEqual({
        reason: "signature_invalid",
        detail: expect.any(String),
      });
    }
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

  it("keys replay protection on the signature's bytes, not on how the header is written", async () => {
    const headers = await signRequest({ method: "GET", url }, token.privateKey as string);
    expect((await verify({ method: "GET", url, headers })).body.code).toBe("VALID");
    const label = /^([^=]+)=/.exec(headers.signature as string)?.[1] as string;
    const rewritten = [
      // The same signature under another label: the signature base does not include it.
      {
        ...headers,
        signature: (headers.signature as string).replace(label, "again"),
        "signature-input": (headers["signature-input"] as string).replace(label, "again"),
      },
      // The same dictionary with insignificant whitespace.
      { ...headers, signature: `${headers.signature as string}  ` },
    ];
    for (const replay of rewritten) {
      const res = await verify({ method: "GET", url, headers: replay });
      expect(res.body.code, replay.signature).toBe("SIGNATURE_REQUIRED");
    }
  });

  it("refuses a signature whose own expires parameter has passed", async () => {
    const key = createPrivateKey(token.privateKey as string);
    const signExpiring = async (expires: Date) =>
      (
        await httpbis.signMessage(
          {
            key: { alg: "ed25519", sign: async (data) => sign(null, data, key) },
            fields: ["@method", "@path", "content-digest"],
            params: ["created", "expires", "nonce"],
            paramValues: { created: new Date(Date.now() - 20_000), expires, nonce: String(Math.random()) },
          },
          { method: "GET", url, headers: { "content-digest": contentDigest() } },
        )
      ).headers as Record<string, string>;
    const lapsed = await signExpiring(new Date(Date.now() - 5_000));
    expect((await verify({ method: "GET", url, headers: lapsed })).body.code).toBe("SIGNATURE_REQUIRED");
    const current = await signExpiring(new Date(Date.now() + 60_000));
    expect((await verify({ method: "GET", url, headers: current })).body.code).toBe("VALID");
  });

  it("requires the signature on the management API too, streams included", async () => {
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    const base = `/api/v1/users/${me.id}/access-tokens`;
    const manager = (
      await srv.admin<IssuedAccessToken>("POST", base, {
        body: { name: "signed-manager", type: "full-access", signedRequests: true },
      })
    ).body;
    const plain = client(srv.url, manager.token);
    const unsigned = await plain<{ detail: string }>("GET", "/api/v1/access-tokens/self");
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.detail).toBe(
      "the token requires signed requests: Signature and Signature-Input are required",
    );
    expect((await plain("GET", `${base}?subscribe=true`)).status).toBe(401);

    const signed = async (method: string, path: string, body?: unknown) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const headers = await signRequest(
        { method, url: `${srv.url}${path}`, ...(text === undefined ? {} : { body: text }) },
        manager.privateKey as string,
      );
      return {
        headers,
        send: (override: { headers?: Record<string, string>; rawBody?: string } = {}) =>
          plain<{ detail: string; signedRequests?: boolean }>(method, path, {
            headers: {
              ...headers,
              ...(text === undefined ? {} : { "content-type": "application/json" }),
              ...override.headers,
            },
            ...((override.rawBody ?? text) !== undefined ? { rawBody: override.rawBody ?? text } : {}),
          }),
      };
    };
    const self = await signed("GET", "/api/v1/access-tokens/self");
    expect((await self.send()).status).toBe(200);
    // The same signed request again is a replay.
    expect((await self.send()).status).toBe(401);
    // The body is bound to the signature through Content-Digest.
    const create = await signed("POST", base, { name: "child", signedRequests: true });
    const tampered = await create.send({ rawBody: JSON.stringify({ name: "child", type: "full-access" }) });
    expect(tampered.status).toBe(401);
    expect(tampered.body.detail).toBe(
      "the token requires signed requests: Content-Digest does not match the body",
    );
    const made = await (await signed("POST", base, { name: "child", signedRequests: true })).send();
    expect(made.status).toBe(201);
    expect(made.body.signedRequests).toBe(true);
    // Nor can it mint a token that needs no signature.
    const loose = await (await signed("POST", base, { name: "loose" })).send();
    expect(loose.status).toBe(403);
    expect(loose.body.detail).toBe(
      "signedRequests: must stay true: the calling token requires signed requests",
    );
  });
});
