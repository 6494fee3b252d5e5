import type { JsonObject } from "./json.js";
import { VERBS, type ResourceDef, type ResourceRegistry } from "./resource.js";

export const SERVER_VERSION = {
  major: "1",
  minor: "33",
  gitVersion: "v1.33.0-kube-api-fixture",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2025-01-01T00:00:00Z",
  goVersion: "go1.24.0",
  compiler: "gc",
  platform: "linux/amd64",
};

/** Kubernetes' version priority: GA before beta before alpha, higher numbers first. */
function versionRank(v: string): [number, number, number] {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return [3, 0, 0];
  const stability = m[2] === "alpha" ? 2 : m[2] === "beta" ? 1 : 0;
  return [stability, -Number(m[1]), -Number(m[3] ?? 0)];
}

export function sortVersions(versions: string[]): string[] {
  return [...versions].sort((a, b) => {
    const ra = versionRank(a);
    const rb = versionRank(b);
    for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] ?? 0) - (rb[i] ?? 0);
    return a < b ? -1 : 1;
  });
}

function apiResources(defs: ResourceDef[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const def of defs.sort((a, b) => (a.resource < b.resource ? -1 : 1))) {
    const entry: JsonObject = {
      name: def.resource,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: VERBS,
    };
    if (def.shortNames.length > 0) entry.shortNames = def.shortNames;
    if (def.categories.length > 0) entry.categories = def.categories;
    out.push(entry);
    if (def.statusSubresource) {
      out.push({
        name: `${def.resource}/status`,
        singularName: "",
        namespaced: def.namespaced,
        kind: def.kind,
        verbs: ["get", "patch", "update"],
      });
    }
  }
  return out;
}

export function resourceList(
  registry: ResourceRegistry,
  group: string,
  version: string,
): JsonObject | undefined {
  const defs = registry.all().filter((d) => d.group === group && d.version === version);
  if (defs.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: apiResources(defs),
  };
}

export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function apiGroup(group: string, versions: string[]): JsonObject {
  const sorted = sortVersions(versions);
  const entries = sorted.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: entries, preferredVersion: entries[0] ?? null };
}

export function groupList(registry: ResourceRegistry): JsonObject {
  const groups = registry
    .groupVersions()
    .filter((g) => g.group !== "")
    .map((g) => apiGroup(g.group, g.versions));
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

export function groupInfo(registry: ResourceRegistry, group: string): JsonObject | undefined {
  const found = registry.groupVersions().find((g) => g.group === group);
  return found ? { kind: "APIGroup", apiVersion: "v1", ...apiGroup(group, found.versions) } : undefined;
}
