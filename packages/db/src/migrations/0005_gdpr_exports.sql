-- GDPR access/portability exports (issue 6, Art. 15/20). One row per export
-- request; the ZIP itself lives in export storage under `file_key` (an opaque
-- server-generated name) until `expires_at`, when a daily job deletes it.
-- subject_id is an opaque id (users.id or contacts.id), never a personal value.
CREATE TABLE gdpr_exports (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subject_kind    text NOT NULL CHECK (subject_kind IN ('user', 'contact')),
  subject_id      uuid NOT NULL,
  workspace_id    uuid REFERENCES workspaces(id) ON DELETE CASCADE,
  requested_by    uuid REFERENCES users(id) ON DELETE SET NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'completed', 'failed')),
  progress        integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  include         text[] NOT NULL DEFAULT '{}',
  file_key        text,
  file_size_bytes bigint,
  error           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  expires_at      timestamptz,
  CHECK (subject_kind = 'user' OR workspace_id IS NOT NULL)
);
-- At most one open export per subject (and workspace): a second request returns it.
CREATE UNIQUE INDEX gdpr_exports_open_idx ON gdpr_exports (subject_kind, subject_id, coalesce(workspace_id, '00000000-0000-0000-0000-000000000000'::uuid))
  WHERE status IN ('pending', 'in_progress');
CREATE INDEX gdpr_exports_workspace_idx ON gdpr_exports (workspace_id);
CREATE INDEX gdpr_exports_requested_by_idx ON gdpr_exports (requested_by);
CREATE INDEX gdpr_exports_expires_idx ON gdpr_exports (expires_at) WHERE file_key IS NOT NULL;
