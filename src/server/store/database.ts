/**
 * The SQL connection the store runs on. Two implementations: PostgreSQL through `pg`
 * and embedded PGlite. The store's SQL is written once against this interface.
 */
export type Row = Record<string, unknown>;

export interface Sql {
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

/** A transaction: SQL plus work to run once it has committed (never after a rollback). */
export interface Tx extends Sql {
  afterCommit(fn: () => void): void;
}

export interface Database extends Sql {
  readonly kind: "postgres" | "pglite";
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Delivers NOTIFY payloads on `channel` from any connection (any replica). */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
