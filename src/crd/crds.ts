import { stringify } from "yaml";
import type * as z from "zod";
import { accessTokenSchema } from "./access-token.js";
import { API_GROUP, API_VERSION } from "./names.js";
import type { JSONSchemaProps } from "./structural.js";
import { structuralProblems, toStructuralSchema } from "./structural.js";
import { tokenResourceSchema } from "./token-resource.js";
import { clusterTokenServerSchema, tokenServerSchema } from "./token-server.js";

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** An apiextensions.k8s.io/v1 CustomResourceDefinition, as far as tokenplane uses it. */
export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: "Namespaced" | "Cluster";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JSONSchemaProps };
    }[];
  };
}

const READY: PrinterColumn = {
  name: "Ready",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: "Whether the Ready condition is True.",
};
const REASON: PrinterColumn = {
  name: "Reason",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
  description: "Reason of the Ready condition.",
  priority: 1,
};
const AGE: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

/**
 * The openAPIV3Schema of a kind. The API server owns apiVersion, kind and metadata at the root,
 * so they are declared plainly (as controller-gen does) and never required. Root `metadata` is a
 * bare `{type: object}`: kube-apiserver refuses anything else there (a description included)
 * except restrictions of `name` and `generateName`, and validates metadata itself.
 */
export function openApiSchema(schema: z.ZodType): JSONSchemaProps {
  const root = toStructuralSchema(schema).schema;
  const properties = { ...root.properties };
  for (const key of ["apiVersion", "kind"] as const) {
    const description = properties[key]?.description;
    properties[key] = { ...(description ? { description } : {}), type: "string" };
  }
  if (properties.metadata) properties.metadata = { type: "object" };
  const required = (root.required ?? []).filter((k) => !["apiVersion", "kind", "metadata"].includes(k));
  const { required: _dropped, properties: _old, "x-kubernetes-validations": rules, ...rest } = root;
  const out: JSONSchemaProps = {
    ...rest,
    ...(required.length ? { required } : {}),
    properties,
    ...(rules ? { "x-kubernetes-validations": rules } : {}),
  };
  const problems = structuralProblems(out);
  if (problems.length) throw new Error(`not a valid CRD schema:\n${problems.join("\n")}`);
  return out;
}

function crd(input: {
  kind: string;
  plural: string;
  shortNames: string[];
  scope: "Namespaced" | "Cluster";
  schema: z.ZodType;
  columns: PrinterColumn[];
}): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${input.plural}.${API_GROUP}`, labels: { "app.kubernetes.io/part-of": "tokenplane" } },
    spec: {
      group: API_GROUP,
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular: input.kind.toLowerCase(),
        shortNames: input.shortNames,
        categories: ["tokenplane"],
      },
      scope: input.scope,
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: input.columns,
          schema: { openAPIV3Schema: openApiSchema(input.schema) },
        },
      ],
    },
  };
}

export function accessTokenCrd(): CustomResourceDefinition {
  return crd({
    kind: "AccessToken",
    plural: "accesstokens",
    shortNames: ["atok"],
    scope: "Namespaced",
    schema: accessTokenSchema,
    columns: [
      READY,
      {
        name: "Secret",
        type: "string",
        jsonPath: ".status.secretName",
        description: "The Secret holding the token.",
      },
      {
        // Strings, not dates: the API server prints a future date as "<invalid>".
        name: "Expires",
        type: "string",
        jsonPath: ".status.expiresAt",
        description: "When the current token expires (RFC 3339).",
      },
      {
        name: "Renews",
        type: "string",
        jsonPath: ".status.renewalTime",
        description: "When it will be rotated (RFC 3339).",
      },
      REASON,
      { name: "Type", type: "string", jsonPath: ".spec.type", priority: 1 },
      AGE,
    ],
  });
}

function serverColumns(): PrinterColumn[] {
  return [
    READY,
    { name: "URL", type: "string", jsonPath: ".spec.url", description: "Where the token server is." },
    REASON,
    { name: "Version", type: "string", jsonPath: ".status.version", priority: 1 },
    AGE,
  ];
}

export function tokenServerCrd(): CustomResourceDefinition {
  return crd({
    kind: "TokenServer",
    plural: "tokenservers",
    shortNames: ["tsrv"],
    scope: "Namespaced",
    schema: tokenServerSchema,
    columns: serverColumns(),
  });
}

export function clusterTokenServerCrd(): CustomResourceDefinition {
  return crd({
    kind: "ClusterTokenServer",
    plural: "clustertokenservers",
    shortNames: ["ctsrv"],
    scope: "Cluster",
    schema: clusterTokenServerSchema,
    columns: serverColumns(),
  });
}

export function tokenResourceCrd(): CustomResourceDefinition {
  return crd({
    kind: "TokenResource",
    plural: "tokenresources",
    shortNames: ["tres"],
    scope: "Cluster",
    schema: tokenResourceSchema,
    columns: [READY, REASON, { name: "Description", type: "string", jsonPath: ".spec.description" }, AGE],
  });
}

/** All of tokenplane's CRDs, in a fixed order. */
export function customResourceDefinitions(): CustomResourceDefinition[] {
  return [accessTokenCrd(), tokenServerCrd(), clusterTokenServerCrd(), tokenResourceCrd()];
}

export const CRDS_HEADER =
  "# tokenplane CustomResourceDefinitions, generated from src/crd by `tokenplane crds`.\n# Do not edit: change the zod schemas and regenerate.\n";

/** Every CRD as one multi-document YAML string; the same input always gives the same bytes. */
export function renderCrdsYaml(): string {
  const docs = customResourceDefinitions().map((c) => stringify(c, { lineWidth: 0 }));
  return CRDS_HEADER + docs.map((d) => `---\n${d}`).join("");
}
