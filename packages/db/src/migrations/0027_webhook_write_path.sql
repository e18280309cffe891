-- Every event writes a message per endpoint, and every delivery an attempt and a new version
-- of its message (its status leaves the due index): each foreign key below is a lookup and a
-- row lock per row (on the one workspace row every endpoint's writer shares: a multixact per
-- concurrent writer), each index an entry per row version. These hold nothing the rest does
-- not: a message's endpoint belongs to its workspace, an attempt's message to its endpoint and
-- workspace, and deleting either cascades through the endpoint and then the message
-- (webhook_messages.endpoint_id, webhook_attempts.message_id, which stay). The retention purge,
-- the only reader of created_at alone, reads it per endpoint (webhook_messages_endpoint_idx).
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_endpoint_id_fkey;
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_workspace_id_fkey;
ALTER TABLE webhook_messages DROP CONSTRAINT webhook_messages_workspace_id_fkey;
DROP INDEX webhook_messages_created_idx;
