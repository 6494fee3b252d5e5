import { orMissing } from "../client/index.js";
import type { Resource } from "../api/index.js";
import type { Value, ValueObject } from "./cty-value.js";
import { DiagnosticsError, errorAt } from "./diagnostics.js";
import type { ManagedResource } from "./resource-kinds.js";
import type { AttributeSpec, BlockSpec } from "./schema.js";
import { basePlan, changedAttributes, obj, replacePaths, str, strings } from "./value-ops.js";

const routesAttribute = (computed: boolean): AttributeSpec => ({
  nested: {
    nesting: "list",
    attributes: {
      path_prefix: {
        type: "string",
        ...(computed ? { computed: true } : { required: true }),
        description: "Requests whose path starts with this (e.g. `/orders`) belong to the resource.",
      },
      methods: {
        type: ["set", "string"],
        ...(computed ? { computed: true } : { optional: true }),
        description: "Only these HTTP methods (default: all).",
      },
    },
  },
  ...(computed ? { computed: true } : { optional: true }),
  description: "Routes for forward auth: which request paths are this resource.",
});

export const registryEntrySchema: BlockSpec = {
  description:
    "An entry of the server's resource registry. Custom permissions may name only registered resources.",
  attributes: {
    id: { type: "string", computed: true, description: "Same as `name`." },
    name: { type: "string", required: true, requiresReplace: true, description: "The resource name." },
    description: {
      type: "string",
      optional: true,
      computed: true,
      default: "",
      description: "What the resource is.",
    },
    routes: routesAttribute(false),
    built_in: {
      type: "bool",
      computed: true,
      description: "Whether this is one of the server's own resources.",
    },
    created_at: { type: "string", computed: true, description: "When it was registered (RFC 3339)." },
  },
};

export const routesState = (r: Resource): Value =>
  r.routes.map((route) => ({ path_prefix: route.pathPrefix, methods: route.methods ?? null }));

export function registryEntryState(r: Resource, configuredRoutes: Value = null): ValueObject {
  return {
    id: r.name,
    name: r.name,
    description: r.description,
    // No routes configured and none on the server: keep null, as configured.
    routes: r.routes.length === 0 && configuredRoutes === null ? null : routesState(r),
    built_in: r.builtIn,
    created_at: r.createdAt,
  };
}

export { routesAttribute };

type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/** The API's routes from the planned `routes` attribute (undefined when not configured). */
function routesBody(value: Value | undefined): { pathPrefix: string; methods?: Method[] }[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return (value as readonly Value[]).map((r) => {
    const route = obj(r) ?? {};
    const methods = strings(route.methods);
    return { pathPrefix: str(route.path_prefix) ?? "", ...(methods ? { methods: methods as Method[] } : {}) };
  });
}

/** `tokenplane_resource`: description and routes change in place; a new name replaces it. */
export const registryEntryResource: ManagedResource = {
  typeName: "tokenplane_resource",
  schema: registryEntrySchema,
  plan({ prior, config }) {
    const planned = basePlan(registryEntrySchema, prior, config);
    if (!prior) return { planned: { ...planned, id: config.name ?? null } };
    const changed = changedAttributes(registryEntrySchema, prior, planned);
    return { planned, requiresReplace: replacePaths(registryEntrySchema, changed) };
  },
  async create({ api }, planned) {
    const routes = routesBody(planned.routes);
    const created = await api.createResource({
      name: str(planned.name) ?? "",
      description: str(planned.description) ?? "",
      ...(routes ? { routes } : {}),
    });
    return registryEntryState(created, planned.routes ?? null);
  },
  async read({ api }, state) {
    const found = await orMissing(api.getResource(str(state.name) ?? ""));
    return found ? registryEntryState(found, state.routes ?? null) : null;
  },
  async update({ api }, _prior, planned) {
    const updated = await api.updateResource(str(planned.name) ?? "", {
      description: str(planned.description) ?? "",
      // No routes configured: none (forward auth then matches no path to this resource).
      routes: routesBody(planned.routes) ?? [],
    });
    return registryEntryState(updated, planned.routes ?? null);
  },
  async delete({ api }, prior) {
    await orMissing(api.deleteResource(str(prior.name) ?? ""));
  },
  async importState({ api }, id) {
    const found = await orMissing(api.getResource(id));
    if (!found) throw new DiagnosticsError([errorAt(undefined, `No registered resource named "${id}"`)]);
    return registryEntryState(found);
  },
};
