/**
 * Everything tokenplane takes from CDKTF, in one module. cdktf is deprecated upstream (December
 * 2025) and continues as the community fork cdktn; moving to it means changing the imports here
 * and nothing else. The rest of src/provider imports only this file.
 */
import {
  Fn,
  Lazy,
  TerraformDataSource,
  TerraformOutput,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  Token,
} from "cdktf";
import type { TerraformMetaArguments } from "cdktf";
import { Construct } from "constructs";
import type { IConstruct } from "constructs";
import { DataKubernetesResource } from "@cdktf/provider-kubernetes/lib/data-kubernetes-resource/index.js";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest/index.js";

export {
  Construct,
  TerraformDataSource,
  TerraformOutput,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
};
export type { TerraformMetaArguments };
export type { IConstruct };

/** A `kubernetes_manifest` resource. */
export type ManifestResource = Manifest;
/** A `kubernetes_resource` data source. */
export type ResourceDataSource = DataKubernetesResource;

/** Whether a value is (or contains) a CDKTF token that only Terraform resolves. */
export function isUnresolved(value: unknown): boolean {
  if (typeof value === "string" || typeof value === "number") return Token.isUnresolved(value);
  if (Array.isArray(value)) return Token.isUnresolved(value) || value.some(isUnresolved);
  if (value !== null && typeof value === "object") return Object.values(value).some(isUnresolved);
  return false;
}

/**
 * Terraform's JSON syntax reads every string as a template, so a literal `${` or `%{` (in a
 * description, say) must be written `$${` / `%%{` to reach the cluster unchanged.
 */
export function terraformLiteral<T>(value: T): T {
  if (typeof value === "string") return value.replace(/([$%])\{/g, "$1$1{") as T;
  if (Array.isArray(value)) return value.map((v: unknown) => terraformLiteral(v)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, terraformLiteral(v)])) as T;
  }
  return value;
}

export interface ManifestOptions {
  /** The Kubernetes object, as plain JSON with literal values. */
  manifest: Record<string, unknown>;
  /** Wait (on create and update) until this condition has status True. */
  waitForCondition?: string;
  /** Terraform timeout for create and update, e.g. `5m` (the provider's default: 10m). */
  timeout?: string;
  dependsOn?: ManifestResource[];
}

/** A `kubernetes_manifest` resource holding `manifest` (escaped for Terraform's templates). */
export function manifestResource(scope: Construct, id: string, options: ManifestOptions): ManifestResource {
  return new Manifest(scope, id, {
    manifest: terraformLiteral(options.manifest),
    ...(options.waitForCondition
      ? { wait: { condition: [{ type: options.waitForCondition, status: "True" }] } }
      : {}),
    ...(options.timeout ? { timeouts: { create: options.timeout, update: options.timeout } } : {}),
    ...(options.dependsOn?.length ? { dependsOn: options.dependsOn } : {}),
  });
}

/**
 * A `kubernetes_resource` data source that reads an object back, status included, after
 * `after` is applied. (`kubernetes_manifest` drops `status` from its `object` attribute.)
 */
export function resourceDataSource(
  scope: Construct,
  id: string,
  options: { apiVersion: string; kind: string; name: string; namespace?: string; after: ManifestResource },
): ResourceDataSource {
  return new DataKubernetesResource(scope, id, {
    apiVersion: options.apiVersion,
    kind: options.kind,
    metadata: terraformLiteral({
      name: options.name,
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    }),
    dependsOn: [options.after],
  });
}

/** A string attribute nested in a data source's `object`, e.g. `["status", "tokenId"]`. */
export function objectField(source: ResourceDataSource, path: string[]): string {
  return Token.asString(Fn.lookupNested(source.object, path));
}

/** The stack a construct belongs to. */
export function stackOf(construct: IConstruct): TerraformStack {
  return TerraformStack.of(construct);
}

/** A value computed when the app is synthesized, after every construct has been added. */
export function lazy(produce: () => unknown): unknown {
  return Lazy.anyValue({ produce });
}

/** Gives an output a fixed name in the Terraform configuration instead of a generated one. */
export function output(
  scope: Construct,
  id: string,
  options: { name: string; value: unknown; description: string },
): TerraformOutput {
  const out = new TerraformOutput(scope, id, { value: options.value, description: options.description });
  out.overrideLogicalId(options.name);
  return out;
}
