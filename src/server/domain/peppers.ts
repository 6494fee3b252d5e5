import { createHmac } from "node:crypto";

/**
 * Server peppers: HMAC keys that live outside the database, each with a version so they
 * can rotate. New secrets are hashed under the highest version; older versions still
 * verify and their secrets move to the current one on their next successful use.
 */
export interface Peppers {
  current: number;
  keys: ReadonlyMap<number, Buffer>;
}

export const MIN_PEPPER_LENGTH = 32;

/**
 * Reads `<version>:<secret>[,<version>:<secret>...]`, or one bare secret (version 1).
 * Throws with a message that names the problem but never the secret.
 */
export function parsePeppers(value: string): Peppers {
  const entries = value.split(",").map((part) => part.trim());
  const keys = new Map<number, Buffer>();
  for (const [i, entry] of entries.entries()) {
    const match = /^([0-9]{1,6}):(.*)$/s.exec(entry);
    const version = match ? Number(match[1]) : entries.length === 1 ? 1 : NaN;
    const secret = match ? (match[2] as string) : entry;
    if (!Number.isInteger(version) || version < 1) {
      throw new Error(`TOKENPLANE_PEPPER entry ${i + 1}: expected <version>:<secret> with version ≥ 1`);
    }
    if (secret.length < MIN_PEPPER_LENGTH) {
      throw new Error(
        `TOKENPLANE_PEPPER version ${version}: the secret must be at least ${MIN_PEPPER_LENGTH} characters`,
      );
    }
    if (keys.has(version)) throw new Error(`TOKENPLANE_PEPPER: version ${version} appears twice`);
    keys.set(version, Buffer.from(secret, "utf8"));
  }
  return { current: Math.max(...keys.keys()), keys };
}

export function hashSecret(peppers: Peppers, plain: string, version = peppers.current): Buffer {
  const key = peppers.keys.get(version);
  if (!key) throw new Error(`no pepper with version ${version}`);
  return createHmac("sha256", key).update(plain, "utf8").digest();
}
