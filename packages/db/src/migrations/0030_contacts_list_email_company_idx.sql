-- The contacts list sorted by email or by company read every live contact of the workspace
-- and sorted them for each page: unlike name and the dates (0001) these orders had no index.
-- Each index holds the order's expressions exactly as the list writes them (listOrder in
-- the contacts service): the empty flag (no value or '' sorts last), the folded text,
-- then the id, so a page is the next `limit + 1` entries after its cursor. A–Z walks it
-- forward; Z–A walks the non-empty entries backward, then the empty ones.
-- Plain CREATE INDEX: migrations run in one transaction, which CONCURRENTLY cannot.
CREATE INDEX IF NOT EXISTS contacts_list_email_idx ON contacts
  (workspace_id, (CASE WHEN coalesce(email, '') = '' THEN 1 ELSE 0 END), lower(coalesce(email, '')), id)
  WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS contacts_list_company_idx ON contacts
  (workspace_id, (CASE WHEN coalesce(company, '') = '' THEN 1 ELSE 0 END), lower(coalesce(company, '')), id)
  WHERE deleted_at IS NULL;
