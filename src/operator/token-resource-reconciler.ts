import type { Logger } from "pino";
import { ApiError, type Resource, resourceNameField } from "../api/index.js";
import { canonical } from "./canonical.js";
import { setCondition } from "./conditions.js";
import {
  API_GROUP,
  EMBEDDED_SERVER_NAME,
  formatFieldError,
  parseTokenResource,
  type TokenResourceSpec,
  type TokenResourceStatus,
} from "../crd/index.js";
import type { EventRecorder } from "./runtime/events.js";
import { classifyFailure } from "./failures.js";
import { isNotFound, type KubeClient } from "./kube/client.js";
import type { Informer } from "./runtime/informer.js";
import type { KubeObject } from "./kube/objects.js";
import { resourcePath, TOKEN_RESOURCES } from "./kube/resources.js";
import { ServerProblem, type ServerRegistry } from "./server-registry.js";

/** Held while the resource may still be registered on the server. */
export const RESOURCE_FINALIZER = `${API_GROUP}/unregister`;

export interface TokenResourceDeps {
  client: KubeClient;
  tokenResources: Informer<KubeObject>;
  servers: ServerRegistry;
  events: EventRecorder;
  log: Logger;
  now: () => number;
}

type Ready = { status: "True" | "False"; reason: string; message: string };

export type TokenResourceOutcome =
  /** `registered`: the resource was created on the server now (AccessTokens waiting for it may go on). */
  | { kind: "done"; registered: boolean }
  /** Retried with backoff. */
  | { kind: "failed"; reason: string; message: string };

const done = (registered = false): TokenResourceOutcome => ({ kind: "done", registered });

/** Routes as the server stores them, comparable whatever order the methods were given in. */
function routesKey(
  routes: readonly { pathPrefix: string; methods?: readonly string[] | undefined }[],
): string {
  return canonical(
    routes.map((r) => ({ pathPrefix: r.pathPrefix, methods: r.methods ? [...r.methods].sort() : null })),
  );
}

function differs(spec: TokenResourceSpec, registered: Resource): boolean {
  return (
    (spec.description ?? "") !== registered.description ||
    routesKey(spec.routes ?? []) !== routesKey(registered.routes)
  );
}

/**
 * Keeps each TokenResource (cluster-scoped; its name is the resource's name) registered on its
 * ClusterTokenServer, and unregisters it when the object is deleted (finalizer
 * `tokenplane.dev/unregister`; a server refusing because tokens use it keeps the finalizer and
 * says so in the Ready condition, retried).
 */
export class TokenResourceReconciler {
  constructor(private readonly d: TokenResourceDeps) {}

  async reconcile(name: string): Promise<TokenResourceOutcome> {
    const obj = this.d.tokenResources.get(name);
    if (!obj) return done();
    const parsed = parseTokenResource(obj);
    const serverName = (parsed.ok ? parsed.value.spec.serverRef?.name : undefined) ?? EMBEDDED_SERVER_NAME;
    const finalizers = obj.metadata.finalizers ?? [];
    try {
      if (obj.metadata.deletionTimestamp) {
        if (!finalizers.includes(RESOURCE_FINALIZER)) return done();
        await this.unregister(obj, name, serverName);
        await this.setFinalizers(
          obj,
          finalizers.filter((f) => f !== RESOURCE_FINALIZER),
        );
        return done();
      }
      if (!parsed.ok)
        return await this.status(obj, {
          status: "False",
          reason: "InvalidSpec",
          message: parsed.errors.map(formatFieldError).join("; "),
        });
      if (!resourceNameField.safeParse(name).success)
        return await this.status(obj, {
          status: "False",
          reason: "InvalidName",
          message: `metadata.name: a resource name is at most 63 characters of letters, digits, '.', '_' or '-'`,
        });
      const api = await this.api(serverName);
      let registered = await api.getResource(name);
      if (registered?.builtIn)
        return await this.status(obj, {
          status: "False",
          reason: "BuiltIn",
          message: `resource ${name} is built into the token server; it cannot be declared`,
        });
      // Before the server has it, so a deletion can never leave it registered behind.
      if (!finalizers.includes(RESOURCE_FINALIZER))
        await this.setFinalizers(obj, [...finalizers, RESOURCE_FINALIZER]);
      let created = false;
      if (!registered) {
        const spec = parsed.value.spec;
        registered = await api
          .createResource({
            name,
            ...(spec.description !== undefined ? { description: spec.description } : {}),
            ...(spec.routes ? { routes: spec.routes } : {}),
          })
          .catch(async (err: unknown) => {
            const raced =
              err instanceof ApiError && err.status === 409 ? await api.getResource(name) : undefined;
            if (raced) return raced;
            throw err;
          });
        created = true;
        this.d.events.record(obj, "Normal", "Registered", `registered on ClusterTokenServer ${serverName}`);
      }
      const spec = parsed.value.spec;
      if (differs(spec, registered)) {
        // The spec is the truth: routes and description follow it, tokens keep their permissions.
        await api.updateResource(name, { description: spec.description ?? "", routes: spec.routes ?? [] });
        this.d.events.record(
          obj,
          "Normal",
          "Updated",
          `routes and description set on ClusterTokenServer ${serverName}`,
        );
      }
      await this.status(obj, {
        status: "True",
        reason: "Registered",
        message: `registered on ClusterTokenServer ${serverName}`,
      });
      return done(created);
    } catch (err) {
      const failure = this.failure(err, name);
      await this.status(obj, { status: "False", reason: failure.reason, message: failure.message }).catch(
        (statusErr: unknown) =>
          this.d.log.warn(
            { tokenResource: name, err: (statusErr as Error).message },
            "could not write status",
          ),
      );
      return { kind: "failed", ...failure };
    }
  }

  private failure(err: unknown, name: string): { reason: string; message: string } {
    if (err instanceof ApiError && err.status === 409)
      return {
        reason: "InUse",
        message:
          `token server: ${err.problem.detail ?? err.problem.title}; resource ${name} stays registered ` +
          `(and this TokenResource with it) until no token uses it`,
      };
    const { reason, message } = classifyFailure(err);
    return { reason, message };
  }

  private async api(serverName: string) {
    // A cluster-scoped object: no namespace policy applies.
    return (
      await this.d.servers.resolve({ kind: "ClusterTokenServer", name: serverName }, "default", {
        forRevoke: true,
      })
    ).api;
  }

  private async unregister(obj: KubeObject, name: string, serverName: string): Promise<void> {
    let api;
    try {
      api = await this.api(serverName);
    } catch (err) {
      // The server itself is gone: nothing is left to unregister from.
      if (err instanceof ServerProblem && err.reason === "ServerNotFound") {
        this.d.log.info(
          { tokenResource: name, server: serverName },
          "server gone; releasing the TokenResource",
        );
        return;
      }
      throw err;
    }
    const existing = await api.getResource(name);
    if (existing && !existing.builtIn) await api.deleteResource(name);
    this.d.events.record(obj, "Normal", "Unregistered", `unregistered from ClusterTokenServer ${serverName}`);
  }

  private async setFinalizers(obj: KubeObject, finalizers: string[]): Promise<void> {
    await this.d.client.mergePatch(resourcePath(TOKEN_RESOURCES, { name: obj.metadata.name }), {
      metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion },
    });
  }

  private async status(obj: KubeObject, ready: Ready): Promise<TokenResourceOutcome> {
    const previous = (obj.status ?? {}) as TokenResourceStatus;
    const generation = obj.metadata.generation;
    const next: TokenResourceStatus = {
      observedGeneration: generation,
      conditions: setCondition(
        previous.conditions ?? [],
        { type: "Ready", ...ready },
        generation,
        this.d.now(),
      ),
    };
    if (canonical(previous) !== canonical(next)) {
      if (
        ready.status === "False" &&
        previous.conditions?.find((c) => c.type === "Ready")?.reason !== ready.reason
      )
        this.d.events.record(obj, "Warning", ready.reason, ready.message);
      try {
        await this.d.client.mergePatch(
          resourcePath(TOKEN_RESOURCES, { name: obj.metadata.name, subresource: "status" }),
          { status: next },
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return done();
  }
}
