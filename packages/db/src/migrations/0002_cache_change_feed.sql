-- Cache and recommendations (issue 4). The relationship graph kept in memory
-- per workspace is patched with "this workspace's events that became visible
-- since snapshot S" (tx_id >= xmin(S), not visible in S); this index serves
-- that range per workspace instead of scanning every workspace's events.
CREATE INDEX domain_events_workspace_tx_idx ON domain_events (workspace_id, tx_id);
