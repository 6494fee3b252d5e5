import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { ApiError, type Problem } from "../api/index.js";

export interface Connection {
  /** Base URL of the token server, e.g. https://tokens.internal:8443 */
  url: string;
  /** The credential sent as `Authorization: Bearer` (none when empty: verify needs none). */
  token: string;
  /** PEM CA certificates to trust for https (in addition to none: only these). */
  caBundle?: string;
  /** Skip TLS certificate verification (tests and first setup only). */
  insecure?: boolean;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export interface Sent {
  method: string;
  path: string;
  body?: unknown;
}

/** Opens a request and resolves with the response once its headers have arrived. */
export function open(
  conn: Connection,
  sent: Sent,
  timeoutMs = conn.timeoutMs ?? 10_000,
): Promise<IncomingMessage> {
  const target = new URL(sent.path, conn.url);
  const payload = sent.body === undefined ? undefined : JSON.stringify(sent.body);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: sent.method,
        headers: {
          ...(conn.token === "" ? {} : { authorization: `Bearer ${conn.token}` }),
          accept: "application/json, application/x-ndjson",
          "user-agent": "tokenplane-client",
          ...(payload === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
        },
        ...(conn.caBundle ? { ca: conn.caBundle } : {}),
        ...(conn.insecure ? { rejectUnauthorized: false } : {}),
      },
      resolve,
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`${sent.method} ${target.pathname}: no answer within ${timeoutMs} ms`)),
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The response as a problem, when the server sent one; otherwise a synthesised one. */
export async function refusal(res: IncomingMessage, sent: Sent): Promise<ApiError> {
  const text = await readAll(res).catch(() => "");
  const status = res.statusCode ?? 0;
  let problem: Problem;
  try {
    problem = JSON.parse(text) as Problem;
    if (typeof problem.title !== "string") throw new Error("not a problem");
  } catch {
    problem = {
      type: "about:blank",
      title: res.statusMessage ?? "Error",
      status,
      detail: `${sent.method} ${sent.path} answered ${status}`,
    };
  }
  return new ApiError(status, problem);
}

/** Sends a JSON request; 2xx resolves with the parsed body, anything else throws ApiError. */
export async function call<T>(conn: Connection, sent: Sent): Promise<T> {
  const res = await open(conn, sent);
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) throw await refusal(res, sent);
  const text = await readAll(res);
  return (text === "" ? undefined : JSON.parse(text)) as T;
}
