import { users, workspaceInvitations, workspaces, type Tx } from "@rapport/db";
import { asc, eq, sql } from "drizzle-orm";
import type { PrivacyHandler } from "../../platform/privacy/registry";

/** Invitations addressed to the account's current address. */
const addressedTo = (userId: string) =>
  eq(workspaceInvitations.email, sql`(SELECT lower(${users.email}) FROM ${users} WHERE ${users.id} = ${userId})`);

/**
 * Invitations hold the invitee's address. Erasing an account deletes the invitations
 * addressed to it (registered before the auth handler, which overwrites the address);
 * its export lists them. Invitations of people without an account are deleted when
 * they expire (INVITATION_TTL_DAYS) or with their workspace.
 */
export const invitationsPrivacy: PrivacyHandler = {
  module: "invitations",
  erases: ["workspace_invitations.email", "workspace_invitations.token_hash"],
  exportUser: (userId) => [
    {
      section: "profile",
      file: "invitations.json",
      holds: "the invitations to workspaces sent to your address: workspace, role, state and dates",
      purpose: "letting you join a workspace with your consent (contract, Art. 6(1)(b))",
      categories: "contact details (your address, used to match the invitation to your account)",
      recipients: "the owners and admins of the inviting workspace",
      retention: "until the invitation expires (INVITATION_TTL_DAYS, default 7 days), answered or not",
      source: "the workspace member who invited you",
      // A handful of rows at most (one open invitation per workspace, deleted on expiry): one small file.
      single: true,
      count: async () => 1,
      read: (db) =>
        db
          .select({
            id: workspaceInvitations.id,
            workspaceId: workspaceInvitations.workspaceId,
            workspaceName: workspaces.name,
            email: workspaceInvitations.email,
            role: workspaceInvitations.role,
            status: workspaceInvitations.status,
            createdAt: workspaceInvitations.createdAt,
            expiresAt: workspaceInvitations.expiresAt,
            respondedAt: workspaceInvitations.respondedAt,
          })
          .from(workspaceInvitations)
          .innerJoin(workspaces, eq(workspaces.id, workspaceInvitations.workspaceId))
          .where(addressedTo(userId))
          .orderBy(asc(workspaceInvitations.createdAt), asc(workspaceInvitations.id)),
    },
  ],
  async eraseUser(tx: Tx, userId) {
    await tx.delete(workspaceInvitations).where(addressedTo(userId));
  },
};
