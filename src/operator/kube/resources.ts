import { API_GROUP, API_VERSION } from "../../crd/index.js";

/** A resource the operator reads or writes, and where the API serves it. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

const resource = (
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
): ResourceType => ({ group, version, plural, kind, namespaced });

export const ACCESS_TOKENS = resource(API_GROUP, API_VERSION, "accesstokens", "AccessToken", true);
export const TOKEN_SERVERS = resource(API_GROUP, API_VERSION, "tokenservers", "TokenServer", true);
export const CLUSTER_TOKEN_SERVERS = resource(
  API_GROUP,
  API_VERSION,
  "clustertokenservers",
  "ClusterTokenServer",
  false,
);
export const TOKEN_RESOURCES = resource(API_GROUP, API_VERSION, "tokenresources", "TokenResource", false);
export const SECRETS = resource("", "v1", "secrets", "Secret", true);
export const NAMESPACES = resource("", "v1", "namespaces", "Namespace", false);
export const EVENTS = resource("", "v1", "events", "Event", true);
export const LEASES = resource("coordination.k8s.io", "v1", "leases", "Lease", true);
export const DEPLOYMENTS = resource("apps", "v1", "deployments", "Deployment", true);
export const STATEFUL_SETS = resource("apps", "v1", "statefulsets", "StatefulSet", true);
export const DAEMON_SETS = resource("apps", "v1", "daemonsets", "DaemonSet", true);

export const apiVersionOf = (r: ResourceType): string => (r.group ? `${r.group}/${r.version}` : r.version);

/**
 * The URL path of a collection (no name) or an object, optionally a subresource. A namespaced
 * resource without a namespace is the collection across all namespaces.
 */
export function resourcePath(
  r: ResourceType,
  at: { namespace?: string | undefined; name?: string | undefined; subresource?: string } = {},
): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && at.namespace ? `/namespaces/${encodeURIComponent(at.namespace)}` : "";
  const name = at.name === undefined ? "" : `/${encodeURIComponent(at.name)}`;
  const sub = at.subresource ? `/${at.subresource}` : "";
  return `${base}${ns}/${r.plural}${name}${sub}`;
}
