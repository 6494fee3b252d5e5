import type { RequestInfo } from "./request-info.js";

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  status: number;
  user: string;
  contentType: string;
}

const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection"]);

export interface WriteFilter {
  /** `secrets`, `deployments.apps`, `accesstokens.tokenplane.dev`; with `/status` for the subresource. */
  resource?: string;
  verb?: string;
  /** Count only requests answered with a 2xx (default: every write request sent). */
  successfulOnly?: boolean;
}

function resourceName(r: { apiGroup: string; resource: string; subresource: string }): string {
  const base = r.apiGroup ? `${r.resource}.${r.apiGroup}` : r.resource;
  return r.subresource ? `${base}/${r.subresource}` : base;
}

/**
 * Every request the fixture answered (the last `limit` of them) and exact running counts of
 * write requests per resource, so a benchmark can count "API writes per token".
 */
export class RequestLog {
  private records: RequestRecord[] = [];
  private readonly counts = new Map<string, { resource: string; verb: string; status: number; n: number }>();

  constructor(private readonly limit: number) {}

  add(info: RequestInfo, method: string, url: URL, status: number, user: string, contentType: string): void {
    const rec: RequestRecord = {
      method,
      path: url.pathname,
      query: url.search,
      verb: info.verb,
      apiGroup: info.apiGroup,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
      status,
      user,
      contentType,
    };
    this.records.push(rec);
    if (this.records.length > this.limit) this.records.splice(0, Math.ceil(this.limit / 10));
    if (info.isResourceRequest && WRITE_VERBS.has(info.verb)) {
      const key = `${resourceName(info)}|${info.verb}|${status}`;
      const entry = this.counts.get(key) ?? { resource: resourceName(info), verb: info.verb, status, n: 0 };
      entry.n++;
      this.counts.set(key, entry);
    }
  }

  entries(): RequestRecord[] {
    return [...this.records];
  }

  /** Number of write requests (create/update/patch/delete/deletecollection) matching the filter. */
  writes(filter: WriteFilter = {}): number {
    let total = 0;
    for (const c of this.counts.values()) {
      if (filter.resource && c.resource !== filter.resource) continue;
      if (filter.verb && c.verb !== filter.verb) continue;
      if (filter.successfulOnly && (c.status < 200 || c.status >= 300)) continue;
      total += c.n;
    }
    return total;
  }

  /** Write counts per resource and verb, e.g. `{ "secrets": { create: 3 } }`. */
  writesByResource(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const c of this.counts.values()) {
      const perVerb = (out[c.resource] ??= {});
      perVerb[c.verb] = (perVerb[c.verb] ?? 0) + c.n;
    }
    return out;
  }

  clear(): void {
    this.records = [];
    this.counts.clear();
  }
}
