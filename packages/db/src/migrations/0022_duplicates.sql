-- Duplicate contacts: the likely pairs the last scan found, the pairs a member said are
-- different people, and merges kept for 30 days so they can be undone.

-- Ids, a score and reason codes only (never the matching values): replaced by each scan.
CREATE TABLE duplicate_candidates (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  contact_a_id uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  contact_b_id uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  score real NOT NULL,
  reasons jsonb NOT NULL,
  found_at timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, contact_a_id, contact_b_id),
  CHECK (contact_a_id < contact_b_id)
);
CREATE INDEX duplicate_candidates_rank_idx ON duplicate_candidates (workspace_id, score DESC, contact_a_id, contact_b_id);
CREATE INDEX duplicate_candidates_a_idx ON duplicate_candidates (contact_a_id);
CREATE INDEX duplicate_candidates_b_idx ON duplicate_candidates (contact_b_id);

-- "Not the same person": remembered so no scan or form proposes the pair again.
CREATE TABLE duplicate_dismissals (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  contact_a_id uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  contact_b_id uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  dismissed_by uuid REFERENCES users(id) ON DELETE SET NULL,
  dismissed_at timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, contact_a_id, contact_b_id),
  CHECK (contact_a_id < contact_b_id)
);
CREATE INDEX duplicate_dismissals_a_idx ON duplicate_dismissals (contact_a_id);
CREATE INDEX duplicate_dismissals_b_idx ON duplicate_dismissals (contact_b_id);

-- A merge, with what it takes to undo it exactly: the merged contact's row, the survivor's
-- values before and after, and every row it re-pointed or removed. Deleted when undone, when
-- the undo period ends, and with the survivor (erasure, purge).
CREATE TABLE contact_merges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  survivor_id uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  merged_contact_id uuid NOT NULL,
  merged_by uuid REFERENCES users(id) ON DELETE SET NULL,
  merged_at timestamptz NOT NULL,
  undo_until timestamptz NOT NULL,
  merged_contact jsonb NOT NULL,
  survivor_before jsonb NOT NULL,
  survivor_after jsonb NOT NULL,
  moved jsonb NOT NULL
);
CREATE INDEX contact_merges_workspace_idx ON contact_merges (workspace_id, merged_at DESC);
CREATE INDEX contact_merges_survivor_idx ON contact_merges (survivor_id);
CREATE INDEX contact_merges_merged_idx ON contact_merges (merged_contact_id);
CREATE INDEX contact_merges_undo_until_idx ON contact_merges (undo_until);
