-- The country whose numbering a workspace's phone numbers written without a country code are
-- read in ("030 1234567" in DE), so that they match the same number written internationally.
-- ISO 3166-1 alpha-2; null: such numbers match only when written alike.
ALTER TABLE workspaces ADD COLUMN IF NOT EXISTS phone_country text
  CONSTRAINT workspaces_phone_country_format CHECK (phone_country ~ '^[A-Z]{2}$');
