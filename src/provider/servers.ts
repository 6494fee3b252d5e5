import type { ServerKind } from "../crd/index.js";
import { EMBEDDED_SERVER_NAME } from "../crd/index.js";
import type { ServerRefProps } from "./access-token-props.js";
import type { ManifestResource } from "./cdktf.js";
import { Construct, isUnresolved, manifestResource } from "./cdktf.js";
import type { DeclareOptions, DeclaredServer } from "./declare-options.js";
import { refTo } from "./declare-options.js";
import { kubernetesObject, objectMeta } from "./manifests.js";
import type { FieldError, ObjectMetaInput } from "./problems.js";
import { formatFieldError, serverProblems } from "./problems.js";
import { duplicateProblems, registerDeclared } from "./stack-checks.js";

/** The Secret holding a token-server admin token, in the TokenServer's namespace. */
export interface TokenServerCredentialsProps {
  /** Name of the Secret. */
  readonly name: string;
  /** Key in the Secret holding the admin token. Defaults to `token`. */
  readonly key?: string;
}

/** The Secret holding a token-server admin token, in any namespace. */
export interface ClusterTokenServerCredentialsProps extends TokenServerCredentialsProps {
  /** Namespace of the Secret. */
  readonly namespace: string;
}

/** A label selector requirement over namespace labels. */
export interface LabelSelectorRequirementProps {
  /** The label key. */
  readonly key: string;
  /** `In`, `NotIn`, `Exists` or `DoesNotExist`. */
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  /** Values for In and NotIn; must be empty for Exists and DoesNotExist. */
  readonly values?: string[];
}

/** A label selector over namespaces. */
export interface NamespaceSelectorProps {
  /** Labels a namespace must have, all of them. */
  readonly matchLabels?: Record<string, string>;
  /** Requirements a namespace's labels must meet, all of them. */
  readonly matchExpressions?: LabelSelectorRequirementProps[];
}

/** How to reach a token server: a TokenServer's spec. */
export interface TokenServerSpecProps {
  /** Base URL of the token server, e.g. `https://tokens.internal:8443`. */
  readonly url: string;
  /**
   * The Secret holding a token-server admin token, which the operator uses to manage tokens. It must
   * be in the TokenServer's namespace. Create it outside Terraform (or with a secret manager): an
   * admin token written by Terraform would sit in its state.
   */
  readonly credentialsSecretRef: TokenServerCredentialsProps;
  /** Base64-encoded PEM CA certificates to trust for the server's TLS certificate. Default: the system roots. */
  readonly caBundle?: string;
}

/** How to reach a token server, and who may use it: a ClusterTokenServer's spec. */
export interface ClusterTokenServerSpecProps {
  /** Base URL of the token server, e.g. `https://tokens.internal:8443`. */
  readonly url: string;
  /**
   * The Secret holding a token-server admin token, which the operator uses to manage tokens. Create
   * it outside Terraform (or with a secret manager): an admin token written by Terraform would sit in
   * its state.
   */
  readonly credentialsSecretRef: ClusterTokenServerCredentialsProps;
  /** Base64-encoded PEM CA certificates to trust for the server's TLS certificate. Default: the system roots. */
  readonly caBundle?: string;
  /**
   * Namespaces whose AccessTokens may use this server. Default: all. Other namespaces' AccessTokens
   * get Ready=False with reason NamespaceNotAllowed.
   */
  readonly allowedNamespaces?: NamespaceSelectorProps;
}

export interface TokenServerProps extends TokenServerSpecProps, DeclareOptions {
  /** Name of the TokenServer. Defaults to the construct id. */
  readonly name?: string;
  /** Namespace of the TokenServer; only AccessTokens in this namespace can use it. */
  readonly namespace: string;
}

export interface ClusterTokenServerProps extends ClusterTokenServerSpecProps, DeclareOptions {
  /** Name of the ClusterTokenServer. Defaults to the construct id. `embedded` is the operator's own. */
  readonly name?: string;
}

abstract class ServerConstruct extends Construct implements DeclaredServer {
  abstract readonly kind: ServerKind;
  readonly name: string;
  readonly namespace?: string;
  /** The `kubernetes_manifest` resource holding the object. */
  readonly manifest: ManifestResource;
  readonly path: string;

  protected constructor(
    scope: Construct,
    id: string,
    kind: ServerKind,
    meta: ObjectMetaInput,
    spec: object,
    options: DeclareOptions,
  ) {
    super(scope, id);
    this.name = meta.name;
    this.namespace = meta.namespace;
    this.path = this.node.path;
    this.manifest = manifestResource(this, "manifest", {
      manifest: kubernetesObject(kind, meta, spec),
      ...(options.wait === false ? {} : { waitForCondition: "Ready" }),
      ...(options.timeout ? { timeout: options.timeout } : {}),
    });
    registerDeclared(this, { kind, namespace: meta.namespace ?? "", name: meta.name });
    const label = meta.namespace ? `${kind} ${meta.namespace}/${meta.name}` : `${kind} ${meta.name}`;
    this.node.addValidation({
      validate: () =>
        [
          ...serverProblems(kind, meta, spec as Record<string, unknown>, isUnresolved),
          ...this.extraProblems(),
        ]
          .concat(duplicateProblems(this, { kind, namespace: meta.namespace ?? "", name: meta.name }))
          .map((e) => `${label}: ${formatFieldError(e)}`),
    });
  }

  protected extraProblems(): FieldError[] {
    return [];
  }

  /** A reference for an AccessToken's `serverRef`; tokens using it are applied after this server. */
  get ref(): ServerRefProps {
    return refTo(this);
  }
}

/** A TokenServer: a token server that AccessTokens in its namespace can use. */
export class TokenServer extends ServerConstruct {
  readonly kind = "TokenServer" as const;
  declare readonly namespace: string;

  constructor(scope: Construct, id: string, props: TokenServerProps) {
    const { name, namespace, url, credentialsSecretRef, caBundle, ...options } = props;
    super(
      scope,
      id,
      "TokenServer",
      objectMeta(name ?? id, namespace, options),
      { url, credentialsSecretRef, caBundle },
      options,
    );
  }
}

/** A ClusterTokenServer: a token server that AccessTokens in any allowed namespace can use. */
export class ClusterTokenServer extends ServerConstruct {
  readonly kind = "ClusterTokenServer" as const;

  constructor(scope: Construct, id: string, props: ClusterTokenServerProps) {
    const { name, url, credentialsSecretRef, caBundle, allowedNamespaces, ...options } = props;
    super(
      scope,
      id,
      "ClusterTokenServer",
      objectMeta(name ?? id, undefined, options),
      { url, credentialsSecretRef, caBundle, allowedNamespaces },
      options,
    );
  }

  protected override extraProblems(): FieldError[] {
    return this.name === EMBEDDED_SERVER_NAME
      ? [
          {
            path: "metadata.name",
            message: `"${EMBEDDED_SERVER_NAME}" is the operator's own embedded server; choose another name`,
          },
        ]
      : [];
  }
}
