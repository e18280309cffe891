import { gmailConnections, gmailContactStats, gmailOauthStates, type Tx } from "@rapport/db";
import { and, eq } from "drizzle-orm";
import { tableRecords } from "../../platform/privacy/export-sources";
import type { PrivacyHandler } from "../../platform/privacy/registry";
import { removeConnections } from "./service";

/** What a user's export shows of their connections: never a token. */
const connectionColumns = {
  id: gmailConnections.id,
  workspaceId: gmailConnections.workspaceId,
  googleEmail: gmailConnections.googleEmail,
  status: gmailConnections.status,
  syncFrequencyMin: gmailConnections.syncFrequencyMin,
  maxEmails: gmailConnections.maxEmails,
  aliases: gmailConnections.aliases,
  configuredAliases: gmailConnections.configuredAliases,
  deleteWithMessages: gmailConnections.deleteWithMessages,
  lastSyncAt: gmailConnections.lastSyncAt,
  lastFullSyncAt: gmailConnections.lastFullSyncAt,
  lastError: gmailConnections.lastError,
  contactsSynced: gmailConnections.contactsSynced,
  interactionsLogged: gmailConnections.interactionsLogged,
  createdAt: gmailConnections.createdAt,
  updatedAt: gmailConnections.updatedAt,
};

/**
 * GDPR: a member's mailbox connections. Export: their non-secret settings and figures. Erasure
 * of the account: the connections and consent states go, and each refresh token is queued for
 * revocation at Google (the tick revokes and deletes it; network calls never run inside the
 * erasure's transaction); so is a deleted workspace's. A contact's erasure removes the figures computed about them.
 */
export const gmailPrivacy: PrivacyHandler = {
  module: "gmail",
  erases: [
    "gmail_connections.google_email",
    "gmail_connections.refresh_token_sealed",
    "gmail_connections.access_token_sealed",
    "gmail_connections.aliases",
    "gmail_connections.configured_aliases",
    "gmail_oauth_states.code_verifier_sealed",
    "gmail_contact_stats.last_subject",
    // Queued by eraseUser, revoked at Google and deleted by the tick (a network call never runs in the erasure).
    "gmail_revocations.token_sealed",
  ],
  exportUser: (userId) => [
    {
      section: "preferences",
      file: "gmail-connections.json",
      holds:
        "your connected Gmail mailboxes: address, status, sync settings, last sync and counts (never the access tokens)",
      purpose: "importing your correspondence into the workspace's contacts and timeline, at your request",
      categories: "contact details (your mailbox address), settings",
      recipients: "you; Google (which the mailbox belongs to); Rapport as processor",
      retention: "until you disconnect the mailbox, leave the workspace or erase your account",
      source: "you (connecting Gmail) and Google (the mailbox's address)",
      ...tableRecords(gmailConnections, connectionColumns, eq(gmailConnections.userId, userId)),
    },
  ],
  async eraseUser(tx: Tx, userId, ctx) {
    await removeConnections(tx, eq(gmailConnections.userId, userId), ctx.now);
    await tx.delete(gmailOauthStates).where(eq(gmailOauthStates.userId, userId));
  },
  // The workspace's connections would cascade away with their grants still valid at Google:
  // the tokens are queued for revocation first (the tick revokes them after the deletion commits).
  async eraseWorkspace(tx: Tx, workspaceId, ctx) {
    await removeConnections(tx, eq(gmailConnections.workspaceId, workspaceId), ctx.now);
  },
  async eraseContact(tx: Tx, workspaceId, contactId) {
    await tx
      .delete(gmailContactStats)
      .where(and(eq(gmailContactStats.workspaceId, workspaceId), eq(gmailContactStats.contactId, contactId)));
  },
  restricts: (s) =>
    s.kind === "user"
      ? ["Gmail sync of your connected mailboxes (shown as skipped)"]
      : ["updates from Gmail sync (the contact is neither changed nor linked to new emails)"],
};
