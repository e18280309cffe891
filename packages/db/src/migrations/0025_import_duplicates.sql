-- An import flags the rows it creates that look like a contact the workspace already had
-- (same number, or a similar name at the same company): the row is imported, and the
-- report says which contact it may duplicate. The check is one statement per batch of
-- rows, so each rule has an index it can probe row by row: the number's last six digits,
-- and the folded company with the folded name's first two letters. Both end with
-- created_at: contacts the import itself created are past the scan's upper bound.
CREATE INDEX contacts_phone_tail_idx ON contacts
  (workspace_id, right(regexp_replace(phone, '[^0-9]', '', 'g'), 6), created_at)
  WHERE deleted_at IS NULL AND phone IS NOT NULL;
CREATE INDEX contacts_company_name_idx ON contacts
  (workspace_id, search_fold(company), left(search_fold(name), 2), created_at)
  WHERE deleted_at IS NULL AND company IS NOT NULL;

-- 'skipped': the row was not imported (the reason says why); 'flagged': it was, and may duplicate contact_id.
ALTER TABLE contact_import_problems ADD COLUMN outcome text NOT NULL DEFAULT 'skipped'
  CHECK (outcome IN ('skipped', 'flagged'));
ALTER TABLE contact_imports ADD COLUMN flagged_count integer NOT NULL DEFAULT 0;
