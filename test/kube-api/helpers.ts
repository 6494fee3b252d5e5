import { ApiException, type Watch } from "@kubernetes/client-node";
import type { KubeObject } from "../support/kube-api/index.js";

/** metav1.Status as it arrives in an error response. */
export interface StatusBody {
  kind: string;
  apiVersion: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    retryAfterSeconds?: number;
    causes?: { reason: string; message: string; field?: string }[];
  };
}

/** Awaits a client-node call that must fail and returns its HTTP code and Status body. */
export async function failure(call: Promise<unknown>): Promise<{ code: number; status: StatusBody }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) {
      // client-node 1.4 hands the error body over as the raw JSON text.
      const body: unknown = typeof err.body === "string" ? JSON.parse(err.body) : err.body;
      return { code: err.code, status: body as StatusBody };
    }
    throw err;
  }
  throw new Error("expected the request to fail, but it succeeded");
}

/** The sample CRD: namespaced, status subresource, enum, pattern, set list, default, CEL rules. */
export const widgetCrd: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget", shortNames: ["wd"] },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            required: ["spec"],
            properties: {
              spec: {
                type: "object",
                required: ["color"],
                "x-kubernetes-validations": [
                  {
                    rule: "self.type == 'custom' || !has(self.permissions)",
                    message: "permissions may only be set when type is custom",
                    fieldPath: ".permissions",
                  },
                ],
                properties: {
                  color: { type: "string", enum: ["red", "green", "blue"] },
                  size: { type: "integer", minimum: 1, maximum: 10, default: 3 },
                  type: { type: "string", enum: ["read-only", "custom"], default: "read-only" },
                  permissions: {
                    type: "array",
                    "x-kubernetes-list-type": "set",
                    maxItems: 4,
                    items: { type: "string", pattern: "^[a-z]+:(read|write)$" },
                  },
                  secretName: {
                    type: "string",
                    maxLength: 20,
                    "x-kubernetes-validations": [
                      {
                        rule: "self == oldSelf",
                        messageExpression: "'secretName is immutable (was ' + oldSelf + ')'",
                      },
                    ],
                  },
                  labels: { type: "object", additionalProperties: { type: "string" } },
                  extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                },
              },
              status: {
                type: "object",
                properties: {
                  observedGeneration: { type: "integer" },
                  phase: { type: "string" },
                  conditions: {
                    type: "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["type"],
                    items: {
                      type: "object",
                      required: ["type", "status"],
                      properties: {
                        type: { type: "string" },
                        status: { type: "string" },
                        reason: { type: "string" },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

export interface Widget extends KubeObject {
  spec: {
    color: string;
    size?: number;
    type?: string;
    permissions?: string[];
    secretName?: string;
    labels?: Record<string, string>;
    extra?: Record<string, unknown>;
  };
  status?: { observedGeneration?: number; phase?: string; conditions?: { type: string; status: string }[] };
}

export const widget = (name: string, spec: Partial<Widget["spec"]> = {}, namespace = "default"): Widget => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name, namespace },
  spec: { color: "red", ...spec },
});

export interface WatchEvent {
  type: string;
  object: KubeObject & { code?: number; reason?: string };
}

/** A client-node Watch that records its events; `ended` resolves with what `done` was given. */
export interface RecordedWatch {
  events: WatchEvent[];
  ended: Promise<unknown>;
  abort(): void;
}

export async function recordWatch(
  watch: Watch,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): Promise<RecordedWatch> {
  const events: WatchEvent[] = [];
  let finish: (err: unknown) => void = () => undefined;
  const ended = new Promise<unknown>((resolve) => {
    finish = resolve;
  });
  const controller = await watch.watch(
    path,
    query,
    (type, object) => events.push({ type, object: object as WatchEvent["object"] }),
    (err) => finish(err ?? null),
  );
  return { events, ended, abort: () => controller.abort() };
}
