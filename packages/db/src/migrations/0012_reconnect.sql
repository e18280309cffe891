-- Keeping in touch: a chosen frequency per contact (overrides the learned cadence), a snooze,
-- and the last "done", which restarts the clock until the next interaction.
CREATE TABLE contact_reconnect (
  contact_id uuid PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  keep_in_touch_days integer CONSTRAINT contact_reconnect_keep_in_touch_days CHECK (keep_in_touch_days BETWEEN 1 AND 730),
  snoozed_until timestamptz,
  done_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_reconnect_workspace_idx ON contact_reconnect (workspace_id);
