import { orMissing } from "../client/index.js";
import type { User } from "../api/index.js";
import type { ValueObject } from "./cty-value.js";
import { errorAt, DiagnosticsError } from "./diagnostics.js";
import type { ManagedResource } from "./resource-kinds.js";
import type { BlockSpec } from "./schema.js";
import { basePlan, bool, changedAttributes, replacePaths, str } from "./value-ops.js";

export const userSchema: BlockSpec = {
  description: "A user of the token server: the owner of access tokens.",
  attributes: {
    id: { type: "string", computed: true, description: "The user's id." },
    name: {
      type: "string",
      required: true,
      requiresReplace: true,
      description: "Unique user name. The API cannot rename users: a change replaces the user.",
    },
    admin: {
      type: "bool",
      optional: true,
      computed: true,
      default: false,
      requiresReplace: true,
      description: "Whether the user is an admin (default false). A change replaces the user.",
    },
    created_at: { type: "string", computed: true, description: "When the user was created (RFC 3339)." },
  },
};

export const userState = (u: User): ValueObject => ({
  id: u.id,
  name: u.name,
  admin: u.admin,
  created_at: u.createdAt,
});

/** `tokenplane_user`. Deleting it deletes the user's tokens too. */
export const userResource: ManagedResource = {
  typeName: "tokenplane_user",
  schema: userSchema,
  plan({ prior, config }) {
    const planned = basePlan(userSchema, prior, config);
    if (!prior) return { planned };
    return {
      planned,
      requiresReplace: replacePaths(userSchema, changedAttributes(userSchema, prior, planned)),
    };
  },
  async create({ api }, planned) {
    return userState(
      await api.createUser({ name: str(planned.name) ?? "", admin: bool(planned.admin) ?? false }),
    );
  },
  async read({ api }, state) {
    const user = await orMissing(api.getUser(str(state.id) ?? ""));
    return user ? userState(user) : null;
  },
  update() {
    // Every configurable attribute requires replacement; Terraform never plans an in-place update.
    throw new DiagnosticsError([errorAt(undefined, "tokenplane_user cannot be updated in place")]);
  },
  async delete({ api }, prior) {
    await orMissing(api.deleteUser(str(prior.id) ?? ""));
  },
  async importState({ api }, id) {
    const user = (await orMissing(api.getUser(id))) ?? (await api.findUser(id));
    if (!user) throw new DiagnosticsError([errorAt(undefined, `No user with id or name "${id}"`)]);
    return userState(user);
  },
};
