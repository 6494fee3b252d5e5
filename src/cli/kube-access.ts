import type { Command } from "commander";
import type { KubeClient } from "../operator/index.js";
import { UsageFailure } from "./failures.js";

/*
 * The Kubernetes API as kubectl reaches it: --kubeconfig, else KUBECONFIG (a list of files,
 * merged), else ~/.kube/config, else the pod's service account; --context picks a context;
 * -n, else the context's namespace, else "default".
 */

export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export function addKubeOptions(command: Command): Command {
  return command
    .option("--kubeconfig <file>", "kubeconfig file (default: KUBECONFIG, else ~/.kube/config)")
    .option("--context <name>", "the kubeconfig context to use")
    .option("-n, --namespace <namespace>", "the namespace (default: the context's, else default)");
}

export interface KubeAccess {
  client: KubeClient;
  namespace: string;
}

export async function kubeAccess(flags: KubeFlags): Promise<KubeAccess> {
  const { createKubeClient, kubeConfigClass } = await import("../operator/index.js");
  const KubeConfig = await kubeConfigClass();
  const kc = new KubeConfig();
  if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
  else kc.loadFromDefault();
  if (flags.context) {
    if (!kc.getContextObject(flags.context))
      throw new UsageFailure(`--context: no context "${flags.context}" in the kubeconfig`);
    kc.setCurrentContext(flags.context);
  }
  if (!kc.getCurrentCluster())
    throw new UsageFailure("no Kubernetes cluster configured: set KUBECONFIG or pass --kubeconfig");
  const namespace = flags.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  return {
    client: createKubeClient(kc, { userAgent: "tokenplane-cli", fieldManager: "tokenplane-cli" }),
    namespace,
  };
}
