import { StoreError } from "../domain/store-faults.js";

/** Opaque pagination cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

export function decodeCursor<K extends string>(cursor: string, keys: readonly K[]): Record<K, string> {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (typeof value === "object" && value !== null) {
      const record = value as Record<string, unknown>;
      if (keys.every((k) => typeof record[k] === "string")) return record as Record<K, string>;
    }
  } catch {
    // fall through to the error below
  }
  throw new StoreError({ kind: "unknown-cursor" });
}

const MAX_BIGINT = 2n ** 63n - 1n;

/** Whether a cursor's key is a row sequence number PostgreSQL's bigint can hold. */
export function isSequence(value: string): boolean {
  return /^[0-9]{1,19}$/.test(value) && BigInt(value) <= MAX_BIGINT;
}
