import type { Logger } from "pino";
import type { TokenServerApi } from "../api/index.js";
import { httpTokenServerApi } from "../client/index.js";
import {
  DEFAULT_CREDENTIALS_KEY,
  EMBEDDED_SERVER_NAME,
  formatFieldError,
  parseClusterTokenServer,
  parseTokenServer,
  type LabelSelector,
  type ServerRef,
} from "../crd/index.js";
import type { Informer } from "./runtime/informer.js";
import type { KubeClient } from "./kube/client.js";
import type { KubeObject, Secret } from "./kube/objects.js";
import { resourcePath, SECRETS } from "./kube/resources.js";
import { matchesSelector } from "./label-selector.js";
import { serverRefKey } from "./naming.js";

/** Why a serverRef cannot be used (becomes the Ready condition's reason). */
export type ServerProblemReason =
  "ServerNotFound" | "ServerInvalid" | "NamespaceNotAllowed" | "CredentialsUnavailable";

export class ServerProblem extends Error {
  constructor(
    readonly reason: ServerProblemReason,
    message: string,
  ) {
    super(message);
    this.name = "ServerProblem";
  }
}

export interface ResolvedServer {
  /** `ClusterTokenServer/central`: recorded with each issuance. */
  key: string;
  /** Changes when the object is replaced or its spec changes (it may then be another server). */
  identity: string;
  api: TokenServerApi;
  embedded: boolean;
}

interface RemoteEntry {
  /** What the client was built from; a change rebuilds it. */
  fingerprint: string;
  fetchedAt: number;
  api: TokenServerApi;
}

const identityOf = (obj: KubeObject): string =>
  `${obj.metadata.uid}|${obj.metadata.generation ?? obj.metadata.resourceVersion}`;

/**
 * Turns an AccessToken's serverRef into a TokenServerApi: the embedded server in-process, or a
 * remote one over HTTP with the admin token read from the Secret the (Cluster)TokenServer
 * names. Server objects come from the operator's caches; credentials Secrets are read on
 * demand (they are not labelled, so not cached) and re-read after `credentialsTtlMs`.
 */
export class ServerRegistry {
  private readonly remotes = new Map<string, RemoteEntry>();

  constructor(
    private readonly deps: {
      client: KubeClient;
      tokenServers: Informer<KubeObject>;
      clusterTokenServers: Informer<KubeObject>;
      namespaces: Informer<KubeObject>;
      embedded: TokenServerApi | undefined;
      log: Logger;
      credentialsTtlMs: number;
      now: () => number;
    },
  ) {}

  get hasEmbedded(): boolean {
    return this.deps.embedded !== undefined;
  }

  /** Forget a remote client (e.g. its credentials were refused): the next resolve re-reads them. */
  invalidate(key: string): void {
    for (const k of this.remotes.keys())
      if (k.startsWith(`${key}|`) || k.startsWith(`${key}@`)) this.remotes.delete(k);
  }

  private async namespaceLabels(namespace: string): Promise<Record<string, string>> {
    const cached = this.deps.namespaces.get(namespace);
    if (cached) return cached.metadata.labels ?? {};
    const fetched = await this.deps.client.get<KubeObject>(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}`,
    );
    return fetched?.metadata.labels ?? {};
  }

  private async allowed(selector: LabelSelector | undefined, namespace: string): Promise<boolean> {
    if (!selector) return true;
    return matchesSelector(selector, await this.namespaceLabels(namespace));
  }

  /**
   * The server for `ref` as used from `namespace`. `forRevoke` skips the namespace policy: a
   * token issued before the policy changed is still revoked when its AccessToken goes.
   */
  async resolve(
    ref: ServerRef,
    namespace: string,
    opts: { forRevoke?: boolean } = {},
  ): Promise<ResolvedServer> {
    const key = serverRefKey(ref);
    if (ref.kind === "ClusterTokenServer") {
      const obj = this.deps.clusterTokenServers.get(ref.name);
      if (ref.name === EMBEDDED_SERVER_NAME && this.deps.embedded) {
        // The embedded server is always in-process; its registered object may add a namespace policy.
        const parsed = obj ? parseClusterTokenServer(obj) : undefined;
        const selector = parsed?.ok ? parsed.value.spec.allowedNamespaces : undefined;
        if (!opts.forRevoke && !(await this.allowed(selector, namespace)))
          throw new ServerProblem(
            "NamespaceNotAllowed",
            `ClusterTokenServer ${ref.name} does not allow namespace ${namespace} (allowedNamespaces)`,
          );
        return { key, identity: "embedded", api: this.deps.embedded, embedded: true };
      }
      if (!obj) throw new ServerProblem("ServerNotFound", `ClusterTokenServer ${ref.name} not found`);
      const parsed = parseClusterTokenServer(obj);
      if (!parsed.ok)
        throw new ServerProblem(
          "ServerInvalid",
          `ClusterTokenServer ${ref.name} is invalid: ${parsed.errors.map(formatFieldError).join("; ")}`,
        );
      const { spec } = parsed.value;
      if (!opts.forRevoke && !(await this.allowed(spec.allowedNamespaces, namespace)))
        throw new ServerProblem(
          "NamespaceNotAllowed",
          `ClusterTokenServer ${ref.name} does not allow namespace ${namespace} (allowedNamespaces)`,
        );
      const creds = spec.credentialsSecretRef;
      return {
        key,
        identity: identityOf(obj),
        embedded: false,
        api: await this.remote(key, obj, {
          url: spec.url,
          caBundle: spec.caBundle,
          secretNamespace: creds.namespace,
          secretName: creds.name,
          secretKey: creds.key ?? DEFAULT_CREDENTIALS_KEY,
        }),
      };
    }
    const obj = this.deps.tokenServers.get(`${namespace}/${ref.name}`);
    if (!obj)
      throw new ServerProblem(
        "ServerNotFound",
        `TokenServer ${ref.name} not found in namespace ${namespace}`,
      );
    const parsed = parseTokenServer(obj);
    if (!parsed.ok)
      throw new ServerProblem(
        "ServerInvalid",
        `TokenServer ${ref.name} is invalid: ${parsed.errors.map(formatFieldError).join("; ")}`,
      );
    const { spec } = parsed.value;
    return {
      key,
      identity: identityOf(obj),
      embedded: false,
      api: await this.remote(`${key}@${namespace}`, obj, {
        url: spec.url,
        caBundle: spec.caBundle,
        secretNamespace: namespace,
        secretName: spec.credentialsSecretRef.name,
        secretKey: spec.credentialsSecretRef.key ?? DEFAULT_CREDENTIALS_KEY,
      }),
    };
  }

  private async remote(
    key: string,
    obj: KubeObject,
    target: {
      url: string;
      caBundle?: string;
      secretNamespace: string;
      secretName: string;
      secretKey: string;
    },
  ): Promise<TokenServerApi> {
    const fingerprint = identityOf(obj);
    const cacheKey = `${key}|${fingerprint}`;
    const cached = this.remotes.get(cacheKey);
    if (cached && this.deps.now() - cached.fetchedAt < this.deps.credentialsTtlMs) return cached.api;
    const secret = await this.deps.client.get<Secret>(
      resourcePath(SECRETS, { namespace: target.secretNamespace, name: target.secretName }),
    );
    const where = `Secret ${target.secretNamespace}/${target.secretName}`;
    if (!secret)
      throw new ServerProblem("CredentialsUnavailable", `${where} (credentialsSecretRef) not found`);
    const encoded = secret.data?.[target.secretKey];
    if (!encoded)
      throw new ServerProblem("CredentialsUnavailable", `${where} has no key ${target.secretKey}`);
    const token = Buffer.from(encoded, "base64").toString("utf8").trim();
    // Tokens are printable ASCII; anything else cannot even be sent as a header (and is not
    // a server outage). The message never carries the value.
    if (!/^[\x21-\x7e]+$/.test(token))
      throw new ServerProblem(
        "CredentialsUnavailable",
        `${where} key ${target.secretKey} does not hold a token (${token === "" ? "it is empty" : "only printable ASCII without spaces can be one"})`,
      );
    const api = httpTokenServerApi({
      url: target.url,
      token,
      ...(target.caBundle ? { caBundle: Buffer.from(target.caBundle, "base64").toString("utf8") } : {}),
    });
    for (const k of this.remotes.keys()) if (k.startsWith(`${key}|`)) this.remotes.delete(k);
    this.remotes.set(cacheKey, { fingerprint, fetchedAt: this.deps.now(), api });
    return api;
  }
}
