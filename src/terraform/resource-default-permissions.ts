import type { ValueObject } from "./cty-value.js";
import type { ManagedResource } from "./resource-kinds.js";
import type { BlockSpec } from "./schema.js";
import { basePlan, strings } from "./value-ops.js";

/** The server has one set of default permissions; its Terraform id is fixed. */
const ID = "default-permissions";

export const defaultPermissionsSchema: BlockSpec = {
  description:
    "What anonymous requests may do (the server's one default-permissions setting). Destroying it sets it to empty.",
  attributes: {
    id: { type: "string", computed: true, description: `Always \`${ID}\`.` },
    permissions: {
      type: ["set", "string"],
      required: true,
      description: "Permissions such as `articles:read` granted to requests without a token.",
    },
  },
};

const state = (permissions: string[]): ValueObject => ({ id: ID, permissions });

/** `tokenplane_default_permissions`: a singleton setting, updated in place. */
export const defaultPermissionsResource: ManagedResource = {
  typeName: "tokenplane_default_permissions",
  schema: defaultPermissionsSchema,
  sets: new Set(["permissions"]),
  plan({ prior, config }) {
    return { planned: { ...basePlan(defaultPermissionsSchema, prior, config), id: ID } };
  },
  async create({ api }, planned) {
    return state(
      (await api.setDefaultPermissions({ permissions: strings(planned.permissions) ?? [] })).permissions,
    );
  },
  async read({ api }) {
    return state((await api.getDefaultPermissions()).permissions);
  },
  async update({ api }, _prior, planned) {
    return state(
      (await api.setDefaultPermissions({ permissions: strings(planned.permissions) ?? [] })).permissions,
    );
  },
  async delete({ api }) {
    await api.setDefaultPermissions({ permissions: [] });
  },
  async importState({ api }) {
    return state((await api.getDefaultPermissions()).permissions);
  },
};
