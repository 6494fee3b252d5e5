import { format, resolveConfig } from "prettier";
import { Testing, TerraformStack } from "cdktf";
import type { App } from "cdktf";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider/index.js";

/** The parts of a synthesized stack (cdk.tf.json) the tests read. */
export interface TerraformJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; description?: string }>;
  provider?: Record<string, unknown>;
  terraform?: Record<string, unknown>;
  variable?: Record<string, unknown>;
}

export interface KubernetesManifest {
  manifest: Record<string, unknown>;
  wait?: { condition?: { type: string; status: string }[] };
  depends_on?: string[];
  timeouts?: Record<string, string>;
}

/** A fresh app, as Testing sets it up (no files written). */
export function testApp(): App {
  return Testing.app();
}

/**
 * Synthesizes `build`'s stack in-process, running the constructs' validations as `cdktf synth`
 * does (they throw on the first stack with problems).
 */
export function synthStack(build: (stack: TerraformStack) => void): TerraformJson {
  const stack = new TerraformStack(testApp(), "test");
  new KubernetesProvider(stack, "kubernetes", {});
  build(stack);
  return JSON.parse(Testing.synth(stack, true)) as TerraformJson;
}

/** The error message `cdktf synth` would fail with, or undefined when it succeeds. */
export function synthError(build: (stack: TerraformStack) => void): string | undefined {
  try {
    synthStack(build);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Every kubernetes_manifest resource, by Terraform name. */
export function manifests(tf: TerraformJson): Record<string, KubernetesManifest> {
  return (tf.resource?.kubernetes_manifest ?? {}) as unknown as Record<string, KubernetesManifest>;
}

/** Terraform's JSON syntax reads strings as templates; this undoes the `$${` / `%%{` escapes. */
export function unescapeTemplates<T>(value: T): T {
  if (typeof value === "string") return value.replace(/([$%])\1\{/g, "$1{") as T;
  if (Array.isArray(value)) return value.map((v: unknown) => unescapeTemplates(v)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unescapeTemplates(v)])) as T;
  }
  return value;
}

/** The Kubernetes objects a stack applies, as the API server receives them. */
export function appliedObjects(tf: TerraformJson): Record<string, unknown>[] {
  return Object.values(manifests(tf)).map((m) => unescapeTemplates(m.manifest));
}

/** JSON as the repository's prettier writes it, so a snapshot file passes `prettier --check`. */
export async function prettyJson(value: unknown, file: string): Promise<string> {
  const config = await resolveConfig(file);
  return format(JSON.stringify(value), { ...config, filepath: file });
}
