-- Gmail sync: a user's mailbox connected to a workspace, the OAuth states in flight,
-- refresh tokens still to revoke, and per-contact figures from the synced mail.
-- Tokens are stored sealed (AES-256-GCM with a key id), never in clear.
CREATE TABLE gmail_connections (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  google_email text NOT NULL,
  refresh_token_sealed text NOT NULL,
  access_token_sealed text,
  access_token_expires_at timestamptz,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'error')),
  last_error text,
  sync_frequency_min integer NOT NULL DEFAULT 5 CHECK (sync_frequency_min BETWEEN 1 AND 1440),
  max_emails integer NOT NULL DEFAULT 500 CHECK (max_emails BETWEEN 1 AND 10000),
  history_id text,
  sync_cursor jsonb,
  full_sync_due boolean NOT NULL DEFAULT true,
  last_sync_at timestamptz,
  last_full_sync_at timestamptz,
  next_sync_at timestamptz,
  lease_until timestamptz,
  lease_token uuid,
  progress_processed integer NOT NULL DEFAULT 0,
  progress_total integer NOT NULL DEFAULT 0,
  progress_started_at timestamptz,
  throttled_runs integer NOT NULL DEFAULT 0,
  skipped_reason text,
  skipped_at timestamptz,
  contacts_synced integer NOT NULL DEFAULT 0,
  interactions_logged integer NOT NULL DEFAULT 0,
  aliases text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- One mailbox connection per member and workspace.
CREATE UNIQUE INDEX gmail_connections_member_key ON gmail_connections (workspace_id, user_id);
CREATE INDEX gmail_connections_user_idx ON gmail_connections (user_id);
-- The scheduler's tick reads the active connections that are due.
CREATE INDEX gmail_connections_due_idx ON gmail_connections (next_sync_at) WHERE status = 'active';

CREATE TABLE gmail_oauth_states (
  nonce text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  code_verifier_sealed text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gmail_oauth_states_user_idx ON gmail_oauth_states (user_id);
CREATE INDEX gmail_oauth_states_expires_idx ON gmail_oauth_states (expires_at);

CREATE TABLE gmail_revocations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_sealed text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gmail_revocations_due_idx ON gmail_revocations (next_attempt_at);

CREATE TABLE gmail_contact_stats (
  contact_id uuid PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  total_emails integer NOT NULL,
  last_email_at timestamptz,
  last_subject text,
  emails_per_month jsonb NOT NULL,
  computed_at timestamptz NOT NULL
);
CREATE INDEX gmail_contact_stats_workspace_idx ON gmail_contact_stats (workspace_id);
