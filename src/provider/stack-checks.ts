import type { IConstruct, TerraformStack } from "./cdktf.js";
import { stackOf } from "./cdktf.js";
import type { FieldError } from "./problems.js";

/*
 * Checks across constructs that no single object (and so no CRD rule) can make: two declarations
 * of one object, two AccessTokens writing one Secret, two groups claiming one output name. Each
 * clash is reported on the later declaration, naming the earlier one.
 */

interface Entry {
  construct: IConstruct;
  /** What must be unique in the stack, e.g. `AccessToken shop/storefront`. */
  key: string;
  field: string;
  describe: string;
}

const registries = new WeakMap<TerraformStack, Entry[]>();

function registry(construct: IConstruct): Entry[] {
  const stack = stackOf(construct);
  let entries = registries.get(stack);
  if (!entries) registries.set(stack, (entries = []));
  return entries;
}

export interface ObjectKey {
  kind: string;
  namespace: string;
  name: string;
}

const objectKey = (k: ObjectKey) => `${k.kind} ${k.namespace ? `${k.namespace}/` : ""}${k.name}`;

function claim(construct: IConstruct, entry: Omit<Entry, "construct">): void {
  registry(construct).push({ construct, ...entry });
}

function clashes(construct: IConstruct, key: string): FieldError[] {
  const entries = registry(construct);
  const mine = entries.find((e) => e.construct === construct && e.key === key);
  if (!mine) return [];
  const earlier = entries
    .slice(0, entries.indexOf(mine))
    .find((e) => e.key === key && e.construct !== construct);
  return earlier
    ? [
        {
          path: mine.field,
          message: `${mine.describe} is already declared by ${earlier.construct.node.path}`,
        },
      ]
    : [];
}

/** Records that `construct` declares the object `key`. */
export function registerDeclared(construct: IConstruct, key: ObjectKey): void {
  claim(construct, { key: objectKey(key), field: "metadata.name", describe: objectKey(key) });
}

/** Records the Secret an AccessToken writes. */
export function registerSecret(construct: IConstruct, namespace: string, secretName: string): void {
  claim(construct, {
    key: `Secret ${namespace}/${secretName}`,
    field: "spec.secretTemplate.name",
    describe: `Secret "${secretName}" in namespace ${namespace} (written by one AccessToken only)`,
  });
}

/** Records a Terraform output name. */
export function registerOutput(construct: IConstruct, name: string): void {
  claim(construct, {
    key: `output ${name}`,
    field: "outputs",
    describe: `Terraform output "${name}"`,
  });
}

export function duplicateProblems(construct: IConstruct, key: ObjectKey): FieldError[] {
  return clashes(construct, objectKey(key));
}

export function secretProblems(construct: IConstruct, namespace: string, secretName: string): FieldError[] {
  return clashes(construct, `Secret ${namespace}/${secretName}`);
}

export function outputProblems(construct: IConstruct, name: string): FieldError[] {
  return clashes(construct, `output ${name}`);
}
