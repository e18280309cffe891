-- A note is written down, not sent or received: it has no direction (the API refuses one).
ALTER TABLE interactions ALTER COLUMN direction DROP NOT NULL;
UPDATE interactions SET direction = NULL WHERE type = 'note';
