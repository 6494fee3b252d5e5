import type {
  AccessToken,
  AuditEvent,
  CreateAccessTokenBody,
  CreateResourceBody,
  CreateUserBody,
  DefaultPermissions,
  IssuedAccessToken,
  Page,
  Problem,
  RegenerateAccessTokenBody,
  Resource,
  UpdateAccessTokenBody,
  User,
  WatchEvent,
} from "../api/index.js";

/** A refusal from the token server: its problem+json, with the field errors it names. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = "ProblemError";
  }
  get status(): number {
    return this.problem.status;
  }
}

function isProblem(value: unknown): value is Problem {
  const v = value as Partial<Problem> | null;
  return typeof v === "object" && v !== null && typeof v.title === "string" && typeof v.status === "number";
}

async function problemOf(res: Response): Promise<ProblemError> {
  const body: unknown = await res.json().catch(() => undefined);
  if (isProblem(body)) return new ProblemError(body);
  return new ProblemError({
    type: "about:blank",
    title: res.statusText || "Request failed",
    status: res.status,
    detail: `the server answered ${res.status}`,
  });
}

type Query = Record<string, string | number | undefined>;

function pathWith(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

const enc = encodeURIComponent;

/**
 * Every call sends the token in the Authorization header, never in a URL. Responses are
 * trusted to match the contract (the server validates and renders them from the same schemas).
 * `onUnauthorized` runs when the server stops accepting the token (revoked, expired).
 */
export function createApi(token: string, onUnauthorized: () => void = () => {}) {
  const headers = { authorization: `Bearer ${token}` };

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      throw new ProblemError({
        type: "about:blank",
        title: "Server unreachable",
        status: 0,
        detail: "the token server did not answer; check that it is running",
      });
    }
    if (res.status === 401) onUnauthorized();
    if (!res.ok) throw await problemOf(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  const tokens = (userId: string) => `/api/v1/users/${enc(userId)}/access-tokens`;

  return {
    me: () => call<User>("GET", "/api/v1/user"),
    self: () => call<AccessToken>("GET", "/api/v1/access-tokens/self"),
    listUsers: (q: { cursor?: string; name?: string } = {}) =>
      call<Page<User>>("GET", pathWith("/api/v1/users", { limit: 100, ...q })),
    createUser: (body: CreateUserBody) => call<User>("POST", "/api/v1/users", body),
    getUser: (id: string) => call<User>("GET", `/api/v1/users/${enc(id)}`),
    createToken: (userId: string, body: CreateAccessTokenBody) =>
      call<IssuedAccessToken>("POST", tokens(userId), body),
    updateToken: (userId: string, id: string, body: UpdateAccessTokenBody) =>
      call<AccessToken>("PATCH", `${tokens(userId)}/${enc(id)}`, body),
    regenerateToken: (userId: string, id: string, body: RegenerateAccessTokenBody) =>
      call<IssuedAccessToken>("POST", `${tokens(userId)}/${enc(id)}/regenerate`, body),
    revokeToken: (userId: string, id: string) => call<void>("DELETE", `${tokens(userId)}/${enc(id)}`),
    listResources: () => call<{ items: Resource[] }>("GET", "/api/v1/resources"),
    createResource: (body: CreateResourceBody) => call<Resource>("POST", "/api/v1/resources", body),
    deleteResource: (name: string) => call<void>("DELETE", `/api/v1/resources/${enc(name)}`),
    defaultPermissions: () => call<DefaultPermissions>("GET", "/api/v1/settings/default-permissions"),
    setDefaultPermissions: (body: DefaultPermissions) =>
      call<DefaultPermissions>("PUT", "/api/v1/settings/default-permissions", body),
    auditEvents: (q: { actor?: string; tokenId?: string; cursor?: string; limit?: number }) =>
      call<Page<AuditEvent>>("GET", pathWith("/api/v1/audit-events", { limit: 100, ...q })),

    /**
     * A user's tokens as NDJSON watch events (the current state first, then changes). fetch,
     * not EventSource: only fetch can send the Authorization header. `onOpen` runs once the
     * server accepted the watch, `onEvents` once per received chunk (so thousands of initial
     * tokens are rendered in a few batches). Resolves when the stream ends; rejects with a
     * ProblemError when it is refused.
     */
    async watchTokens(
      userId: string,
      handlers: { onOpen: () => void; onEvents: (events: WatchEvent[]) => void },
      signal: AbortSignal,
    ): Promise<void> {
      const res = await fetch(pathWith(tokens(userId), { subscribe: "true" }), {
        headers,
        signal,
        cache: "no-store",
        credentials: "omit",
      });
      if (res.status === 401) onUnauthorized();
      if (!res.ok || !res.body) throw await problemOf(res);
      handlers.onOpen();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffered += value;
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        const events = lines.filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as WatchEvent);
        if (events.length > 0) handlers.onEvents(events);
      }
    },
  };
}

export type Api = ReturnType<typeof createApi>;
