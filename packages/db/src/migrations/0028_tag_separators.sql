-- "," separates tags everywhere (the form, imports, exports) and ";" is still read from older
-- files, so a tag may no longer contain either. Tags written before are split as a re-import
-- of their export would split them (splitTags and the tag schema: pieces trimmed of white space,
-- empty ones dropped, lower-cased, distinct, sorted, at most 50), in the contacts, in the
-- snapshots a merge keeps for its undo, and in saved views filtering on one (their first
-- non-empty piece). A changed contact counts as updated, so clients syncing by date see it.
CREATE FUNCTION pg_temp.tag_trim(piece text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT regexp_replace(piece,
    '^[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+|[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$',
    '', 'g')
$$;

CREATE FUNCTION pg_temp.split_tags(tags text[]) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce((ARRAY(
    SELECT DISTINCT lower(pg_temp.tag_trim(piece)) COLLATE "C"
    FROM unnest(tags) AS t(tag), regexp_split_to_table(t.tag, '[,;]') AS piece
    WHERE pg_temp.tag_trim(piece) <> ''
    ORDER BY 1))[1:50], '{}')
$$;

CREATE FUNCTION pg_temp.split_snapshot(snapshot jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN jsonb_typeof(snapshot->'tags') = 'array'
      AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(snapshot->'tags') AS t(tag) WHERE t.tag ~ '[,;]')
    THEN jsonb_set(snapshot, '{tags}',
      to_jsonb(pg_temp.split_tags(ARRAY(SELECT jsonb_array_elements_text(snapshot->'tags')))))
    ELSE snapshot
  END
$$;

UPDATE contacts
SET tags = pg_temp.split_tags(tags), updated_at = now()
WHERE EXISTS (SELECT 1 FROM unnest(tags) AS t(tag) WHERE t.tag ~ '[,;]');

UPDATE contact_merges
SET merged_contact = pg_temp.split_snapshot(merged_contact),
    survivor_before = pg_temp.split_snapshot(survivor_before),
    survivor_after = pg_temp.split_snapshot(survivor_after)
WHERE pg_temp.split_snapshot(merged_contact) IS DISTINCT FROM merged_contact
   OR pg_temp.split_snapshot(survivor_before) IS DISTINCT FROM survivor_before
   OR pg_temp.split_snapshot(survivor_after) IS DISTINCT FROM survivor_after;

UPDATE saved_views
SET filters = CASE
  WHEN pg_temp.split_tags(ARRAY[filters->>'tag']) = '{}' THEN filters - 'tag'
  ELSE jsonb_set(filters, '{tag}', to_jsonb((
    SELECT lower(pg_temp.tag_trim(piece))
    FROM regexp_split_to_table(filters->>'tag', '[,;]') WITH ORDINALITY AS p(piece, n)
    WHERE pg_temp.tag_trim(piece) <> ''
    ORDER BY n LIMIT 1)))
END
WHERE filters->>'tag' ~ '[,;]';
