/** The operator's public entry. For now: the CRDs, their types and parse functions. */
export * from "./crd/index.js";
export { OPERATOR_CLUSTER_RULES, OPERATOR_NAMESPACE_RULES, type PolicyRule } from "./rbac.js";
