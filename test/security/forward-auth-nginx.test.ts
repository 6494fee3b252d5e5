import fc from "fast-check";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User } from "../../src/api/index.js";
import { freePort, type RunningNginx, startNginx } from "../support/nginx.js";
import { startTestServer, type TestServer } from "../support/token-server.js";

/**
 * Forward auth behind a real nginx (`auth_request`, configured as the README says) in front
 * of an upstream that records the path it was given: whatever path a client sends, a request
 * nginx lets through reaches a path the permission it was judged on covers — read raw, or
 * decoded, case-folded, dot-resolved and stripped of `;` parameters as upstreams do.
 */

/** The registered routes: a broad resource at `/` and narrower ones below it. */
const ROUTES = { public: "/", admin: "/admin", orders: "/orders/", reports: "/orders/reports" } as const;
type Resource = keyof typeof ROUTES;

/** The resource an upstream reading `path` this way routes it to (longest prefix, segment-wise). */
function resourceOf(path: string): Resource {
  let best: Resource = "public";
  let bestLength = -1;
  for (const [name, prefix] of Object.entries(ROUTES) as [Resource, string][]) {
    const base = prefix.replace(/\/+$/, "") || "/";
    const covered = base === "/" || path === base || path.startsWith(`${base}/`);
    if (covered && base.length > bestLength) [best, bestLength] = [name, base.length];
  }
  return best;
}

function decodeLeniently(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/** Decoded (`times` times), backslashes as slashes, `;` parameters dropped, dots resolved, slashes merged, lower case. */
function normalised(path: string, times: number): string {
  let p = path
    .split("/")
    .map((s) => s.split(";")[0])
    .join("/");
  for (let i = 0; i < times; i++) p = decodeLeniently(p);
  const out: string[] = [];
  for (const segment of p.replace(/\\/g, "/").split(";")[0]!.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return `/${out.join("/")}`.toLowerCase();
}

/** Every way the upstream path might be read. */
const readings = (path: string) => ({
  raw: resourceOf(path),
  decoded: resourceOf(normalised(path, 1)),
  twiceDecoded: resourceOf(normalised(path, 2)),
});

const segment = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom("admin", "orders", "reports", "public", "x", "1", "users") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "ADMIN",
      "Admin",
      "Orders",
      "",
      ".",
      "..",
      "%2e",
      "%2E%2E",
      ".%2e",
      "%2f",
      "%2F",
      "..%2Fadmin",
      "%5c",
      "%5C..%5Cadmin",
      "\\",
      "..\\admin",
      "admin;x=1",
      "..;",
      ";",
      "%3b",
      "%61dmin",
      "%2561dmin",
      "%252e%252e",
      "%25",
      "a%20b",
      "%C3%A9",
      "%E0%A4",
      "%00",
      "~",
      ".well-known",
      "orders%2Freports",
      "%7e",
    ),
  },
);
const path = fc
  .tuple(
    fc.array(segment, { minLength: 1, maxLength: 5 }),
    fc.boolean(),
    fc.constantFrom("", "?next=/admin", "?a=%2e%2e/admin", "?x=1#f"),
  )
  .map(([parts, slash, query]) => `/${parts.join("/")}${slash ? "/" : ""}${query}`);

describe("forward auth behind a real nginx", () => {
  let srv: TestServer;
  let upstream: Server;
  let nginx: RunningNginx;
  /** nginx whose auth_request goes to /api/v1/authorize/nginx, and one to the plain /api/v1/authorize. */
  let ports: { nginx: number; plain: number };
  const tokens = {} as Record<Resource, string>;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });

  /** GET `target` through nginx, exactly as written; `upstream` is the path the upstream was given, if it was reached. */
  const get = (port: number, target: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; upstream?: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: target, method: "GET", headers, agent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(res.headers["x-upstream"] === "yes"
              ? { upstream: (JSON.parse(body) as { url: string }).url }
              : {}),
          }),
        );
      });
      req.on("error", reject);
      req.end();
    });

  beforeAll(async () => {
    srv = await startTestServer("pglite");
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    for (const [name, pathPrefix] of Object.entries(ROUTES) as [Resource, string][]) {
      expect(
        (await srv.admin("POST", "/api/v1/resources", { body: { name, routes: [{ pathPrefix }] } })).status,
      ).toBe(201);
      const issued = await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name, type: "custom", permissions: [`${name}:read`] },
      });
      tokens[name] = issued.body.token;
    }
    upstream = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes" });
      res.end(JSON.stringify({ url: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const app = (upstream.address() as AddressInfo).port;
    const tokenplane = new URL(srv.url).port;
    ports = { nginx: await freePort(), plain: await freePort() };
    // The README's nginx configuration, once per forward-auth endpoint.
    const site = (port: number, endpoint: string) => `
  server {
    listen 127.0.0.1:${port};
    location / {
      auth_request /_tokenplane;
      auth_request_set $token_id $upstream_http_x_token_id;
      proxy_set_header X-Token-Id $token_id;
      proxy_pass http://127.0.0.1:${app};
    }
    location = /_tokenplane {
      internal;
      proxy_pass http://127.0.0.1:${tokenplane}${endpoint};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
  }`;
    nginx = await startNginx(
      site(ports.nginx, "/api/v1/authorize/nginx") + site(ports.plain, "/api/v1/authorize"),
      [ports.nginx, ports.plain],
    );
  });
  afterAll(async () => {
    agent.destroy();
    await nginx?.close();
    await new Promise((r) => upstream?.close(r));
    await srv?.close();
  });

  it("lets a token through to what it may read, and nothing else", async () => {
    for (const port of [ports.nginx, ports.plain]) {
      const auth = (r: Resource) => ({ authorization: `Bearer ${tokens[r]}` });
      expect(await get(port, "/orders/1", auth("orders"))).toEqual({ status: 200, upstream: "/orders/1" });
      expect((await get(port, "/orders/reports/1", auth("orders"))).status).toBe(403);
      expect((await get(port, "/admin/users", auth("public"))).status).toBe(403);
      expect((await get(port, "/admin/users")).status).toBe(401);
    }
  });

  it("judges the request nginx received, whatever other proxies' headers the client adds", async () => {
    const spoof = {
      authorization: `Bearer ${tokens.public}`,
      "x-forwarded-method": "GET",
      "x-forwarded-uri": "/public/x",
      "x-original-url": "https://shop.example.com/public/x",
    };
    for (const port of [ports.nginx, ports.plain]) {
      const res = await get(port, "/admin/users", spoof);
      expect(res.upstream, `port ${port}`).toBeUndefined();
      // The dedicated endpoint judges X-Original-URI (403); the plain one refuses the mix
      // (400, which nginx turns into a 500).
      expect(res.status).toBe(port === ports.nginx ? 403 : 500);
    }
  });

  it("refuses paths that upstreams read as another resource's (403)", async () => {
    const auth = { authorization: `Bearer ${tokens.public}` };
    for (const target of [
      "/admin/..%2Fx",
      "/admin/%2e%2e/x",
      "/x/..%2Fadmin/users",
      "//admin",
      "/ADMIN/users",
      "/%61dmin/users",
      "/admin;v=1/users",
      "/x/..;/admin",
      "/x%5C..%5Cadmin",
      "/x\\..\\admin",
    ]) {
      const res = await get(ports.nginx, target, auth);
      expect(res, target).toEqual({ status: 403 });
    }
    expect(await get(ports.nginx, "/x/caf%C3%A9", auth)).toEqual({ status: 200, upstream: "/x/caf%C3%A9" });
  });

  it("covers a trailing-slash prefix's own root, segment-wise", async () => {
    const auth = { authorization: `Bearer ${tokens.orders}` };
    expect(await get(ports.nginx, "/orders", auth)).toEqual({ status: 200, upstream: "/orders" });
    expect(await get(ports.nginx, "/orders/", auth)).toEqual({ status: 200, upstream: "/orders/" });
    expect((await get(ports.nginx, "/ordersx", auth)).status).toBe(403);
  });

  it("never lets a path through that the upstream could route outside the permission used", async () => {
    const seen = { allowed: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        path,
        fc.constantFrom(...(Object.keys(ROUTES) as Resource[])),
        fc.constantFrom<keyof typeof ports>("nginx", "plain"),
        async (target, resource, via) => {
          const res = await get(ports[via], target, { authorization: `Bearer ${tokens[resource]}` });
          expect(res.status, `${target}: ${nginx.errors().slice(-500)}`).not.toBe(502);
          if (res.upstream === undefined) {
            seen.refused++;
            return;
          }
          seen.allowed++;
          const got = res.upstream.split("?")[0] ?? "";
          expect(readings(got), `${target} as ${resource}, upstream got ${res.upstream}`).toEqual({
            raw: resource,
            decoded: resource,
            twiceDecoded: resource,
          });
        },
      ),
      { numRuns: 500 },
    );
    // Not vacuous: many requests went through and many were refused (5% each way, whatever the seed).
    expect(seen.allowed).toBeGreaterThan(25);
    expect(seen.refused).toBeGreaterThan(25);
  });
});
