/**
 * Every Kubernetes API permission the operator uses, and nothing more. The Helm chart's
 * RBAC must render exactly these (a test compares), and the end-to-end tests run the
 * operator against an API server that enforces them.
 */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * Cluster-wide: AccessTokens and Secrets live in every namespace the operator serves. Each verb
 * is one the operator's requests use (test/operator/reliability-security.test.ts compares).
 */
export const OPERATOR_CLUSTER_RULES: readonly PolicyRule[] = [
  // Cached by list + watch; the finalizer is added and removed with a patch; read live (get)
  // before healing a Secret that may have gone with its AccessToken.
  { apiGroups: ["tokenplane.dev"], resources: ["accesstokens"], verbs: ["get", "list", "watch", "patch"] },
  { apiGroups: ["tokenplane.dev"], resources: ["accesstokens/status"], verbs: ["patch"] },
  // No request uses it: where the OwnerReferencesPermissionEnforcement admission plugin runs,
  // the Secrets' ownerReference (blockOwnerDeletion) needs it.
  { apiGroups: ["tokenplane.dev"], resources: ["accesstokens/finalizers"], verbs: ["update"] },
  {
    apiGroups: ["tokenplane.dev"],
    resources: ["tokenservers", "clustertokenservers"],
    verbs: ["list", "watch"],
  },
  {
    apiGroups: ["tokenplane.dev"],
    resources: ["tokenservers/status", "clustertokenservers/status"],
    verbs: ["patch"],
  },
  // TokenResources: cached, the finalizer patched in and out, status written.
  { apiGroups: ["tokenplane.dev"], resources: ["tokenresources"], verbs: ["list", "watch", "patch"] },
  { apiGroups: ["tokenplane.dev"], resources: ["tokenresources/status"], verbs: ["patch"] },
  // The embedded server registers itself as ClusterTokenServer "embedded".
  { apiGroups: ["tokenplane.dev"], resources: ["clustertokenservers"], verbs: ["create", "patch"] },
  // Secrets it writes (and watches by label), and the credentials a TokenServer references.
  { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch", "create", "update"] },
  // allowedNamespaces of a ClusterTokenServer selects namespaces by label; kube-system's uid
  // names the cluster.
  { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  // Rollout restart of the workloads an AccessToken lists.
  { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "daemonsets"], verbs: ["patch"] },
];

/** In the operator's own namespace: leader election. */
export const OPERATOR_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
];
