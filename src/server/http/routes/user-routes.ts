import { CreateUserBody, ListUsersQuery, pageOf, User } from "../../../api/index.js";
import type { UserService } from "../../domain/user-service.js";
import { type Route, route } from "../endpoint.js";
import { UserParams } from "../../edge/params.js";
import { userView } from "../../edge/views.js";

export function userRoutes(users: UserService): Route[] {
  return [
    route({
      method: "get",
      path: "/api/v1/user",
      operationId: "getCallingUser",
      summary: "The user owning the calling token",
      tag: "users",
      auth: true,
      responses: { 200: { description: "the user", json: User } },
      handle: async ({ caller }) => ({ status: 200, body: userView(caller.user) }),
    }),
    route({
      method: "get",
      path: "/api/v1/users",
      operationId: "listUsers",
      access: { kind: "admin", resource: "users", action: "read" },
      summary: "List users (admin); ?name= finds one by name",
      tag: "users",
      auth: true,
      query: ListUsersQuery,
      responses: { 200: { description: "a page of users", json: pageOf(User) } },
      async handle({ caller, query }) {
        const page = await users.list(
          caller,
          { limit: query.limit ?? 100, cursor: query.cursor },
          query.name,
        );
        return { status: 200, body: { items: page.items.map(userView), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: "post",
      path: "/api/v1/users",
      operationId: "createUser",
      access: { kind: "admin", resource: "users", action: "create" },
      summary: "Create a user (admin)",
      tag: "users",
      auth: true,
      body: CreateUserBody,
      responses: {
        201: { description: "created", json: User },
        409: { description: "the name is taken; existingId names the user" },
      },
      handle: async ({ caller, body }) => ({ status: 201, body: userView(await users.create(caller, body)) }),
    }),
    route({
      method: "get",
      path: "/api/v1/users/{userId}",
      operationId: "getUser",
      summary: "One user (admin, or the user themself)",
      tag: "users",
      auth: true,
      params: UserParams,
      responses: { 200: { description: "the user", json: User } },
      handle: async ({ caller, params }) => ({
        status: 200,
        body: userView(await users.get(caller, params.userId)),
      }),
    }),
    route({
      method: "delete",
      path: "/api/v1/users/{userId}",
      operationId: "deleteUser",
      access: { kind: "admin", resource: "users", action: "delete" },
      summary: "Delete a user and revoke all their tokens (admin)",
      tag: "users",
      auth: true,
      params: UserParams,
      responses: { 204: { description: "deleted" } },
      async handle({ caller, params }) {
        await users.delete(caller, params.userId);
        return { status: 204 };
      },
    }),
  ];
}
