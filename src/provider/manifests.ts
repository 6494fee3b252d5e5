import { GROUP_VERSION, ROTATE_ANNOTATION } from "../crd/index.js";
import type { ObjectMetaInput } from "./problems.js";

/*
 * The Kubernetes objects the constructs declare, as plain JSON. Only what was declared goes in:
 * the API server and the operator apply the defaults, so Terraform never sees a diff between
 * what it wrote and what it reads back.
 */

/** Labels every object declared through the constructs carries (the user's own come on top). */
export const DECLARED_BY_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/managed-by": "terraform",
  "app.kubernetes.io/part-of": "tokenplane",
};

/** `value` without undefined properties (at any depth), as JSON would have it. */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => compact(v)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, compact(v)]),
    ) as T;
  }
  return value;
}

export interface ObjectOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Any new value rotates an AccessToken's token once (the `tokenplane.dev/rotate` annotation). */
  rotate?: string;
}

export function objectMeta(
  name: string,
  namespace: string | undefined,
  options: ObjectOptions,
): ObjectMetaInput {
  const annotations = {
    ...options.annotations,
    ...(options.rotate !== undefined ? { [ROTATE_ANNOTATION]: options.rotate } : {}),
  };
  return compact({
    name,
    namespace,
    labels: { ...DECLARED_BY_LABELS, ...options.labels },
    annotations: Object.keys(annotations).length ? annotations : undefined,
  });
}

export function kubernetesObject(
  kind: "AccessToken" | "TokenServer" | "ClusterTokenServer" | "TokenResource",
  metadata: ObjectMetaInput,
  spec: object,
): Record<string, unknown> {
  return { apiVersion: GROUP_VERSION, kind, metadata, spec: compact(spec) };
}
