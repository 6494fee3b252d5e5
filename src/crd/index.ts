/** The operator's CRDs, defined once: zod schemas → TypeScript types, parse functions, CRD YAML. */
export * from "./names.js";
export { ACCESS_TOKEN_DEFAULTS } from "./defaults.js";
export {
  CRD_DURATION_MIN_LENGTH,
  CRD_DURATION_OR_UNLIMITED_PATTERN,
  CRD_DURATION_PATTERN,
  DURATION_MAX_LENGTH,
  celDurationMillis,
  durationMillis,
} from "./duration-cel.js";
export type { Condition } from "./fields.js";
export { conditionSchema } from "./fields.js";
export * from "./access-token.js";
export * from "./token-server.js";
export * from "./token-resource.js";
export { resolveAccessTokenSpec } from "./resolve.js";
export type { ResolvedAccessTokenSpec } from "./resolve.js";
export * from "./parse.js";
export type { CelRule, RuleReason } from "./rule.js";
export type { JSONSchemaProps, PlacedRule, ValidationRule } from "./structural.js";
export { structuralProblems, toStructuralSchema } from "./structural.js";
export * from "./crds.js";
export { exampleAccessToken, exampleClusterTokenServer, exampleTokenServer } from "./examples.js";
