import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Registry } from "prom-client";

export interface OpsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * /healthz, /readyz and /metrics when the operator runs without the embedded server (with it,
 * the token server serves them, with the operator's readiness and metrics added).
 */
export async function startOpsServer(opts: {
  port: number;
  host: string;
  readiness: () => string | undefined;
  metrics: Registry;
}): Promise<OpsServer> {
  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics, prefix: "tokenplane_" });
  const registry = Registry.merge([processMetrics, opts.metrics]);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.method !== "GET" && req.method !== "HEAD") return json(405, { status: "method not allowed" });
    if (path === "/healthz") return json(200, { status: "ok" });
    if (path === "/readyz") {
      const problem = opts.readiness();
      return problem === undefined
        ? json(200, { status: "ok" })
        : json(503, { status: "unavailable", detail: problem });
    }
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        () => json(500, { status: "metrics failed" }),
      );
      return;
    }
    json(404, { status: "not found" });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port, opts.host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host === "0.0.0.0" || opts.host === "::" ? "127.0.0.1" : opts.host;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
