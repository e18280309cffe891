-- GDPR (issue 6): operations log, suppression list, restrictions.

-- Every data-subject request (Art. 12: due one month after receipt). Subjects
-- are referred to by opaque id only; no personal values are stored here.
CREATE TABLE gdpr_operations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid REFERENCES workspaces(id) ON DELETE CASCADE,
  type text NOT NULL,
  subject_kind text NOT NULL,
  subject_id uuid NOT NULL,
  reason text,
  status text NOT NULL DEFAULT 'pending',
  requested_by uuid,
  authorized_by uuid,
  requested_at timestamptz NOT NULL DEFAULT now(),
  due_at timestamptz NOT NULL,
  effective_at timestamptz,
  completed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gdpr_operations_subject_idx ON gdpr_operations (subject_kind, subject_id);
CREATE INDEX gdpr_operations_workspace_idx ON gdpr_operations (workspace_id, requested_at DESC);
CREATE INDEX gdpr_operations_due_deletions_idx ON gdpr_operations (effective_at) WHERE type = 'user_deletion' AND status = 'pending';

-- Erased contacts' addresses as a keyed HMAC (key held by the server only):
-- pseudonymous data kept for the single purpose of not re-importing the person.
CREATE TABLE gdpr_suppressions (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  address_hmac text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, address_hmac)
);

-- Art. 18 restrictions currently in force (lifting deletes the row; history is in gdpr_operations).
CREATE TABLE gdpr_restrictions (
  subject_kind text NOT NULL,
  subject_id uuid NOT NULL,
  workspace_id uuid REFERENCES workspaces(id) ON DELETE CASCADE,
  restricted_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subject_kind, subject_id)
);

-- Audit retention (issue 6): the log stays append-only, except that the daily
-- retention job may delete entries older than the cutoff it sets for its own
-- transaction (rapport.audit_retention_cutoff), and never any younger than a year.
CREATE OR REPLACE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cutoff text := current_setting('rapport.audit_retention_cutoff', true);
BEGIN
  IF TG_OP = 'DELETE' AND cutoff IS NOT NULL AND cutoff <> ''
     AND OLD.created_at < cutoff::timestamptz AND OLD.created_at < now() - interval '365 days' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
