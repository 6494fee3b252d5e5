import { GROUP_VERSION } from "../crd/index.js";
import type { AccessTokenProps, ServerRefProps } from "./access-token-props.js";
import type { ManifestResource, ResourceDataSource } from "./cdktf.js";
import {
  Construct,
  isUnresolved,
  lazy,
  manifestResource,
  objectField,
  output,
  resourceDataSource,
} from "./cdktf.js";
import type { DeclareOptions } from "./declare-options.js";
import { declaredServer } from "./declare-options.js";
import { kubernetesObject, objectMeta } from "./manifests.js";
import type { FieldError } from "./problems.js";
import { accessTokenProblems, formatFieldError } from "./problems.js";
import {
  duplicateProblems,
  outputProblems,
  registerDeclared,
  registerOutput,
  registerSecret,
  secretProblems,
} from "./stack-checks.js";

/** How one AccessToken is declared, beyond its spec. */
export interface AccessTokenOptions extends DeclareOptions {
  /**
   * Rotate the token once for each new value, e.g. a date: sets the `tokenplane.dev/rotate`
   * annotation, which the operator acts on once per distinct value.
   */
  readonly rotate?: string;
}

export interface TokenplaneAccessTokenProps extends AccessTokenOptions {
  /** Name of the AccessToken (at most 63 characters). Defaults to the construct id. */
  readonly name?: string;
  /** Namespace of the AccessToken and of the Secret the operator writes. */
  readonly namespace: string;
  /** The AccessToken's spec. */
  readonly spec: AccessTokenProps;
}

/**
 * One AccessToken: a `kubernetes_manifest` holding it, and a `kubernetes_resource` data source that
 * reads its status back for the token id. The token itself stays in the Secret the operator
 * writes and never passes through Terraform.
 */
export class TokenplaneAccessToken extends Construct {
  readonly name: string;
  readonly namespace: string;
  /** The Secret the operator writes the token to (in `namespace`). */
  readonly secretName: string;
  /** The token's id on the token server (from the AccessToken's status once it is Ready). */
  readonly tokenId: string;
  /** The spec as declared. */
  readonly spec: AccessTokenProps;
  /** The `kubernetes_manifest` resource holding the AccessToken. */
  readonly manifest: ManifestResource;
  /** The `kubernetes_resource` data source reading the AccessToken back, status included. */
  readonly status: ResourceDataSource;

  constructor(scope: Construct, id: string, props: TokenplaneAccessTokenProps) {
    super(scope, id);
    const { name = id, namespace, spec, ...options } = props;
    this.name = name;
    this.namespace = namespace;
    this.spec = spec;
    this.secretName = spec.secretTemplate?.name ?? name;

    const server = declaredServer(spec.serverRef);
    const meta = objectMeta(name, namespace, options);
    this.manifest = manifestResource(this, "manifest", {
      manifest: kubernetesObject("AccessToken", meta, spec),
      ...(options.wait === false ? {} : { waitForCondition: "Ready" }),
      ...(options.timeout ? { timeout: options.timeout } : {}),
      ...(server ? { dependsOn: [server.manifest] } : {}),
    });
    this.status = resourceDataSource(this, "status", {
      apiVersion: GROUP_VERSION,
      kind: "AccessToken",
      name,
      namespace,
      after: this.manifest,
    });
    this.tokenId = objectField(this.status, ["status", "tokenId"]);

    const key = { kind: "AccessToken", namespace, name };
    registerDeclared(this, key);
    registerSecret(this, namespace, this.secretName);
    this.node.addValidation({
      validate: () => {
        const problems: FieldError[] = [
          ...accessTokenProblems(meta, spec as Record<string, unknown>, isUnresolved),
          ...duplicateProblems(this, key),
          ...secretProblems(this, namespace, this.secretName),
        ];
        if (server?.kind === "TokenServer" && server.namespace !== namespace) {
          problems.push({
            path: "spec.serverRef",
            message: `TokenServer ${server.namespace}/${server.name} can only be used by AccessTokens in namespace ${server.namespace}; use a ClusterTokenServer to share a server across namespaces`,
          });
        }
        return problems.map((e) => `AccessToken ${namespace}/${name}: ${formatFieldError(e)}`);
      },
    });
  }
}

export interface TokenplaneTokensProps extends DeclareOptions {
  /** Namespace of every AccessToken in the group, and of the Secrets the operator writes for them. */
  readonly namespace: string;
  /** The token server for every token in the group that names none. Default: the operator's embedded server. */
  readonly serverRef?: ServerRefProps;
  /**
   * Name of the Terraform output listing each token's Secret name and token id (never the token),
   * or `false` for none. Defaults to `<construct id>_tokens`.
   */
  readonly output?: string | false;
}

/** What the group's output holds for each token. */
export interface TokenOutput {
  namespace: string;
  secretName: string;
  tokenId: string;
}

/** A valid Terraform identifier made from a construct id. */
function outputName(id: string): string {
  const name = id.replace(/[^A-Za-z0-9_-]/g, "_");
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

/**
 * The AccessTokens of one namespace, e.g. one team's. Options given here (server, labels,
 * annotations, wait, timeout) apply to every token; a token's own options take precedence.
 */
export class TokenplaneTokens extends Construct {
  readonly namespace: string;
  /** Name of the Terraform output, if there is one. */
  readonly outputName: string | undefined;
  private readonly defaults: Omit<TokenplaneTokensProps, "namespace" | "output">;
  private readonly declared: TokenplaneAccessToken[] = [];

  constructor(scope: Construct, id: string, props: TokenplaneTokensProps) {
    super(scope, id);
    const { namespace, output: outputOption, ...defaults } = props;
    this.namespace = namespace;
    this.defaults = defaults;
    this.outputName = outputOption === false ? undefined : (outputOption ?? `${outputName(id)}_tokens`);
    if (this.outputName !== undefined) {
      const name = this.outputName;
      output(this, "tokens", {
        name,
        description: `Secret names and token ids of the AccessTokens in ${namespace} (declared by ${this.node.path}); never the tokens`,
        value: lazy(() => this.outputValue()),
      });
      registerOutput(this, name);
      this.node.addValidation({
        validate: () => outputProblems(this, name).map(formatFieldError),
      });
    }
  }

  /** Declares an AccessToken `name` in the group's namespace. */
  addToken(
    name: string,
    spec: AccessTokenProps = {},
    options: AccessTokenOptions = {},
  ): TokenplaneAccessToken {
    const { serverRef, labels, annotations, ...rest } = this.defaults;
    const token = new TokenplaneAccessToken(this, name, {
      ...rest,
      ...options,
      labels: { ...labels, ...options.labels },
      annotations: { ...annotations, ...options.annotations },
      name,
      namespace: this.namespace,
      spec: spec.serverRef || !serverRef ? spec : { serverRef, ...spec },
    });
    this.declared.push(token);
    return token;
  }

  /** The tokens declared so far, in order. */
  get tokens(): readonly TokenplaneAccessToken[] {
    return this.declared;
  }

  private outputValue(): Record<string, TokenOutput> {
    return Object.fromEntries(
      this.declared.map((t) => [
        t.name,
        { namespace: t.namespace, secretName: t.secretName, tokenId: t.tokenId },
      ]),
    );
  }
}
