import { selectedName } from "./selection.js";

/** k8s.io/apiserver RequestInfo: what a URL and method ask for, as authorization sees it. */
export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after the subresource (unsupported here, kept so routing can 404). */
  extra: string[];
}

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);
const METHOD_VERBS: Record<string, string> = {
  POST: "create",
  GET: "get",
  HEAD: "get",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete",
};

export const isTrue = (value: string | null): boolean => value === "true" || value === "1";

export function requestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: "",
    apiGroup: "",
    apiVersion: "",
    namespace: "",
    resource: "",
    subresource: "",
    name: "",
    extra: [],
  };
  let parts = path.split("/").filter((p) => p !== "");
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    return info;
  }
  parts = decoded;
  const prefix = parts[0];
  if (prefix !== "api" && prefix !== "apis") return info;
  if ((prefix === "api" && parts.length < 3) || (prefix === "apis" && parts.length < 4)) return info;
  info.isResourceRequest = true;
  info.apiPrefix = prefix;
  parts = parts.slice(1);
  if (prefix === "apis") {
    info.apiGroup = parts[0] ?? "";
    parts = parts.slice(1);
  }
  info.apiVersion = parts[0] ?? "";
  parts = parts.slice(1);
  info.verb = METHOD_VERBS[method] ?? method.toLowerCase();
  let legacyWatch = false;
  if (parts[0] === "watch") {
    legacyWatch = true;
    parts = parts.slice(1);
  }
  if (parts[0] === "namespaces" && parts.length > 1) {
    info.namespace = parts[1] ?? "";
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? "")) parts = parts.slice(2);
  }
  info.resource = parts[0] ?? "";
  info.name = parts[1] ?? "";
  info.subresource = parts[2] ?? "";
  info.extra = parts.slice(3);
  // "/api/v1/namespaces/foo" is the namespace object itself, not something inside it.
  if (info.resource === "namespaces") info.namespace = "";
  if (legacyWatch && info.verb === "get") {
    info.verb = "watch";
  } else if (info.name === "" && info.verb === "get") {
    info.verb = isTrue(url.searchParams.get("watch")) ? "watch" : "list";
  } else if (info.name === "" && info.verb === "delete") {
    info.verb = "deletecollection";
  }
  if ((info.verb === "list" || info.verb === "watch") && info.name === "") {
    const pinned = selectedName(url.searchParams.get("fieldSelector") ?? "");
    if (pinned) info.name = pinned;
  }
  return info;
}
