import type { ServerKind } from "../crd/index.js";
import type { ServerRefProps } from "./access-token-props.js";
import type { ManifestResource } from "./cdktf.js";

/** How an object is declared, beyond its spec. */
export interface DeclareOptions {
  /** Labels of the object itself (on top of `app.kubernetes.io/managed-by: terraform` and `app.kubernetes.io/part-of: tokenplane`). */
  readonly labels?: Record<string, string>;
  /** Annotations of the object itself. */
  readonly annotations?: Record<string, string>;
  /**
   * Wait after each create and update until the operator reports the object Ready (default
   * `true`). An AccessToken is Ready once its Secret holds a working token; a server once the
   * operator reached it with its credentials. The wait checks the Ready condition only, so an update
   * of an object that was already Ready returns at once.
   */
  readonly wait?: boolean;
  /** How long Terraform waits on create and update, e.g. `5m` (default: the provider's 10m). */
  readonly timeout?: string;
}

/** A TokenServer or ClusterTokenServer declared in the same app, as an AccessToken's serverRef can point at it. */
export interface DeclaredServer {
  readonly kind: ServerKind;
  readonly name: string;
  /** TokenServer only. */
  readonly namespace?: string;
  readonly path: string;
  readonly manifest: ManifestResource;
}

const DECLARED = Symbol.for("tokenplane.dev/declared-server");

/** A serverRef that also remembers the construct it came from (JSON and the CRD never see it). */
export function refTo(server: DeclaredServer): ServerRefProps {
  const ref: ServerRefProps = { kind: server.kind, name: server.name };
  Object.defineProperty(ref, DECLARED, { value: server, enumerable: true });
  return ref;
}

export function declaredServer(ref: ServerRefProps | undefined): DeclaredServer | undefined {
  return ref ? (ref as unknown as Record<symbol, DeclaredServer | undefined>)[DECLARED] : undefined;
}
