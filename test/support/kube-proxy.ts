import { KubeConfig } from "@kubernetes/client-node";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { KubeApi } from "./kube-api/index.js";

/*
 * A recording HTTP proxy between the operator and the Kubernetes API fixture. It sees what
 * the fixture's request log does not keep (bodies, times), and it can stop a request at a
 * chosen point — before the API server sees it, or after the API server has carried it out
 * but before the answer gets back — which is where a crash of the operator leaves the world.
 */

export interface ProxiedRequest {
  /** Date.now() when the request arrived. */
  at: number;
  method: string;
  path: string;
  /** `?a=b` or "". */
  query: string;
  body: string;
  /** Parsed JSON body, when it is JSON. */
  json: unknown;
  status?: number;
}

export interface Held {
  /** Resolves when a matching request has been stopped. */
  reached: Promise<ProxiedRequest>;
}

interface HoldRule {
  match: (r: ProxiedRequest) => boolean;
  phase: "request" | "response";
  reached: (r: ProxiedRequest) => void;
  done: boolean;
}

export interface KubeProxy {
  url: string;
  readonly requests: ProxiedRequest[];
  /** The fixture's (RBAC-restricted) kubeconfig, pointed at this proxy. */
  kubeConfig(): KubeConfig;
  /**
   * Stops the next matching request for good: "request" — the API server never sees it;
   * "response" — the API server carries it out, its answer never arrives.
   */
  hold(match: (r: ProxiedRequest) => boolean, phase: "request" | "response"): Held;
  /** Breaks every stopped request's connection (as the operator's process dying would). */
  dropHeld(): void;
  close(): Promise<void>;
}

export async function startKubeProxy(fixture: KubeApi): Promise<KubeProxy> {
  const target = new URL(fixture.url);
  const requests: ProxiedRequest[] = [];
  const rules: HoldRule[] = [];
  const held = new Set<Socket>();
  const sockets = new Set<Socket>();

  const take = (r: ProxiedRequest, phase: HoldRule["phase"]): boolean => {
    const rule = rules.find((h) => !h.done && h.phase === phase && h.match(r));
    if (!rule) return false;
    rule.done = true;
    rule.reached(r);
    return true;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? "/", "http://proxy.invalid");
    const text = body.toString("utf8");
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const record: ProxiedRequest = {
      at: Date.now(),
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.search,
      body: text,
      json,
    };
    requests.push(record);
    if (take(record, "request")) {
      held.add(req.socket);
      return;
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (up) => {
        record.status = up.statusCode;
        if (take(record, "response")) {
          up.resume();
          held.add(req.socket);
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on("error", () => res.destroy());
      },
    );
    upstream.on("error", () => res.destroy());
    // The client went away (a watch aborted, a killed operator): so does the upstream request.
    res.on("close", () => upstream.destroy());
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks)));
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromString(fixture.kubeConfigYaml().replace(fixture.url, url));
      return kc;
    },
    hold(match, phase) {
      let reached!: (r: ProxiedRequest) => void;
      const promise = new Promise<ProxiedRequest>((r) => (reached = r));
      rules.push({ match, phase, reached, done: false });
      return { reached: promise };
    },
    dropHeld() {
      for (const s of held) s.destroy();
      held.clear();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
