/** The operator's public entry: run it, and the CRDs it serves (types, parse functions, YAML). */

export { OPERATOR_CLUSTER_RULES, OPERATOR_NAMESPACE_RULES, type PolicyRule } from "./rbac.js";
export {
  DEFAULT_ADMIN_SECRET,
  DEFAULT_LEADER_ELECTION_ID,
  defaultIdentity,
  OPERATOR_VERSION,
  runOperator,
  type OperatorOptions,
  type RunningOperator,
  type TokenServerMode,
} from "./operator.js";
export { DEFAULT_CONTROLLER_TIMING, type ControllerTiming } from "./controller.js";
export { DEFAULT_LEADER_ELECTION_TIMING, type LeaderElectionTiming } from "./runtime/leader-election.js";
export { DEFAULT_INFORMER_TIMING, type InformerTiming } from "./runtime/informer.js";
export { FINALIZER } from "./access-token/finalize.js";
export type { ReconcileHooks } from "./access-token/context.js";
export { RESTARTED_AT_ANNOTATION } from "./rollout.js";
export { EMBEDDED_ANNOTATION } from "./embedded-registration.js";
export { MANAGED_BY_VALUE, PRIVATE_KEY_KEY, SECRET_ANNOTATIONS } from "./secret-contract.js";
export { serverTokenName, serverUserName } from "./naming.js";
export { createKubeClient, KubeError, type KubeClient } from "./kube/client.js";
export { kubeConfigClass } from "./kube/kube-config.js";
