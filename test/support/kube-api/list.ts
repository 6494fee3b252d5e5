import type { ApiContext } from "./api-context.js";
import { badRequest, expired } from "./api-error.js";
import { isObject, type JsonObject } from "./json.js";
import { nameOf, namespaceOf } from "./object-meta.js";
import { listItem, toView } from "./object-view.js";
import { apiVersionOf, type ResourceDef } from "./resource.js";
import { selectionPredicate } from "./selection.js";

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

interface ContinueToken {
  rv: number;
  start: string;
}

const objectKey = (obj: JsonObject): string => `${namespaceOf(obj)}/${nameOf(obj)}`;

/** The apiserver's continue token: base64 JSON with the list's resourceVersion and the next key. */
export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(
    JSON.stringify({ v: "meta.k8s.io/v1", rv: token.rv, start: `${token.start}\u0000` }),
  ).toString("base64url");
}

export function decodeContinue(text: string): ContinueToken {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (
      isObject(parsed) &&
      parsed.v === "meta.k8s.io/v1" &&
      typeof parsed.rv === "number" &&
      typeof parsed.start === "string"
    ) {
      return {
        rv: parsed.rv,
        start: parsed.start.endsWith("\u0000") ? parsed.start.slice(0, -1) : parsed.start,
      };
    }
  } catch {
    // fall through
  }
  throw badRequest("continue key is not valid: the token is not one this server issued");
}

export const CONTINUE_EXPIRED =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

function parseRv(text: string): number {
  if (!/^[0-9]+$/.test(text)) throw badRequest(`invalid resource version: ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * LIST: every page of a paginated list is a consistent snapshot at the first page's
 * resourceVersion (rebuilt from history); a token older than the history is 410 Expired.
 * `resourceVersionMatch=Exact` lists at that resourceVersion; otherwise lists are current.
 */
export function listObjects(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  opts: ListOptions,
): JsonObject {
  const matches = selectionPredicate(def, opts.labelSelector, opts.fieldSelector);
  const ns = def.namespaced && namespace ? namespace : undefined;
  let rv = ctx.store.currentRv();
  let start = "";
  let stored: JsonObject[] | undefined;
  if (opts.continue) {
    const token = decodeContinue(opts.continue);
    rv = token.rv;
    start = token.start;
    stored = ctx.store.listAt(def.storageKey, rv, ns);
    if (!stored) throw expired(CONTINUE_EXPIRED);
  } else if (opts.resourceVersionMatch === "Exact" && opts.resourceVersion) {
    rv = parseRv(opts.resourceVersion);
    if (rv > ctx.store.currentRv())
      throw badRequest(`Too large resource version: ${rv}, current: ${ctx.store.currentRv()}`);
    stored = ctx.store.listAt(def.storageKey, rv, ns);
    if (!stored) throw expired(`too old resource version: ${rv} (${ctx.store.oldestRv()})`);
  } else {
    if (opts.resourceVersion) parseRv(opts.resourceVersion);
    stored = ctx.store.list(def.storageKey, ns);
  }
  const selected = stored
    .filter((o) => !start || objectKey(o) > start)
    .map((o) => toView(def, o))
    .filter(matches);
  const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
  const page = limit ? selected.slice(0, limit) : selected;
  const metadata: JsonObject = { resourceVersion: String(rv) };
  const last = page[page.length - 1];
  if (limit && selected.length > limit && last) {
    metadata.continue = encodeContinue({ rv, start: objectKey(last) });
    if (!opts.labelSelector && !opts.fieldSelector) metadata.remainingItemCount = selected.length - limit;
  }
  return {
    apiVersion: apiVersionOf(def),
    kind: def.listKind,
    metadata,
    items: page.map((v) => listItem(def, v)),
  };
}
