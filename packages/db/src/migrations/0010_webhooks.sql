-- Outgoing webhooks: endpoints (signing secret sealed with AES-GCM, never in clear),
-- the messages created from outbox events (the exact body every attempt sends) and
-- every attempt. Messages and attempts are purged after WEBHOOK_RETENTION_DAYS.
CREATE TABLE webhook_endpoints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  url text NOT NULL,
  description text,
  event_types text[] NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  disabled_reason text,
  disabled_at timestamptz,
  secret_sealed text NOT NULL,
  previous_secret_sealed text,
  previous_secret_expires_at timestamptz,
  secret_rotated_at timestamptz,
  rate_limit_per_second integer NOT NULL DEFAULT 10 CHECK (rate_limit_per_second > 0),
  failing_since timestamptz,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_workspace_idx ON webhook_endpoints (workspace_id, created_at);

CREATE TABLE webhook_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  event_id bigint,
  event_type text NOT NULL,
  body text NOT NULL,
  contact_ids uuid[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  queued_until timestamptz,
  last_status_code integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  -- The outbox consumer may see a batch twice (at least once): one message per event and endpoint.
  CONSTRAINT webhook_messages_endpoint_event_key UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_messages_endpoint_idx ON webhook_messages (endpoint_id, created_at);
-- The sweeper's question: which pending messages are due.
CREATE INDEX webhook_messages_due_idx ON webhook_messages (next_attempt_at) WHERE status = 'pending';
-- Erasure: the stored bodies that hold a contact.
CREATE INDEX webhook_messages_contacts_idx ON webhook_messages USING gin (contact_ids);
CREATE INDEX webhook_messages_created_idx ON webhook_messages (created_at);

CREATE TABLE webhook_attempts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id uuid NOT NULL REFERENCES webhook_messages(id) ON DELETE CASCADE,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
  status_code integer NOT NULL,
  ok boolean NOT NULL,
  duration_ms integer NOT NULL,
  request_headers jsonb NOT NULL,
  response_body text,
  error text,
  next_attempt_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_attempts_message_idx ON webhook_attempts (message_id, created_at);
CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (endpoint_id, created_at);
