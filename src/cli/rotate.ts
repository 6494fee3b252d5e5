import { ROTATE_ANNOTATION } from "../crd/index.js";
import {
  AccessTokenList,
  type AccessTokenObject,
  AccessTokenObject as AccessTokenSchema,
  accessTokensPath,
  conditionOf,
} from "./access-token-object.js";
import { CliFailure } from "./failures.js";
import { type KubeFlags, kubeAccess } from "./kube-access.js";
import { colour, type OutputFormat, print, renderData, renderTable } from "./output.js";
import { progressLine } from "./progress-line.js";

/*
 * `tokenplane rotate`: sets the rotation annotation to a new value (the operator rotates once
 * per distinct value) and waits until the operator reports the new token.
 */

export interface RotateFlags extends KubeFlags {
  all?: boolean;
  allNamespaces?: boolean;
  wait: boolean;
  timeout: number;
  output: OutputFormat;
}

/** Ready=False for these needs a person: waiting longer changes nothing. */
const TERMINAL_REASONS = new Set(["SecretConflict", "NamespaceNotAllowed", "InvalidSpec"]);

interface Rotated {
  namespace: string;
  name: string;
  tokenId?: string;
  revision?: number;
  previousRevision?: number;
  expiresAt?: string;
}

const keyOf = (at: AccessTokenObject) => `${at.metadata.namespace}/${at.metadata.name}`;

function state(at: AccessTokenObject, value: string): { done: boolean; failed?: string; text: string } {
  const ready = conditionOf(at, "Ready");
  const issuing = conditionOf(at, "Issuing");
  const acted = at.status?.lastRotateAnnotation === value;
  if (acted && ready?.status === "True" && at.status?.observedGeneration === at.metadata.generation)
    return { done: true, text: "rotated" };
  if (ready?.status === "False" && ready.reason && TERMINAL_REASONS.has(ready.reason))
    return { done: false, failed: `${ready.reason}: ${ready.message ?? ""}`, text: ready.reason };
  const why =
    issuing?.status === "True"
      ? `issuing: ${issuing.message ?? issuing.reason ?? ""}`
      : ready?.status === "False"
        ? `not ready: ${ready.reason ?? ""} ${ready.message ?? ""}`
        : "waiting for the operator";
  return { done: false, text: why.trim() };
}

export async function rotate(names: string[], flags: RotateFlags): Promise<void> {
  const { client, namespace } = await kubeAccess(flags);
  try {
    let targets: AccessTokenObject[];
    if (flags.all) {
      const list = AccessTokenList.parse(
        await client.request("GET", accessTokensPath(flags.allNamespaces ? undefined : namespace)),
      );
      targets = list.items;
      if (targets.length === 0)
        throw new CliFailure(
          `no AccessTokens in ${flags.allNamespaces ? "any namespace" : `namespace ${namespace}`}`,
        );
    } else {
      targets = [];
      for (const name of names) {
        const found = await client.get(accessTokensPath(namespace, name));
        if (!found) throw new CliFailure(`AccessToken ${namespace}/${name} not found`);
        targets.push(AccessTokenSchema.parse(found));
      }
    }

    const value = new Date().toISOString();
    for (const at of targets)
      await client.mergePatch(accessTokensPath(at.metadata.namespace, at.metadata.name), {
        metadata: { annotations: { [ROTATE_ANNOTATION]: value } },
      });
    if (!flags.wait) {
      for (const at of targets) process.stderr.write(`Requested rotation of ${keyOf(at)}\n`);
      return;
    }

    const results = await waitForRotation(client, targets, value, flags.timeout);
    if (flags.output === "json" || flags.output === "yaml") return print(renderData(results, flags.output));
    print(
      renderTable(
        ["NAMESPACE", "NAME", "TOKEN ID", "REVISION", "EXPIRES"],
        results.map((r) => [
          r.namespace,
          r.name,
          r.tokenId ?? "-",
          `${r.previousRevision ?? "-"} → ${r.revision ?? "-"}`,
          r.expiresAt ?? "never",
        ]),
      ),
    );
  } finally {
    client.close();
  }
}

async function waitForRotation(
  client: Awaited<ReturnType<typeof kubeAccess>>["client"],
  targets: AccessTokenObject[],
  value: string,
  timeoutMs: number,
): Promise<Rotated[]> {
  const progress = progressLine();
  const deadline = Date.now() + timeoutMs;
  const pending = new Map(targets.map((at) => [keyOf(at), at]));
  const results: Rotated[] = [];
  let last = "";
  try {
    while (pending.size > 0) {
      for (const [key, before] of pending) {
        const raw = await client.get(accessTokensPath(before.metadata.namespace, before.metadata.name));
        if (!raw) throw new CliFailure(`AccessToken ${key} was deleted while rotating`);
        const at = AccessTokenSchema.parse(raw);
        const s = state(at, value);
        if (s.failed) throw new CliFailure(`AccessToken ${key} cannot be rotated: ${s.failed}`);
        if (s.done) {
          pending.delete(key);
          results.push({
            namespace: at.metadata.namespace ?? "",
            name: at.metadata.name,
            ...(at.status?.tokenId ? { tokenId: at.status.tokenId } : {}),
            ...(at.status?.revision !== undefined ? { revision: at.status.revision } : {}),
            ...(before.status?.revision !== undefined ? { previousRevision: before.status.revision } : {}),
            ...(at.status?.expiresAt ? { expiresAt: at.status.expiresAt } : {}),
          });
          progress.update(colour.green(`✓ rotated ${key}`));
        } else {
          last = `${key}: ${s.text}`;
          const remaining = pending.size > 1 ? ` (${pending.size} left)` : "";
          progress.update(`waiting for ${last}${remaining}`);
        }
      }
      if (pending.size === 0) break;
      if (Date.now() > deadline)
        throw new CliFailure(
          `timed out after ${Math.round(timeoutMs / 1000)}s waiting for the new token of ${[...pending.keys()].join(", ")} (${last})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    progress.done();
  }
  return results;
}
