-- Search reads a bounded number of candidate rows and tests each; the text it tests is
-- stored rather than derived again for every row read (folding and parsing cost tens of
-- microseconds a row). The stored columns are derived from the searchable columns by
-- the database, so an erasure that clears those clears them.

-- A contact's folded text (trigram similarity) and words (full text), as 0009 defines them.
ALTER TABLE contacts
  ADD COLUMN search_text text
    GENERATED ALWAYS AS (contact_search_text(name, email, company, title, phone, tags)) STORED,
  ADD COLUMN search_doc tsvector
    GENERATED ALWAYS AS (contact_search_doc(name, email, company, title, phone, tags)) STORED;
DROP INDEX contacts_search_doc_idx;
DROP INDEX contacts_search_trgm_idx;
CREATE INDEX contacts_search_doc_idx ON contacts USING gin (search_doc) WHERE deleted_at IS NULL;
CREATE INDEX contacts_search_trgm_idx ON contacts USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;

-- Exact and prefix matches on the email and the company, read in order from an index
-- range like the name's, so the best candidates come without reading every match.
CREATE INDEX contacts_search_email_prefix_idx ON contacts
  (workspace_id, search_fold(email) text_pattern_ops) WHERE deleted_at IS NULL;
CREATE INDEX contacts_search_company_prefix_idx ON contacts
  (workspace_id, search_fold(company) text_pattern_ops) WHERE deleted_at IS NULL;

-- An interaction's words: the newest matches are found by walking the workspace's
-- timeline and testing each row's stored words.
ALTER TABLE interactions
  ADD COLUMN search_doc tsvector GENERATED ALWAYS AS (interaction_search_doc(subject, summary)) STORED;
DROP INDEX interactions_search_doc_idx;
CREATE INDEX interactions_search_doc_idx ON interactions USING gin (search_doc);
