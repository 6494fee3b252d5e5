import { conflict, DomainError, invalid, unavailable } from "./errors.js";

/**
 * What the store refuses, as facts (part of the store interface). The store raises a
 * `StoreError` with one of these; the sentences a user reads are written here.
 */
export type StoreFault =
  | { kind: "user-name-taken"; name: string; existingId: string | undefined }
  /** `existingId` when the store could tell which token holds it (on create). */
  | { kind: "external-id-taken"; existingId: string | undefined }
  | { kind: "resource-exists"; name: string }
  | { kind: "resource-built-in"; name: string; change: "update" | "delete" }
  | { kind: "resource-in-use"; name: string; count: number; tokenIds: string[] }
  | { kind: "resource-in-default-permissions"; name: string }
  /** Permissions (by index) naming a resource that is not registered. */
  | { kind: "unregistered-resources"; entries: { index: number; resource: string }[] }
  | { kind: "unknown-cursor" }
  /** The database, or this replica's change notifications (LISTEN), cannot serve now. */
  | { kind: "unreachable"; part: "database" | "notifications" };

const quoted = (name: string) => JSON.stringify(name);

function explain(fault: StoreFault): DomainError {
  switch (fault.kind) {
    case "user-name-taken":
      return conflict(`a user named ${quoted(fault.name)} already exists`, { existingId: fault.existingId });
    case "external-id-taken":
      return fault.existingId
        ? conflict("a token with this externalId already exists", { existingId: fault.existingId })
        : conflict("another token of this user already has this externalId");
    case "resource-exists":
      return conflict(`resource ${quoted(fault.name)} already exists`);
    case "resource-built-in":
      return conflict(
        fault.change === "update"
          ? `resource ${quoted(fault.name)} is built in and cannot be changed`
          : `resource ${quoted(fault.name)} is built in`,
      );
    case "resource-in-use": {
      const { name, count, tokenIds } = fault;
      const more = count > tokenIds.length ? ` and ${count - tokenIds.length} more` : "";
      return conflict(
        `resource ${quoted(name)} is used by ${count} token(s): ${tokenIds.join(", ")}${more}; ` +
          "change or revoke them first",
        { usedBy: { count, tokenIds } },
      );
    }
    case "resource-in-default-permissions":
      return conflict(`resource ${quoted(fault.name)} is used by the default permissions`);
    case "unregistered-resources":
      return invalid(
        fault.entries.map(({ index, resource }) => ({
          field: `permissions[${index}]`,
          message: `unknown resource ${quoted(resource)}; register it first (POST /api/v1/resources)`,
        })),
      );
    case "unknown-cursor":
      return invalid([{ field: "cursor", message: "is not a cursor this server issued" }]);
    case "unreachable":
      return unavailable(
        fault.part === "database"
          ? "storage is unreachable; try again"
          : "change notifications (LISTEN) are reconnecting",
      );
  }
}

/**
 * A store refusal: a DomainError whose code, detail and extra follow from the fault, which
 * it keeps for callers that act on the facts (the admin bootstrap, ensureUser races).
 */
export class StoreError extends DomainError {
  constructor(
    readonly fault: StoreFault,
    cause?: unknown,
  ) {
    const { code, message, extra } = explain(fault);
    super(code, message, extra);
    if (cause !== undefined) this.cause = cause;
  }
}
