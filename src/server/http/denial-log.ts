import type { VerifyCode, VerifyDenial } from "../../api/index.js";
import { displayPrefix } from "../../core/index.js";
import type { Logger } from "../logger.js";

/** Only the display prefix of something shaped like a token: anything else may be a secret. */
export const tokenPrefixOf = (credential: string): string | undefined =>
  /^tp[sp]_/.test(credential) ? displayPrefix(credential) : undefined;

/** Refusals logged a second at most (per endpoint); the rest are counted in one summary line. */
export const DENIALS_LOGGED_PER_SECOND = 20;

export interface DenialLine {
  code: VerifyCode;
  denial?: VerifyDenial | undefined;
  /** The token's display prefix (its first 8 characters), never more of it. */
  token?: string | undefined;
}

/**
 * Logs refused verifications at info, at most `perSecond` lines a second: a flood of bad
 * tokens cannot fill the disk. What is dropped is counted and reported in one line once the
 * second is over (by a timer, so the count is not lost when the flood stops).
 */
export function createDenialLog(
  log: Logger,
  perSecond: number,
  now: () => number = Date.now,
  what = "verification",
) {
  let windowStart = -Infinity;
  let written = 0;
  let suppressed = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    timer = undefined;
    if (suppressed === 0) return;
    log.info(
      { suppressed },
      `${suppressed} more refused ${what}(s) not logged (at most ${perSecond} a second)`,
    );
    suppressed = 0;
  };

  return {
    record(line: DenialLine): void {
      const at = now();
      if (at - windowStart >= 1000) {
        if (suppressed > 0) {
          if (timer) clearTimeout(timer);
          flush();
        }
        windowStart = at;
        written = 0;
      }
      if (written < perSecond) {
        written++;
        log.info(
          { code: line.code, ...(line.denial ? { denial: line.denial } : {}), token: line.token },
          `${what} refused`,
        );
        return;
      }
      suppressed++;
      timer ??= setTimeout(flush, Math.max(0, windowStart + 1000 - at)).unref();
    },
    close(): void {
      if (timer) clearTimeout(timer);
      flush();
    },
  };
}

export type DenialLog = ReturnType<typeof createDenialLog>;
