/**
 * tokenplane's CDKTF construct library (`tokenplane/cdktf`): declare AccessTokens, TokenServers
 * ClusterTokenServers and TokenResources as Terraform `kubernetes_manifest` resources, validated at synth time by
 * the CRDs' own rules. Needs the peer dependencies `cdktf`, `constructs` and
 * `@cdktf/provider-kubernetes`, and a `KubernetesProvider` in the stack.
 */
export type {
  AccessTokenProps,
  CreditsProps,
  CreditsRefillProps,
  PermissionString,
  RateLimitProps,
  RolloutRestartTargetProps,
  RotationProps,
  SecretKeysProps,
  SecretTemplateProps,
  ServerRefProps,
} from "./access-token-props.js";
export type { DeclareOptions } from "./declare-options.js";
export { MAX_ACCESS_TOKEN_NAME } from "./problems.js";
export { DECLARED_BY_LABELS } from "./manifests.js";
export {
  ClusterTokenServer,
  TokenServer,
  type ClusterTokenServerCredentialsProps,
  type ClusterTokenServerProps,
  type ClusterTokenServerSpecProps,
  type LabelSelectorRequirementProps,
  type NamespaceSelectorProps,
  type TokenServerCredentialsProps,
  type TokenServerProps,
  type TokenServerSpecProps,
} from "./servers.js";
export { TokenResource, type TokenResourceProps, type TokenResourceRouteProps } from "./resources.js";
export {
  TokenplaneAccessToken,
  TokenplaneTokens,
  type AccessTokenOptions,
  type TokenOutput,
  type TokenplaneAccessTokenProps,
  type TokenplaneTokensProps,
} from "./tokens.js";
export {
  DataTokenplaneAccessToken,
  DataTokenplaneResources,
  DataTokenplaneUser,
  TokenplaneDefaultPermissions,
  TokenplaneProvider,
  TokenplaneResource,
  TokenplaneServerToken,
  TokenplaneUser,
  type RouteProps,
  type ServerTokenProps,
  type TokenplaneDefaultPermissionsProps,
  type TokenplaneProviderProps,
  type TokenplaneResourceProps,
  type TokenplaneUserProps,
} from "./server-provider.js";
