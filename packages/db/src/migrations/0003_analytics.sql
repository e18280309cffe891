-- Analytics (issue 5). Per-workspace interaction values and CLV thresholds, in
-- integer cents (sums stay exact). No row = the defaults (email $10, meeting $50,
-- call $25, linkedin $5, note $0; medium from $100, high from $500).
-- `revision` grows with every change and is part of the analytics cache key, so
-- new values take effect on the next request on every instance.
CREATE TABLE analytics_settings (
  workspace_id           uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  email_cents            integer NOT NULL DEFAULT 1000 CHECK (email_cents BETWEEN 0 AND 100000000),
  meeting_cents          integer NOT NULL DEFAULT 5000 CHECK (meeting_cents BETWEEN 0 AND 100000000),
  call_cents             integer NOT NULL DEFAULT 2500 CHECK (call_cents BETWEEN 0 AND 100000000),
  linkedin_cents         integer NOT NULL DEFAULT 500 CHECK (linkedin_cents BETWEEN 0 AND 100000000),
  note_cents             integer NOT NULL DEFAULT 0 CHECK (note_cents BETWEEN 0 AND 100000000),
  medium_threshold_cents bigint NOT NULL DEFAULT 10000,
  high_threshold_cents   bigint NOT NULL DEFAULT 50000,
  revision               integer NOT NULL DEFAULT 1,
  updated_by             uuid REFERENCES users(id) ON DELETE SET NULL,
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK (medium_threshold_cents >= 0 AND high_threshold_cents > medium_threshold_cents)
);
CREATE INDEX analytics_settings_updated_by_idx ON analytics_settings (updated_by);
