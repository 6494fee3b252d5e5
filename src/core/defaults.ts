/** Product-wide defaults, shared by the server, the operator and the command line. */

/** The one port serving the token API, /healthz, /readyz and /metrics. */
export const DEFAULT_PORT = 8080;
/** The embedded database's directory (and, unless configured, the pepper's). */
export const DEFAULT_DATA_DIR = "./.tokenplane/data";
/** The coordination.k8s.io Lease the operator's replicas elect a leader with. */
export const DEFAULT_LEADER_ELECTION_ID = "tokenplane-operator";
/** Where the Helm chart keeps the embedded server's admin token (release "tokenplane"). */
export const DEFAULT_ADMIN_SECRET = { name: "tokenplane", key: "admin-token" } as const;
