import type { KubeConfig } from "@kubernetes/client-node";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * client-node's KubeConfig (kubeconfig files, in-cluster config, exec and OIDC credentials),
 * the one part of client-node the operator and the CLI use. Imported as a package, it loads
 * the whole generated API (~800 modules) first: +73 MB resident and ~0.3 s. `npm run build`
 * bundles KubeConfig alone (scripts/bundle-kube-config.ts): +24 MB. From the sources (tests,
 * tsx), there is no bundle and the package is imported.
 */
const BUNDLE = new URL("./kube-config.bundle.mjs", import.meta.url);

export async function kubeConfigClass(): Promise<typeof KubeConfig> {
  if (existsSync(fileURLToPath(BUNDLE)))
    return ((await import(BUNDLE.href)) as { KubeConfig: typeof KubeConfig }).KubeConfig;
  return (await import("@kubernetes/client-node")).KubeConfig;
}
