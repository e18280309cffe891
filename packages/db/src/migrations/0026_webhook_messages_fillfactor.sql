-- A claim sets only the send lease (queued_until, lease_token), which no index covers: with
-- room left on each page, Postgres updates the row in place (a HOT update) instead of adding
-- an entry to each of the table's six indexes (a GIN among them) for every message claimed.
-- Rows are written once, claimed once or a few times and recorded once; half a page is the room.
ALTER TABLE webhook_messages SET (fillfactor = 50);
