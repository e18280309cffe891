-- Reconnect reads every contact's interactions in (contact, time) order, participants included.
-- A participant row carries its interaction's time, type and filed-under contact, so that read is
-- two index-ordered scans merged, not a join and a sort of every pair. Triggers keep the copies
-- equal to the interaction (no writer sets them by hand).
ALTER TABLE interaction_participants
  ADD COLUMN occurred_at timestamptz,
  ADD COLUMN type text,
  ADD COLUMN filed_contact_id uuid;

UPDATE interaction_participants p
SET occurred_at = i.occurred_at, type = i.type, filed_contact_id = i.contact_id
FROM interactions i
WHERE i.id = p.interaction_id;

CREATE FUNCTION interaction_participants_copy_interaction() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  SELECT i.occurred_at, i.type, i.contact_id INTO NEW.occurred_at, NEW.type, NEW.filed_contact_id
  FROM interactions i WHERE i.id = NEW.interaction_id;
  RETURN NEW;
END;
$$;

CREATE TRIGGER interaction_participants_copy_interaction
BEFORE INSERT OR UPDATE OF interaction_id, occurred_at, type, filed_contact_id ON interaction_participants
FOR EACH ROW EXECUTE FUNCTION interaction_participants_copy_interaction();

CREATE FUNCTION interactions_copy_to_participants() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE interaction_participants
  SET occurred_at = NEW.occurred_at, type = NEW.type, filed_contact_id = NEW.contact_id
  WHERE interaction_id = NEW.id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER interactions_copy_to_participants
AFTER UPDATE OF occurred_at, type, contact_id ON interactions
FOR EACH ROW EXECUTE FUNCTION interactions_copy_to_participants();

CREATE INDEX interaction_participants_contact_time_idx
  ON interaction_participants (workspace_id, contact_id, occurred_at) INCLUDE (type, filed_contact_id);
