-- Foundation schema: accounts, workspaces, contacts, interactions, outbox, audit.
-- Runs unchanged on PostgreSQL >= 13 and on PGlite (no extensions needed:
-- case-insensitive uniqueness uses lower() expression indexes instead of citext).

CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL,
  name          text NOT NULL,
  password_hash text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Login looks users up by address; one account per address regardless of case.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE workspaces (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  created_by  uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workspaces_created_by_idx ON workspaces (created_by);

CREATE TABLE memberships (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role         text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, user_id)
);
-- "Which workspaces am I in" (workspaces.list) starts from the user.
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- A session is one refresh-token family: every rotation stays in the session,
-- and revoking the session (logout, reuse detection) kills all of its tokens.
CREATE TABLE sessions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  revoked_reason text,
  ip           text,
  user_agent   text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id  uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash  text NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- Refresh presents the token; we look it up by its SHA-256.
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE contacts (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email        text,
  name         text NOT NULL,
  company      text,
  title        text,
  phone        text,
  tags         text[] NOT NULL DEFAULT '{}',
  source       text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'gmail', 'import')),
  created_by   uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  deleted_at   timestamptz
);
-- One live contact per address in a workspace. Soft-deleted rows are left out
-- so a deleted contact does not block re-adding the person; restore re-checks.
CREATE UNIQUE INDEX contacts_workspace_email_key ON contacts (workspace_id, lower(email))
  WHERE email IS NOT NULL AND deleted_at IS NULL;
-- Keyset pagination for the three sorts of contacts.list (live rows only).
CREATE INDEX contacts_list_updated_idx ON contacts (workspace_id, updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX contacts_list_created_idx ON contacts (workspace_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX contacts_list_name_idx ON contacts (workspace_id, lower(name), id) WHERE deleted_at IS NULL;
-- Company filter (exact, case-insensitive) and the tag filter (array containment).
CREATE INDEX contacts_company_idx ON contacts (workspace_id, lower(company)) WHERE deleted_at IS NULL;
CREATE INDEX contacts_tags_idx ON contacts USING gin (tags);
-- Foreign key to workspaces: the cascade and any scan over live and deleted rows.
CREATE INDEX contacts_workspace_idx ON contacts (workspace_id);
-- "Recently deleted" view and the daily purge scan only soft-deleted rows.
CREATE INDEX contacts_deleted_idx ON contacts (workspace_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX contacts_created_by_idx ON contacts (created_by);

CREATE TABLE interactions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  contact_id   uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  type         text NOT NULL CHECK (type IN ('email', 'meeting', 'call', 'linkedin', 'note')),
  direction    text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  occurred_at  timestamptz NOT NULL,
  subject      text,
  summary      text,
  source       text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'gmail', 'import', 'calendar')),
  external_id  text,
  created_by   uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
-- Re-importing the same Gmail message / calendar event never duplicates it.
CREATE UNIQUE INDEX interactions_external_key ON interactions (workspace_id, source, external_id)
  WHERE external_id IS NOT NULL;
-- Contact timeline: newest first, keyset on (occurred_at, id).
CREATE INDEX interactions_timeline_idx ON interactions (contact_id, occurred_at DESC, id DESC);
-- Workspace-wide scans by time (analytics windows, activity charts).
CREATE INDEX interactions_workspace_time_idx ON interactions (workspace_id, occurred_at);
CREATE INDEX interactions_created_by_idx ON interactions (created_by);

-- Everyone on an email or meeting. Known people point at their contact; other
-- addresses are kept as written so a later import can link them.
CREATE TABLE interaction_participants (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  interaction_id uuid NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
  workspace_id   uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  contact_id     uuid REFERENCES contacts(id) ON DELETE CASCADE,
  email          text,
  display_name   text,
  role           text NOT NULL DEFAULT 'participant'
                 CHECK (role IN ('from', 'to', 'cc', 'bcc', 'organizer', 'attendee', 'participant')),
  CHECK (contact_id IS NOT NULL OR email IS NOT NULL)
);
CREATE UNIQUE INDEX interaction_participants_contact_key ON interaction_participants (interaction_id, contact_id)
  WHERE contact_id IS NOT NULL;
-- Foreign key to interactions (cascade on delete) and "who took part in these".
CREATE INDEX interaction_participants_interaction_idx ON interaction_participants (interaction_id);
-- The relationship graph walks contact -> interactions -> co-participants.
CREATE INDEX interaction_participants_contact_idx ON interaction_participants (contact_id, interaction_id);
CREATE INDEX interaction_participants_workspace_idx ON interaction_participants (workspace_id);

-- Transactional outbox. tx_id lets the dispatcher read only events whose
-- transaction is finished (see packages/api/src/events/dispatcher.ts), so an
-- event with a lower id that commits late is never skipped.
CREATE TABLE domain_events (
  id           bigserial PRIMARY KEY,
  tx_id        xid8 NOT NULL DEFAULT pg_current_xact_id(),
  workspace_id uuid REFERENCES workspaces(id) ON DELETE CASCADE,
  actor_id     uuid REFERENCES users(id) ON DELETE SET NULL,
  type         text NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now()
);
-- Dispatcher scan order.
CREATE INDEX domain_events_tx_idx ON domain_events (tx_id, id);
-- activity.list: a workspace's feed newest first, optionally by type.
CREATE INDEX domain_events_feed_idx ON domain_events (workspace_id, id DESC);
CREATE INDEX domain_events_feed_type_idx ON domain_events (workspace_id, type, id DESC);
CREATE INDEX domain_events_actor_idx ON domain_events (actor_id);

-- Durable consumer positions: one row per consumer, locked while a batch runs.
CREATE TABLE event_consumers (
  name          text PRIMARY KEY,
  last_tx_id    xid8 NOT NULL DEFAULT '0',
  last_event_id bigint NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Append-only audit trail. No foreign keys: entries must outlive what they name.
CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  workspace_id uuid,
  actor_id     uuid,
  action       text NOT NULL,
  target_type  text,
  target_id    text,
  ip           text,
  user_agent   text,
  metadata     jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now()
);
-- audit.list per workspace, newest first; and by action.
CREATE INDEX audit_log_workspace_idx ON audit_log (workspace_id, id DESC);
CREATE INDEX audit_log_workspace_action_idx ON audit_log (workspace_id, action, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id DESC);

CREATE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change();
CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change();
