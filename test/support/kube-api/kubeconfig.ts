import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";

export interface Credentials {
  user: string;
  token: string;
}

/**
 * A kubeconfig for the fixture. Plain HTTP needs `insecure-skip-tls-verify`, otherwise
 * client-node refuses to use an http:// server.
 */
export function kubeconfigObject(
  url: string,
  creds: Credentials,
  namespace: string,
): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kube-api-fixture", cluster: { server: url, "insecure-skip-tls-verify": true } }],
    users: [{ name: creds.user, user: { token: creds.token } }],
    contexts: [
      { name: "kube-api-fixture", context: { cluster: "kube-api-fixture", user: creds.user, namespace } },
    ],
    "current-context": "kube-api-fixture",
  };
}

export function kubeconfigYaml(url: string, creds: Credentials, namespace: string): string {
  return stringify(kubeconfigObject(url, creds, namespace));
}

export function makeKubeConfig(url: string, creds: Credentials, namespace: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(url, creds, namespace));
  return kc;
}
