import type { Store } from "./store.js";
import { type Caller, requirePermission } from "./caller.js";
import type { AuditRecord, Page, PageRequest } from "./model.js";

export function auditService(store: Store) {
  return {
    /** Admins see everything; other users see their own actions and events about their tokens. */
    list(
      caller: Caller,
      filter: { actor?: string | undefined; tokenId?: string | undefined },
      page: PageRequest,
    ): Promise<Page<AuditRecord>> {
      requirePermission(caller, "audit", "read");
      return store.audit.list(
        {
          actorUserId: filter.actor,
          tokenId: filter.tokenId,
          visibleTo: caller.user.admin ? undefined : caller.user.id,
        },
        page,
      );
    },
  };
}

export type AuditService = ReturnType<typeof auditService>;
