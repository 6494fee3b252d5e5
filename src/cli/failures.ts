import { CommanderError } from "commander";
import { ApiError } from "../api/index.js";

/*
 * How the CLI fails: one readable line on stderr and an exit code scripts can branch on —
 * 1 when the work failed (the server refused, a timeout, a broken config file), 2 when the
 * command line itself was wrong.
 */

/** The work failed: exit 1. */
export class CliFailure extends Error {
  readonly exitCode: number = 1;
}

/** The command line was wrong: exit 2. */
export class UsageFailure extends CliFailure {
  override readonly exitCode = 2;
}

/** A token-shaped string is never echoed back, even when the server quoted it. */
function redact(text: string): string {
  return text.replace(/\b(tp[sp]_[0-9A-Za-z]{4})[0-9A-Za-z]+/g, "$1…");
}

/** problem+json as one line: the title, then each bad field with its message. */
export function describeApiError(err: ApiError): string {
  const { problem } = err;
  const fields = problem.errors?.map((e) => `${e.field}: ${e.message}`) ?? [];
  const parts = [problem.title];
  if (fields.length > 0) parts.push(fields.join("; "));
  else if (problem.detail && problem.detail !== problem.title) parts.push(problem.detail);
  if (problem.existingId) parts.push(`existing token ${problem.existingId}`);
  return redact(`${parts.join(": ")} (HTTP ${err.status})`);
}

function describeNetworkError(err: NodeJS.ErrnoException): string | undefined {
  const codes: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "host not found",
    ECONNRESET: "connection reset",
    EHOSTUNREACH: "host unreachable",
    ETIMEDOUT: "timed out",
  };
  const known = err.code ? codes[err.code] : undefined;
  if (!known) return undefined;
  const target =
    "address" in err && typeof err.address === "string"
      ? ` (${err.address}${"port" in err && typeof err.port === "number" ? `:${err.port}` : ""})`
      : "";
  return `cannot reach the server${target}: ${known}`;
}

/** The line printed for a failure and the exit code, for anything a command may throw. */
export function failureOf(err: unknown): { message: string | undefined; exitCode: number } {
  if (err instanceof CommanderError)
    // Commander has already printed its message (and help, where asked for).
    return { message: undefined, exitCode: err.exitCode === 0 ? 0 : 2 };
  if (err instanceof CliFailure) return { message: redact(err.message), exitCode: err.exitCode };
  if (err instanceof ApiError) return { message: describeApiError(err), exitCode: 1 };
  if (err instanceof Error) {
    const network = describeNetworkError(err);
    if (network) return { message: network, exitCode: 1 };
    return { message: redact(err.message), exitCode: 1 };
  }
  return { message: redact(String(err)), exitCode: 1 };
}
