-- An export file may hold people other than its subject (a contact's interactions list
-- their co-participants; a member's export holds the workspace's contacts). When one of
-- them is erased, every export that may hold them is discarded: status 'discarded', the
-- reason as a code (never personal data), the file deleted from export storage.
ALTER TABLE gdpr_exports DROP CONSTRAINT gdpr_exports_status_check;
ALTER TABLE gdpr_exports ADD CONSTRAINT gdpr_exports_status_check
  CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'discarded'));
ALTER TABLE gdpr_exports ADD COLUMN discard_reason text;
ALTER TABLE gdpr_exports ADD CONSTRAINT gdpr_exports_discard_reason_check
  CHECK ((status = 'discarded') = (discard_reason IS NOT NULL));
-- The files left to delete (after commit, and by the daily purge if that failed).
CREATE INDEX gdpr_exports_discarded_files_idx ON gdpr_exports (id) WHERE status = 'discarded' AND file_key IS NOT NULL;
