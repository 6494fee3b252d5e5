import { forbidden, qualified, type ApiError } from "./api-error.js";
import type { RequestInfo } from "./request-info.js";

/** rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** One (user, group, resource, verb) the server was asked for, and whether RBAC let it through. */
export interface UsageRecord {
  user: string;
  apiGroup: string;
  /** `resource` or `resource/subresource`. */
  resource: string;
  verb: string;
  namespace: string;
  allowed: boolean;
}

const has = (list: string[] | undefined, value: string): boolean =>
  (list ?? []).includes("*") || (list ?? []).includes(value);

function resourceMatches(list: string[] | undefined, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (list ?? []).some(
    (r) =>
      r === "*" ||
      r === combined ||
      (subresource !== "" && (r === `*/${subresource}` || r === `${resource}/*`)),
  );
}

/** The RBAC authorizer's rule matching for resource requests. */
export function allows(rules: PolicyRule[], info: RequestInfo): boolean {
  if (!info.isResourceRequest) {
    return rules.some(
      (r) => has(r.verbs, info.verb) && (r.nonResourceURLs ?? []).some((u) => u === "*" || u === info.path),
    );
  }
  return rules.some((r) => {
    if (!has(r.verbs, info.verb) || !has(r.apiGroups, info.apiGroup)) return false;
    if (!resourceMatches(r.resources, info.resource, info.subresource)) return false;
    const names = r.resourceNames ?? [];
    return names.length === 0 || (info.name !== "" && names.includes(info.name));
  });
}

/**
 * RBAC for one user: rules granted cluster-wide (ClusterRoles through ClusterRoleBindings) and
 * per namespace (Roles through RoleBindings), which apply only to requests in that namespace.
 */
export interface Grants {
  rules: PolicyRule[];
  namespaced?: Record<string, PolicyRule[]>;
}

export function grantsAllow(grants: Grants, info: RequestInfo): boolean {
  if (allows(grants.rules, info)) return true;
  const inNamespace = info.namespace ? grants.namespaced?.[info.namespace] : undefined;
  return inNamespace !== undefined && allows(inNamespace, info);
}

/** The real 403: `secrets "x" is forbidden: User "u" cannot get resource "secrets" in API group "" in the namespace "ns"`. */
export function forbiddenError(user: string, info: RequestInfo): ApiError {
  if (!info.isResourceRequest) {
    return forbidden(`forbidden: User "${user}" cannot ${info.verb} path "${info.path}"`, {});
  }
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const scope = info.namespace ? `in the namespace "${info.namespace}"` : "at the cluster scope";
  const why = `User "${user}" cannot ${info.verb} resource "${resource}" in API group "${info.apiGroup}" ${scope}`;
  const gr = { group: info.apiGroup, resource: info.resource };
  const subject = info.name ? `${qualified(gr)} "${info.name}"` : qualified(gr);
  const details: Record<string, string> = { kind: info.resource };
  if (info.name) details.name = info.name;
  if (info.apiGroup) details.group = info.apiGroup;
  return forbidden(`${subject} is forbidden: ${why}`, details);
}

/** Records every authorization decision so tests can compare actual usage with a chart's RBAC. */
export class UsageRecorder {
  private readonly seen = new Map<string, UsageRecord>();

  record(user: string, info: RequestInfo, allowed: boolean): void {
    if (!info.isResourceRequest) return;
    const rec: UsageRecord = {
      user,
      apiGroup: info.apiGroup,
      resource: info.subresource ? `${info.resource}/${info.subresource}` : info.resource,
      verb: info.verb,
      namespace: info.namespace,
      allowed,
    };
    this.seen.set(JSON.stringify(rec), rec);
  }

  /** Distinct records, optionally for one user; sorted for stable comparisons. */
  list(user?: string): UsageRecord[] {
    const key = (r: UsageRecord): string => `${r.apiGroup}|${r.resource}|${r.verb}|${r.namespace}|${r.user}`;
    return [...this.seen.values()]
      .filter((r) => !user || r.user === user)
      .sort((a, b) => (key(a) < key(b) ? -1 : 1));
  }

  clear(): void {
    this.seen.clear();
  }
}
