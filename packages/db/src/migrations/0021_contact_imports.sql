-- Contact imports (CSV/XLSX): one row per uploaded file, its options and counts; the
-- rows it skipped and why (the downloadable report); reusable column mappings.
-- The report keeps row numbers, fields and fixed reasons, never the cells themselves:
-- the person has the file, and nothing personal outlives the run here.
CREATE TABLE contact_imports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  format text NOT NULL CHECK (format IN ('csv', 'xlsx')),
  status text NOT NULL DEFAULT 'uploaded' CHECK (status IN ('uploaded', 'queued', 'running', 'completed', 'failed')),
  options jsonb,
  total_rows integer,
  processed_rows integer NOT NULL DEFAULT 0,
  created_count integer NOT NULL DEFAULT 0,
  updated_count integer NOT NULL DEFAULT 0,
  unchanged_count integer NOT NULL DEFAULT 0,
  skipped_count integer NOT NULL DEFAULT 0,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX contact_imports_workspace_idx ON contact_imports (workspace_id, created_at DESC);

CREATE TABLE contact_import_problems (
  import_id uuid NOT NULL REFERENCES contact_imports(id) ON DELETE CASCADE,
  row_number integer NOT NULL,
  field text NOT NULL,
  reason text NOT NULL,
  contact_id uuid REFERENCES contacts(id) ON DELETE SET NULL,
  PRIMARY KEY (import_id, row_number, field)
);

CREATE TABLE contact_import_templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name text NOT NULL,
  mapping jsonb NOT NULL,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contact_import_templates_name_idx ON contact_import_templates (workspace_id, lower(name));
