-- Export requests (Art. 15/20) are data-subject requests too: each export row
-- points at its gdpr_operations entry, so the operations log (and its due dates)
-- lists every request, not only erasures and restrictions.
ALTER TABLE gdpr_exports ADD COLUMN operation_id uuid REFERENCES gdpr_operations(id) ON DELETE SET NULL;
-- The foreign key's lookup when an operation row goes (ON DELETE SET NULL).
CREATE INDEX gdpr_exports_operation_idx ON gdpr_exports (operation_id);
