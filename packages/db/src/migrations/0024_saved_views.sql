-- Saved views of the contacts list: a named set of its filters, sort and columns,
-- private to the member who saved it or shared with the workspace. Names are unique
-- per owner in a workspace (case-insensitive). A view whose owner is gone keeps
-- existing only if it was shared (the erasure deletes the private ones).
CREATE TABLE saved_views (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  owner_id uuid REFERENCES users(id) ON DELETE SET NULL,
  name text NOT NULL,
  shared boolean NOT NULL DEFAULT false,
  filters jsonb NOT NULL,
  sort text NOT NULL,
  columns jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX saved_views_owner_name_idx ON saved_views (workspace_id, owner_id, lower(name));
