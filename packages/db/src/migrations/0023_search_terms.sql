-- Typo tolerance through a vocabulary. Testing trigram similarity against every
-- contact's text or every interaction's subject costs in proportion to the matches the
-- trigram index cannot rule out (tens of thousands of rows re-read for a two-word query
-- over two million interactions). Instead a query's words are corrected against the
-- workspace's distinct words (a few thousand, trigram-indexed), and the corrected words
-- are looked up through the full-text indexes like any other word.

-- Each distinct word of a workspace's contacts and interactions (the lexemes of their
-- search_doc) of 3 to 40 letters without digits: typos in numbers are not corrected.
CREATE TABLE search_terms (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  term text NOT NULL,
  PRIMARY KEY (workspace_id, term)
);
CREATE INDEX search_terms_trgm_idx ON search_terms USING gin (term gin_trgm_ops);

-- New words are added by the statement that writes them (one INSERT per statement, in
-- a fixed order so two writers adding the same new words wait rather than deadlock).
-- Words that disappear are removed when a contact is erased (search's privacy handler).
CREATE FUNCTION search_terms_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_terms (workspace_id, term)
  SELECT DISTINCT w.workspace_id, w.term
  FROM (SELECT a.workspace_id, l.lexeme AS term FROM written a CROSS JOIN LATERAL unnest(a.search_doc) l) w
  WHERE length(w.term) BETWEEN 3 AND 40 AND w.term !~ '[0-9]'
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

-- The same for updated rows whose words changed (most updates touch other columns).
CREATE FUNCTION search_terms_add_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_terms (workspace_id, term)
  SELECT DISTINCT w.workspace_id, w.term
  FROM (SELECT a.workspace_id, l.lexeme AS term
        FROM written a JOIN previous p ON p.id = a.id CROSS JOIN LATERAL unnest(a.search_doc) l
        WHERE a.search_doc IS DISTINCT FROM p.search_doc) w
  WHERE length(w.term) BETWEEN 3 AND 40 AND w.term !~ '[0-9]'
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER contacts_search_terms_insert AFTER INSERT ON contacts
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION search_terms_add();
CREATE TRIGGER contacts_search_terms_update AFTER UPDATE ON contacts
  REFERENCING OLD TABLE AS previous NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION search_terms_add_changed();
CREATE TRIGGER interactions_search_terms_insert AFTER INSERT ON interactions
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION search_terms_add();
CREATE TRIGGER interactions_search_terms_update AFTER UPDATE ON interactions
  REFERENCING OLD TABLE AS previous NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION search_terms_add_changed();

INSERT INTO search_terms (workspace_id, term)
SELECT DISTINCT d.workspace_id, l.lexeme
FROM (SELECT workspace_id, search_doc FROM contacts UNION ALL SELECT workspace_id, search_doc FROM interactions) d
CROSS JOIN LATERAL unnest(d.search_doc) l
WHERE length(l.lexeme) BETWEEN 3 AND 40 AND l.lexeme !~ '[0-9]'
ON CONFLICT DO NOTHING;

-- Subjects are no longer tested by trigram similarity (their words are in the vocabulary).
DROP INDEX interactions_search_subject_trgm_idx;

-- Exact and prefix matches are read in (folded value, id) order, the order search asks
-- for: with the id in the index, the first `limit + 1` are read and nothing is sorted,
-- however many contacts share the prefix (a company name shared by thousands).
DROP INDEX contacts_search_name_prefix_idx;
DROP INDEX contacts_search_email_prefix_idx;
DROP INDEX contacts_search_company_prefix_idx;
CREATE INDEX contacts_search_name_prefix_idx ON contacts
  (workspace_id, search_fold(name) text_pattern_ops, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_search_email_prefix_idx ON contacts
  (workspace_id, search_fold(email) text_pattern_ops, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_search_company_prefix_idx ON contacts
  (workspace_id, search_fold(company) text_pattern_ops, id) WHERE deleted_at IS NULL;
