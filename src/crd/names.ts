/** Names shared by the CRDs, the operator and the Secrets it writes. */
export const API_GROUP = "tokenplane.dev";
export const API_VERSION = "v1alpha1";
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/** Annotate an AccessToken with a new value to rotate its token once. */
export const ROTATE_ANNOTATION = `${API_GROUP}/rotate`;
/** Labels every managed Secret carries; a Secret template may not set them. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const ACCESS_TOKEN_LABEL = `${API_GROUP}/access-token`;

/** The ClusterTokenServer the operator registers for its embedded server. */
export const EMBEDDED_SERVER_NAME = "embedded";

export const SERVER_KINDS = ["ClusterTokenServer", "TokenServer"] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export const ROLLOUT_TARGET_KINDS = ["Deployment", "StatefulSet", "DaemonSet"] as const;
export type RolloutTargetKind = (typeof ROLLOUT_TARGET_KINDS)[number];

export const DELETION_POLICIES = ["Revoke", "Retain"] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

export const REFILL_INTERVALS = ["daily", "weekly", "monthly"] as const;
export type RefillInterval = (typeof REFILL_INTERVALS)[number];

/** Why the Secret's token value was last (re)issued. */
export const ROTATION_REASONS = ["Initial", "SpecChanged", "Manual", "Scheduled", "Drift"] as const;
export type RotationReason = (typeof ROTATION_REASONS)[number];
