-- Follow-ups: a title, a due date, an assignee, often a contact and the timeline item it follows up on.
CREATE TABLE tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  contact_id uuid REFERENCES contacts(id) ON DELETE CASCADE,
  interaction_id uuid REFERENCES interactions(id) ON DELETE SET NULL,
  title text NOT NULL,
  due_at timestamptz NOT NULL,
  assignee_id uuid REFERENCES users(id) ON DELETE SET NULL,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  completed_at timestamptz,
  completed_by uuid REFERENCES users(id) ON DELETE SET NULL,
  reminded_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_workspace_due_idx ON tasks (workspace_id, due_at);
CREATE INDEX tasks_contact_idx ON tasks (contact_id);
-- The reminder job looks for open, unreminded follow-ups that fell due.
CREATE INDEX tasks_reminder_due_idx ON tasks (due_at) WHERE completed_at IS NULL AND reminded_at IS NULL;
