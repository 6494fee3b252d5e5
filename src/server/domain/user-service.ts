import { randomUUID } from "node:crypto";
import type { CreateUserBody } from "../../api/index.js";
import type { Store } from "./store.js";
import { type Caller, requireAdmin } from "./caller.js";
import { conflict, notFound } from "./errors.js";
import type { Page, PageRequest, UserRecord } from "./model.js";

export function userService(store: Store) {
  const audit = (caller: Caller, action: string, id: string, details: Record<string, unknown>) => ({
    actor: caller.actor,
    action,
    targetType: "user",
    targetId: id,
    targetUserId: id,
    details,
  });

  return {
    list(caller: Caller, page: PageRequest, name?: string): Promise<Page<UserRecord>> {
      requireAdmin(caller, "users", "read");
      return store.users.list(page, name);
    },

    async get(caller: Caller, id: string): Promise<UserRecord> {
      if (id !== caller.user.id) requireAdmin(caller, "users", "read");
      const user = await store.users.get(id);
      if (!user) throw notFound("user");
      return user;
    },

    create(caller: Caller, body: CreateUserBody): Promise<UserRecord> {
      requireAdmin(caller, "users", "create");
      const id = randomUUID();
      const admin = body.admin ?? false;
      return store.users.create(
        { id, name: body.name, admin },
        audit(caller, "user.create", id, { name: body.name, admin }),
      );
    },

    async delete(caller: Caller, id: string): Promise<void> {
      requireAdmin(caller, "users", "delete");
      if (id === caller.user.id) throw conflict("you cannot delete the user you are authenticated as");
      const deleted = await store.users.delete(id, audit(caller, "user.delete", id, {}));
      if (!deleted) throw notFound("user");
    },
  };
}

export type UserService = ReturnType<typeof userService>;
