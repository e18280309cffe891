-- An import flags a row whose address reaches an existing contact's mailbox (ana.lima@gmail.com
-- and analima+x@gmail.com), as the contact form's check does. The check is one statement per
-- batch of rows, so the rule needs an index it can probe row by row: the domain and the
-- letters and digits of the address before any "+" (a superset of the addresses with the
-- same mailbox; `emailMatchProbe` in @rapport/core computes the same from a row), ending with
-- created_at like the other two (0025).
CREATE INDEX contacts_mailbox_idx ON contacts
  (workspace_id, split_part(lower(email), '@', 2),
   regexp_replace(split_part(split_part(lower(email), '@', 1), '+', 1), '[^a-z0-9]', '', 'g'), created_at)
  WHERE deleted_at IS NULL AND email IS NOT NULL;
