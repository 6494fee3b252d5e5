import type { Condition } from "../crd/index.js";

export type ConditionStatus = Condition["status"];

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** Kubernetes writes times with second precision; so do we, so a rewrite compares equal. */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * `conditions` with `next` set (metav1.Condition semantics): lastTransitionTime changes only
 * when the status does; observedGeneration is the generation the condition was computed for.
 */
export function setCondition(
  conditions: readonly Condition[],
  next: ConditionInput,
  generation: number | undefined,
  now: number,
): Condition[] {
  const current = conditions.find((c) => c.type === next.type);
  const updated: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    lastTransitionTime:
      current && current.status === next.status ? current.lastTransitionTime : kubeTime(now),
  };
  const others = conditions.filter((c) => c.type !== next.type);
  return [...others, updated].sort((a, b) => CONDITION_ORDER(a.type) - CONDITION_ORDER(b.type));
}

const CONDITION_ORDER = (type: string): number => (type === "Ready" ? 0 : type === "Issuing" ? 1 : 2);

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
