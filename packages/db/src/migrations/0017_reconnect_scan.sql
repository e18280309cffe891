-- Reconnect reads a workspace's interactions once per contact in time order (the gaps between
-- touch days, the last interaction, the value): this index hands them over in that order with
-- everything the statement reads, so neither a sort of every interaction nor a visit to the
-- table is needed (an index-only scan once autovacuum has marked the pages all-visible).
CREATE INDEX interactions_workspace_contact_time_idx ON interactions (workspace_id, contact_id, occurred_at) INCLUDE (type);
