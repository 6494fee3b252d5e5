import { orMissing } from "../client/index.js";
import { tokenComputedAttributes, tokenSettingAttributes, tokenState } from "./access-token-attributes.js";
import { DiagnosticsError, errorAt } from "./diagnostics.js";
import { routesAttribute, routesState } from "./resource-registry-entry.js";
import { userState } from "./resource-user.js";
import type { DataSource } from "./resource-kinds.js";
import { str } from "./value-ops.js";

/** `data "tokenplane_user"`: by id or by name; without either, the provider's own user. */
export const userDataSource: DataSource = {
  typeName: "tokenplane_user",
  schema: {
    description: "Looks up a user by `id` or `name`; with neither, the user the provider authenticates as.",
    attributes: {
      id: { type: "string", optional: true, computed: true, description: "The user's id." },
      name: { type: "string", optional: true, computed: true, description: "The user's name." },
      admin: { type: "bool", computed: true, description: "Whether the user is an admin." },
      created_at: { type: "string", computed: true, description: "Creation time (RFC 3339)." },
    },
  },
  validate(config) {
    return typeof config.id === "string" && typeof config.name === "string"
      ? [errorAt(["name"], "Give id or name, not both")]
      : [];
  },
  async read({ api }, config) {
    const id = str(config.id);
    const name = str(config.name);
    const user = id ? await orMissing(api.getUser(id)) : name ? await api.findUser(name) : await api.self();
    if (!user)
      throw new DiagnosticsError([
        errorAt(
          [id ? "id" : "name"],
          "User not found",
          `No user with ${id ? `id "${id}"` : `name "${name}"`}.`,
        ),
      ]);
    return userState(user);
  },
};

/** `data "tokenplane_access_token"`: a token's settings and status, never its secret. */
export const accessTokenDataSource: DataSource = {
  typeName: "tokenplane_access_token",
  schema: {
    description: "Reads an access token's metadata (never the plain token).",
    attributes: {
      user_id: { type: "string", required: true, description: "The owner's id." },
      ...tokenSettingAttributes("read"),
      ...tokenComputedAttributes,
      id: { type: "string", required: true, description: "The token's id." },
    },
  },
  async read({ api }, config) {
    const userId = str(config.user_id) ?? "";
    const tokenId = str(config.id) ?? "";
    const token = await orMissing(api.getToken(userId, tokenId));
    if (!token)
      throw new DiagnosticsError([
        errorAt(["id"], "Access token not found", `No token ${tokenId} for user ${userId}.`),
      ]);
    return tokenState(token);
  },
};

/** `data "tokenplane_resources"`: the whole registry, built-in resources included. */
export const resourcesDataSource: DataSource = {
  typeName: "tokenplane_resources",
  schema: {
    description: "Every resource in the server's registry, built-in ones included.",
    attributes: {
      id: { type: "string", computed: true, description: "Always `resources`." },
      resources: {
        nested: {
          nesting: "list",
          attributes: {
            name: { type: "string", computed: true, description: "The resource name." },
            description: { type: "string", computed: true, description: "What it is." },
            built_in: { type: "bool", computed: true, description: "One of the server's own resources." },
            routes: routesAttribute(true),
            created_at: { type: "string", computed: true, description: "When it was registered." },
          },
        },
        computed: true,
        description: "The registered resources, in the server's order.",
      },
    },
  },
  async read({ api }) {
    const all = await api.listResources();
    return {
      id: "resources",
      resources: all.map((r) => ({
        name: r.name,
        description: r.description,
        built_in: r.builtIn,
        routes: routesState(r),
        created_at: r.createdAt,
      })),
    };
  },
};
