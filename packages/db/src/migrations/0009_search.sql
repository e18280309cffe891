-- Search: full text over folded words and trigram similarity for typos, on contacts
-- and interactions. The embedded database (PGlite) loads the same two extensions.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

-- Lower case without accents. unaccent() is only STABLE (its dictionary could be
-- changed); naming the dictionary makes the result fixed, which index expressions need.
-- A standard SQL body is bound at creation, so it does not depend on search_path.
CREATE FUNCTION search_fold(value text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN lower(public.unaccent('public.unaccent'::regdictionary, value));

-- A contact's searchable text: name, email, company, title, the phone's digits, tags.
CREATE FUNCTION contact_search_text(name text, email text, company text, title text, phone text, tags text[])
  RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN search_fold(concat_ws(' ', name, email, company, title, regexp_replace(phone, '[^0-9]', '', 'g'),
                               array_to_string(tags, ' ')));

-- The same as words: the email split at its punctuation, so "jensen" finds anna.jensen@acme.com.
CREATE FUNCTION contact_search_doc(name text, email text, company text, title text, phone text, tags text[])
  RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN to_tsvector('simple'::regconfig,
    search_fold(concat_ws(' ', name, translate(email, '@._+-', '     '), company, title,
                          regexp_replace(phone, '[^0-9]', '', 'g'), array_to_string(tags, ' '))));

CREATE FUNCTION interaction_search_doc(subject text, summary text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN to_tsvector('simple'::regconfig, search_fold(concat_ws(' ', subject, summary)));

CREATE INDEX contacts_search_doc_idx ON contacts
  USING gin (contact_search_doc(name, email, company, title, phone, tags)) WHERE deleted_at IS NULL;
CREATE INDEX contacts_search_trgm_idx ON contacts
  USING gin (contact_search_text(name, email, company, title, phone, tags) gin_trgm_ops) WHERE deleted_at IS NULL;
-- Name prefixes in order (autocomplete), whatever the database's collation.
CREATE INDEX contacts_search_name_prefix_idx ON contacts
  (workspace_id, search_fold(name) text_pattern_ops) WHERE deleted_at IS NULL;

CREATE INDEX interactions_search_doc_idx ON interactions USING gin (interaction_search_doc(subject, summary));
CREATE INDEX interactions_search_subject_trgm_idx ON interactions USING gin (search_fold(subject) gin_trgm_ops);
