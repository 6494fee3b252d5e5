import type { ROUTE_METHODS } from "../crd/index.js";
import { EMBEDDED_SERVER_NAME } from "../crd/index.js";
import type { PermissionString } from "./access-token-props.js";
import type { ManifestResource } from "./cdktf.js";
import { Construct, isUnresolved, manifestResource } from "./cdktf.js";
import type { DeclareOptions } from "./declare-options.js";
import { kubernetesObject, objectMeta } from "./manifests.js";
import { formatFieldError, tokenResourceProblems } from "./problems.js";
import type { ClusterTokenServer } from "./servers.js";
import { duplicateProblems, registerDeclared } from "./stack-checks.js";

/** A path prefix (and methods) that maps a request to the resource, for verify and forward-auth. */
export interface TokenResourceRouteProps {
  /** Requests whose path starts with this belong to the resource, e.g. `/api/orders`. */
  readonly pathPrefix: string;
  /** Only these HTTP methods. Default: all. */
  readonly methods?: (typeof ROUTE_METHODS)[number][];
}

export interface TokenResourceProps extends DeclareOptions {
  /** The resource's name (permissions name it as `<name>:<action>`). Defaults to the construct id. */
  readonly name?: string;
  /** What the resource is, for people. */
  readonly description?: string;
  readonly routes?: TokenResourceRouteProps[];
  /** The ClusterTokenServer to register it on (a construct is applied first). Default: the operator's embedded server. */
  readonly server?: ClusterTokenServer | string;
}

/**
 * A TokenResource: a resource in the token server's registry, declared in the cluster and
 * registered by the operator. AccessTokens whose permissions name it wait until it is.
 */
export class TokenResource extends Construct {
  readonly kind = "TokenResource" as const;
  readonly name: string;
  /** The `kubernetes_manifest` resource holding the object. */
  readonly manifest: ManifestResource;

  constructor(scope: Construct, id: string, props: TokenResourceProps = {}) {
    super(scope, id);
    const { name, description, routes, server, ...options } = props;
    this.name = name ?? id;
    const meta = objectMeta(this.name, undefined, options);
    const serverName = typeof server === "string" ? server : server?.name;
    const spec = {
      description,
      routes,
      serverRef: serverName && serverName !== EMBEDDED_SERVER_NAME ? { name: serverName } : undefined,
    };
    this.manifest = manifestResource(this, "manifest", {
      manifest: kubernetesObject("TokenResource", meta, spec),
      ...(options.wait === false ? {} : { waitForCondition: "Ready" }),
      ...(options.timeout ? { timeout: options.timeout } : {}),
      ...(server && typeof server !== "string" ? { dependsOn: [server.manifest] } : {}),
    });
    const key = { kind: "TokenResource", namespace: "", name: this.name };
    registerDeclared(this, key);
    this.node.addValidation({
      validate: () =>
        [...tokenResourceProblems(meta, spec, isUnresolved), ...duplicateProblems(this, key)].map(
          (e) => `TokenResource ${this.name}: ${formatFieldError(e)}`,
        ),
    });
  }

  /** A permission on this resource, for an AccessToken's `permissions` (e.g. `orders.permission("read")`). */
  permission(action: "create" | "read" | "update" | "delete" | "*"): PermissionString {
    return `${this.name}:${action}`;
  }
}
