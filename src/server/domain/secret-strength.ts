/** Shorter admin tokens are refused outright. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;
/**
 * The least estimated entropy an admin token must show. Random values clear it with room to
 * spare (32 hex characters, the weakest common choice, estimate 94 bits or more), while
 * repeats, runs and tiny alphabets do not (32 identical characters: 0).
 */
export const MIN_ADMIN_TOKEN_BITS = 80;

/** Shannon entropy of `items`' distribution, in bits per item. */
function entropyPerItem(items: readonly (string | number)[]): number {
  const counts = new Map<string | number, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / items.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** The shortest p with s[i] = s[i - p] throughout: `abcabcab` → 3. */
function period(chars: readonly string[]): number {
  outer: for (let p = 1; p < chars.length; p++) {
    for (let i = p; i < chars.length; i++) if (chars[i] !== chars[i - p]) continue outer;
    return p;
  }
  return chars.length;
}

/**
 * A deliberately rough upper bound on a secret's entropy, in bits: its repeating unit's
 * length times the smaller of the per-character entropy of its characters and of the steps
 * between them (so `abcdef…` or `012345…` count as little as `aaaa…`). It cannot see
 * dictionary words or keyboard walks; it catches the values that are plainly not random.
 */
export function estimatedBits(secret: string): number {
  const all = [...secret];
  const unit = all.slice(0, period(all));
  const steps = unit.slice(1).map((c, i) => (c.codePointAt(0) ?? 0) - (unit[i]?.codePointAt(0) ?? 0));
  return Math.min(entropyPerItem(unit) * unit.length, entropyPerItem(steps) * steps.length);
}

/** Why `token` may not be the admin token (never quoting it), or undefined when it may. */
export function adminTokenProblem(token: string): string | undefined {
  const advice = "use a random value, e.g. from `tokenplane generate-token` or `openssl rand -hex 32`";
  if (token.length < MIN_ADMIN_TOKEN_LENGTH)
    return `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters; ${advice}`;
  if (estimatedBits(token) < MIN_ADMIN_TOKEN_BITS)
    return `is too predictable (repeated characters or patterns, or too few distinct characters: at least ${MIN_ADMIN_TOKEN_BITS} bits of estimated entropy are required); ${advice}`;
  return undefined;
}
