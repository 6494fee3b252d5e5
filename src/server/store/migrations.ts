import type { Database } from "./database.js";

/**
 * Ordered schema migrations. Each runs once, in a transaction, under an advisory lock so
 * replicas starting together do not race. Append only: never edit a released migration.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    id uuid PRIMARY KEY,
    seq bigserial NOT NULL UNIQUE,
    name text NOT NULL UNIQUE,
    admin boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
  );

  CREATE TABLE tokens (
    id uuid PRIMARY KEY,
    seq bigserial NOT NULL,
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    kind text NOT NULL,
    type text NOT NULL,
    permissions text[] NOT NULL DEFAULT '{}',
    duration text,
    expires_at timestamptz,
    allowed_domains text[] NOT NULL DEFAULT '{}',
    allowed_ips text[] NOT NULL DEFAULT '{}',
    signed_requests boolean NOT NULL DEFAULT false,
    credits_remaining integer,
    refill_amount integer,
    refill_interval text,
    refilled_at timestamptz,
    rate_limit integer,
    rate_window text,
    metadata jsonb NOT NULL DEFAULT '{}',
    external_id text,
    display_prefix text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revision integer NOT NULL DEFAULT 1,
    CONSTRAINT tokens_external_id_unique UNIQUE (user_id, external_id),
    CONSTRAINT tokens_credits_not_negative CHECK (credits_remaining IS NULL OR credits_remaining >= 0)
  );
  CREATE INDEX tokens_by_user ON tokens (user_id, seq);

  -- A token has one current secret and, during a grace period, superseded ones.
  CREATE TABLE token_secrets (
    hash bytea PRIMARY KEY,
    token_id uuid NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    pepper_version integer NOT NULL,
    public_key text,
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX token_secrets_by_token ON token_secrets (token_id);

  CREATE TABLE resources (
    name text PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    routes jsonb NOT NULL DEFAULT '[]',
    built_in boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  INSERT INTO resources (name, description, built_in) VALUES
    ('tokens', 'access tokens (the management API)', true),
    ('users', 'users (the management API)', true),
    ('resources', 'the resource registry', true),
    ('settings', 'server settings such as default permissions', true),
    ('audit', 'the audit log', true);

  CREATE TABLE settings (
    key text PRIMARY KEY,
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  INSERT INTO settings (key, value) VALUES ('default-permissions', '[]');

  CREATE TABLE audit_events (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_user_id uuid,
    actor_token_id uuid,
    actor_display text,
    action text NOT NULL,
    target_type text NOT NULL,
    target_id text,
    target_user_id uuid,
    details jsonb NOT NULL DEFAULT '{}'
  );
  CREATE INDEX audit_by_actor ON audit_events (actor_user_id, id DESC);
  CREATE INDEX audit_by_target ON audit_events (target_id, id DESC);
  CREATE INDEX audit_by_target_user ON audit_events (target_user_id, id DESC);
  `,
  `
  -- Signatures already accepted, so a replayed signed request is refused on every replica.
  CREATE TABLE seen_signatures (
    digest bytea PRIMARY KEY,
    expires_at timestamptz NOT NULL
  );
  CREATE INDEX seen_signatures_by_expiry ON seen_signatures (expires_at);
  `,
  `
  -- A revoked token stays, without secrets, so admins can see what was revoked and when.
  ALTER TABLE tokens ADD COLUMN revoked_at timestamptz;
  CREATE INDEX tokens_revoked ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
  `,
];

const LOCK_ID = 4_242_001; // arbitrary, constant: the advisory lock guarding migrations

export async function migrate(db: Database): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_ID]);
    await tx.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const [row] = await tx.query<{ v: number }>(
      "SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations",
    );
    const current = row?.v ?? 0;
    for (let v = current; v < MIGRATIONS.length; v++) {
      await tx.exec(MIGRATIONS[v] as string);
      await tx.query("INSERT INTO schema_migrations (version) VALUES ($1)", [v + 1]);
    }
    return MIGRATIONS.length;
  });
}
