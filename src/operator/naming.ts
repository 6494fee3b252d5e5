/**
 * Names the operator gives things on a token server. A ClusterTokenServer may serve several
 * clusters, so every name carries the cluster's identity: `--cluster-name`, by default the
 * UID of the cluster's kube-system namespace (stable for the cluster's lifetime).
 *
 * - the server user owning a namespace's tokens: `k8s:<cluster>:<namespace>`
 * - a token's name: `<namespace>/<name>` of its AccessToken
 * - a token's externalId: the AccessToken's UID (unique across clusters)
 */
export function serverUserName(cluster: string, namespace: string): string {
  return `k8s:${cluster}:${namespace}`;
}

export function serverTokenName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** How a serverRef is written in annotations and logs: `ClusterTokenServer/central`. */
export function serverRefKey(ref: { kind: string; name: string }): string {
  return `${ref.kind}/${ref.name}`;
}
