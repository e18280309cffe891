-- A connection's own settings: addresses the owner also receives mail at (never contacts, like
-- the send-as list read from Google), and whether a message deleted in Gmail deletes its interaction.
ALTER TABLE gmail_connections ADD COLUMN configured_aliases text[] NOT NULL DEFAULT '{}';
ALTER TABLE gmail_connections ADD COLUMN delete_with_messages boolean NOT NULL DEFAULT false;
