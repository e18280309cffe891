-- Delivery claims messages one endpoint at a time, right before sending them: a claim is a
-- short send lease (queued_until) held by one delivery job (lease_token, the job's id, so a
-- run of that job after its worker died takes its own claims back at once).
ALTER TABLE webhook_messages ADD COLUMN lease_token text;
-- The delivery's question, per endpoint: which pending messages are due, oldest first.
CREATE INDEX webhook_messages_endpoint_due_idx ON webhook_messages (endpoint_id, next_attempt_at) WHERE status = 'pending';
DROP INDEX webhook_messages_due_idx;
