import type { ResolvedAccessTokenSpec } from "../../crd/index.js";
import { isAlreadyExists, isRefused } from "../kube/client.js";
import type { Secret } from "../kube/objects.js";
import { resourcePath, SECRETS } from "../kube/resources.js";
import { type AccessTokenRef, desiredSecret, managedLabels, secretDiffers } from "../secret-contract.js";
import { cachedWrite, secretObject } from "./cached-write.js";
import type { AccessTokenCase, ReconcilerDeps } from "./context.js";
import type { TokenStep } from "./ensure-token.js";

export const conflictMessage = (what: string) =>
  `${what}; it is never overwritten: delete it, or recreate the AccessToken under another secretTemplate.name`;

/** The Secret's name is taken by one the AccessToken may not write: said on the status, not retried blindly. */
export class SecretConflict extends Error {
  override name = "SecretConflict";
}

const notOurs = (spec: ResolvedAccessTokenSpec) =>
  new SecretConflict(conflictMessage(`Secret ${spec.secret.name} exists and is not managed by tokenplane`));

/**
 * After the Secret was refused, asks (with a dry run, which writes nothing) whether the
 * Secret as templated can be created now, before issuing a value: a refusal that lasts (a
 * name taken, a template the API server finds invalid) does not regenerate the token each retry.
 */
export async function checkSecretWritable(
  d: ReconcilerDeps,
  ref: AccessTokenRef,
  spec: ResolvedAccessTokenSpec,
): Promise<void> {
  try {
    await d.client.request("POST", resourcePath(SECRETS, { namespace: ref.namespace }), {
      query: { dryRun: "All" },
      body: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: spec.secret.name,
          namespace: ref.namespace,
          labels: { ...spec.secret.labels, ...managedLabels(ref.name) },
          annotations: spec.secret.annotations,
        },
        type: spec.secret.type,
      },
    });
  } catch (err) {
    if (isAlreadyExists(err)) throw notOurs(spec);
    throw err;
  }
}

/**
 * Writes the step's value into the Secret: created if missing (never over someone else's),
 * rewritten when its value or layout is stale. `refused` remembers AccessTokens whose Secret
 * the API server refused (see checkSecretWritable). Returns notes for the status.
 */
export async function ensureSecret(
  d: ReconcilerDeps,
  c: AccessTokenCase,
  step: TokenStep,
  refused: Set<string>,
): Promise<string[]> {
  const { ref, spec, key } = c;
  const { secret } = c;
  const secretKey = `${ref.namespace}/${spec.secret.name}`;
  const desired = desiredSecret(ref, spec, step.issuance, step.token.expiresAt, secret);
  if (step.issued) await d.hooks.beforeSecretWrite?.(key);
  if (!secret) {
    try {
      await cachedWrite(d, key, secretObject(d, secretKey), () =>
        d.client.create<Secret>(resourcePath(SECRETS, { namespace: ref.namespace }), desired),
      );
    } catch (err) {
      if (isAlreadyExists(err)) {
        refused.add(key);
        throw notOurs(spec);
      }
      if (isRefused(err)) refused.add(key);
      throw err;
    }
  } else if (step.issued || secretDiffers(secret, desired)) {
    await cachedWrite(d, key, secretObject(d, secretKey), () =>
      d.client.replace<Secret>(
        resourcePath(SECRETS, { namespace: ref.namespace, name: spec.secret.name }),
        desired,
      ),
    );
  }
  if (secret && secret.type !== spec.secret.type)
    return [
      `the Secret's type is ${secret.type ?? "Opaque"}, not ${spec.secret.type} (a Secret's type cannot change: delete the Secret to have it recreated)`,
    ];
  return [];
}
