-- Workspace invitations: membership by consent. Only a SHA-256 hash of the
-- link's token is stored; the address is kept (lower-cased) to match the
-- invitee's account. Rows are deleted once expired (daily job), whatever their state.
CREATE TABLE workspace_invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email text NOT NULL,
  role text NOT NULL CHECK (role IN ('member', 'admin', 'owner')),
  token_hash text NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'revoked')),
  invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  responded_at timestamptz
);
CREATE INDEX workspace_invitations_workspace_idx ON workspace_invitations (workspace_id, created_at DESC);
-- At most one open invitation per address and workspace (inviting again replaces it).
CREATE UNIQUE INDEX workspace_invitations_pending_idx ON workspace_invitations (workspace_id, email) WHERE status = 'pending';
-- Erasure of an account finds the invitations addressed to it.
CREATE INDEX workspace_invitations_email_idx ON workspace_invitations (email);
CREATE INDEX workspace_invitations_expires_idx ON workspace_invitations (expires_at);
