-- "," separates tags everywhere (the form, imports, exports) and ";" is still read from older
-- files, so a tag may no longer contain either. Tags written before are split as a re-import
-- of their export would split them, and a saved view filtering on one keeps its first tag.
UPDATE contacts c
SET tags = ARRAY(
  SELECT DISTINCT lower(btrim(piece)) COLLATE "C"
  FROM unnest(c.tags) AS t(tag), regexp_split_to_table(t.tag, '[,;]') AS piece
  WHERE btrim(piece) <> ''
  ORDER BY 1)
WHERE EXISTS (SELECT 1 FROM unnest(c.tags) AS t(tag) WHERE t.tag ~ '[,;]');

UPDATE saved_views
SET filters = CASE
  WHEN btrim(split_part(translate(filters->>'tag', ';', ','), ',', 1)) = '' THEN filters - 'tag'
  ELSE jsonb_set(filters, '{tag}', to_jsonb(lower(btrim(split_part(translate(filters->>'tag', ';', ','), ',', 1)))))
END
WHERE filters->>'tag' ~ '[,;]';
