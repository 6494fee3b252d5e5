import { StoreError } from "./domain/store-faults.js";
import type { StoreLocation } from "./store/store.js";

/**
 * A store that cannot be opened at start-up, said for whoever starts the process: which host
 * (never the credentials), the driver's own words, and which setting to fix — not the 503 a
 * client would get.
 */
export function startupError(err: unknown, location: StoreLocation): unknown {
  if (
    location.kind !== "postgres" ||
    !(err instanceof StoreError && err.fault.kind === "unreachable" && err.cause instanceof Error)
  )
    return err;
  return new Error(
    `cannot reach PostgreSQL at ${hostOf(location.url)} (DATABASE_URL / --database-url): ${err.cause.message}`,
    { cause: err.cause },
  );
}

/** host:port of a connection string, never its credentials. */
function hostOf(url: string): string {
  try {
    const { hostname, port } = new URL(url);
    return `${hostname || "localhost"}:${port || "5432"}`;
  } catch {
    return "the configured host";
  }
}
