import type { FieldError } from "../crd/index.js";
import {
  formatFieldError,
  GROUP_VERSION,
  parseAccessTokenSpec,
  parseClusterTokenServer,
  parseTokenServer,
  parseTokenResource,
} from "../crd/index.js";

/*
 * Synth-time checks. The CRD's own parse functions decide what a valid spec is, so a mistake
 * reads the same here as it would from `kubectl apply`; the rest are checks the CRD cannot make
 * on its own: names the operator reuses as label values, label and annotation keys, and (in
 * stack-checks.ts) clashes between objects.
 */

export type { FieldError };
export { formatFieldError };

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Longest AccessToken name: the operator labels its Secret with it, and label values stop at 63. */
export const MAX_ACCESS_TOKEN_NAME = 63;

function dnsLabelProblem(value: string): string | undefined {
  if (value.length > 63) return "must be at most 63 characters";
  return DNS_LABEL.test(value) ? undefined : "must be a lowercase RFC 1123 label";
}

function dnsSubdomainProblem(value: string, max = 253): string | undefined {
  if (value.length > max) return `must be at most ${max} characters`;
  return DNS_SUBDOMAIN.test(value) ? undefined : "must be a lowercase RFC 1123 subdomain";
}

/** A label or annotation key: `[prefix/]name`, prefix a DNS subdomain, name at most 63 characters. */
function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return "key prefix must be a lowercase RFC 1123 subdomain";
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name))
    return "key must be at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  return undefined;
}

/** Problems with the keys of a label or annotation map, and with its values if they are label values. */
function mapProblems(
  path: string,
  map: Record<string, string> | undefined,
  values: "label-values" | "any-values",
): FieldError[] {
  const out: FieldError[] = [];
  for (const [key, value] of Object.entries(map ?? {})) {
    const at = `${path}[${JSON.stringify(key)}]`;
    const keyIssue = keyProblem(key);
    if (keyIssue) out.push({ path: at, message: keyIssue });
    if (typeof value !== "string") out.push({ path: at, message: "must be a string" });
    else if (values === "label-values" && (value.length > 63 || !LABEL_VALUE.test(value)))
      out.push({ path: at, message: "must be a valid label value (at most 63 characters)" });
  }
  return out;
}

/** Values only Terraform can resolve cannot be checked now; tokenplane asks for literals. */
function unresolvedProblems(
  path: string,
  value: unknown,
  isUnresolved: (v: unknown) => boolean,
): FieldError[] {
  if (value === undefined || !isUnresolved(value)) return [];
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) =>
      unresolvedProblems(path ? `${path}.${k}` : k, v, isUnresolved),
    );
  }
  return [
    {
      path,
      message:
        "must be a literal value, not a Terraform reference: tokenplane validates AccessTokens at synth time",
    },
  ];
}

export interface ObjectMetaInput {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function metaProblems(meta: ObjectMetaInput, nameMax: number): FieldError[] {
  const out: FieldError[] = [];
  const name = dnsSubdomainProblem(meta.name, nameMax);
  if (name) out.push({ path: "metadata.name", message: name });
  if (meta.namespace !== undefined) {
    const ns = dnsLabelProblem(meta.namespace);
    if (ns) out.push({ path: "metadata.namespace", message: ns });
  }
  out.push(...mapProblems("metadata.labels", meta.labels, "label-values"));
  out.push(...mapProblems("metadata.annotations", meta.annotations, "any-values"));
  return out;
}

function prefixed(prefix: string, errors: FieldError[]): FieldError[] {
  return errors.map((e) => ({
    path: e.path === "(root)" ? prefix : `${prefix}.${e.path}`,
    message: e.message,
  }));
}

/** Everything wrong with an AccessToken as declared: metadata, spec (by the CRD's rules), Secret template maps. */
export function accessTokenProblems(
  meta: ObjectMetaInput,
  spec: Record<string, unknown>,
  isUnresolved: (v: unknown) => boolean,
): FieldError[] {
  const unresolved = [
    ...unresolvedProblems("metadata", meta, isUnresolved),
    ...unresolvedProblems("spec", spec, isUnresolved),
  ];
  if (unresolved.length) return unresolved;
  const out = metaProblems(meta, MAX_ACCESS_TOKEN_NAME);
  const parsed = parseAccessTokenSpec(spec);
  if (!parsed.ok) out.push(...prefixed("spec", parsed.errors));
  const template = spec.secretTemplate as
    { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
  // The CRD checks label values but not keys: a bad key would only fail when the operator writes
  // the Secret, long after apply.
  out.push(...mapProblems("spec.secretTemplate.labels", template?.labels, "any-values"));
  out.push(...mapProblems("spec.secretTemplate.annotations", template?.annotations, "any-values"));
  return out;
}

/** Everything wrong with a TokenServer (namespace given) or a ClusterTokenServer. */
export function serverProblems(
  kind: "TokenServer" | "ClusterTokenServer",
  meta: ObjectMetaInput,
  spec: Record<string, unknown>,
  isUnresolved: (v: unknown) => boolean,
): FieldError[] {
  const unresolved = [
    ...unresolvedProblems("metadata", meta, isUnresolved),
    ...unresolvedProblems("spec", spec, isUnresolved),
  ];
  if (unresolved.length) return unresolved;
  const out = metaProblems(meta, 253);
  const object = { apiVersion: GROUP_VERSION, kind, metadata: meta, spec };
  const parsed = kind === "TokenServer" ? parseTokenServer(object) : parseClusterTokenServer(object);
  if (!parsed.ok) out.push(...parsed.errors.filter((e) => !e.path.startsWith("metadata")));
  return out;
}

/** Everything wrong with a TokenResource as declared (its name is the registry's resource name, at most 63). */
export function tokenResourceProblems(
  meta: ObjectMetaInput,
  spec: Record<string, unknown>,
  isUnresolved: (v: unknown) => boolean,
): FieldError[] {
  const unresolved = [
    ...unresolvedProblems("metadata", meta, isUnresolved),
    ...unresolvedProblems("spec", spec, isUnresolved),
  ];
  if (unresolved.length) return unresolved;
  const out = metaProblems(meta, 63);
  const parsed = parseTokenResource({
    apiVersion: GROUP_VERSION,
    kind: "TokenResource",
    metadata: meta,
    spec,
  });
  if (!parsed.ok) out.push(...parsed.errors.filter((e) => !e.path.startsWith("metadata")));
  return out;
}
