import * as z from "zod";
import {
  AuditEvent,
  CreateResourceBody,
  DefaultPermissions,
  ListAuditQuery,
  pageOf,
  Resource,
  UpdateResourceBody,
} from "../../../api/index.js";
import type { AuditService } from "../../domain/audit-service.js";
import type { RegistryService } from "../../domain/registry-service.js";
import { type Route, route } from "../endpoint.js";
import { ResourceParams } from "../../edge/params.js";
import { auditView, resourceView } from "../../edge/views.js";

export function registryRoutes(registry: RegistryService, audit: AuditService): Route[] {
  return [
    route({
      method: "get",
      path: "/api/v1/resources",
      operationId: "listResources",
      access: { kind: "permission", resource: "resources", action: "read" },
      summary: "The resource registry (built-in management resources included)",
      tag: "resources",
      auth: true,
      responses: { 200: { description: "every resource", json: z.object({ items: z.array(Resource) }) } },
      handle: async ({ caller }) => ({
        status: 200,
        body: { items: (await registry.list(caller)).map(resourceView) },
      }),
    }),
    route({
      method: "post",
      path: "/api/v1/resources",
      operationId: "createResource",
      access: { kind: "admin", resource: "resources", action: "create" },
      summary: "Register a resource, optionally with the routes forward auth maps to it (admin)",
      tag: "resources",
      auth: true,
      body: CreateResourceBody,
      responses: { 201: { description: "registered", json: Resource } },
      handle: async ({ caller, body }) => ({
        status: 201,
        body: resourceView(await registry.create(caller, body)),
      }),
    }),
    route({
      method: "get",
      path: "/api/v1/resources/{name}",
      operationId: "getResource",
      access: { kind: "permission", resource: "resources", action: "read" },
      summary: "One resource",
      tag: "resources",
      auth: true,
      params: ResourceParams,
      responses: { 200: { description: "the resource", json: Resource } },
      handle: async ({ caller, params }) => ({
        status: 200,
        body: resourceView(await registry.get(caller, params.name)),
      }),
    }),
    route({
      method: "patch",
      path: "/api/v1/resources/{name}",
      operationId: "updateResource",
      access: { kind: "admin", resource: "resources", action: "update" },
      summary:
        "Change a resource's description or routes (admin); forward auth on every replica follows within a second",
      tag: "resources",
      auth: true,
      params: ResourceParams,
      body: UpdateResourceBody,
      responses: { 200: { description: "the resource as it now is", json: Resource } },
      handle: async ({ caller, params, body }) => ({
        status: 200,
        body: resourceView(await registry.update(caller, params.name, body)),
      }),
    }),
    route({
      method: "delete",
      path: "/api/v1/resources/{name}",
      operationId: "deleteResource",
      access: { kind: "admin", resource: "resources", action: "delete" },
      summary:
        "Remove a resource (admin); 409 while a token or the default permissions use it, naming the tokens",
      tag: "resources",
      auth: true,
      params: ResourceParams,
      responses: { 204: { description: "removed" } },
      async handle({ caller, params }) {
        await registry.delete(caller, params.name);
        return { status: 204 };
      },
    }),
    route({
      method: "get",
      path: "/api/v1/settings/default-permissions",
      operationId: "getDefaultPermissions",
      access: { kind: "permission", resource: "settings", action: "read" },
      summary: "What anonymous requests may do",
      tag: "settings",
      auth: true,
      responses: { 200: { description: "the default permissions", json: DefaultPermissions } },
      handle: async ({ caller }) => ({
        status: 200,
        body: { permissions: await registry.defaultPermissions(caller) },
      }),
    }),
    route({
      method: "put",
      path: "/api/v1/settings/default-permissions",
      operationId: "setDefaultPermissions",
      access: { kind: "admin", resource: "settings", action: "update" },
      summary: "Set what anonymous requests may do (admin)",
      tag: "settings",
      auth: true,
      body: DefaultPermissions,
      responses: { 200: { description: "the new default permissions", json: DefaultPermissions } },
      handle: async ({ caller, body }) => ({
        status: 200,
        body: { permissions: await registry.setDefaultPermissions(caller, body.permissions) },
      }),
    }),
    route({
      method: "get",
      path: "/api/v1/audit-events",
      operationId: "listAuditEvents",
      access: { kind: "permission", resource: "audit", action: "read" },
      summary: "Management actions, newest first; admins see all, others their own",
      tag: "audit",
      auth: true,
      query: ListAuditQuery,
      responses: { 200: { description: "a page of audit events", json: pageOf(AuditEvent) } },
      async handle({ caller, query }) {
        const page = await audit.list(
          caller,
          { actor: query.actor, tokenId: query.tokenId },
          { limit: query.limit ?? 100, cursor: query.cursor },
        );
        return { status: 200, body: { items: page.items.map(auditView), nextCursor: page.nextCursor } };
      },
    }),
  ];
}
