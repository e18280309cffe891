import { boolean, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

export const GMAIL_CONNECTION_STATUSES = ["active", "paused", "error"] as const;
export type GmailConnectionStatus = (typeof GMAIL_CONNECTION_STATUSES)[number];

/** Where an unfinished full sync stopped, so the next run resumes there (migration 0011_gmail.sql). */
export interface GmailSyncCursor {
  /** The messages.list page being worked through (null: the first page). */
  pageToken: string | null;
  /** Messages of that page already stored. */
  offset: number;
  /** The mailbox's historyId when the full sync started: incremental syncs continue from it. */
  historyId: string;
  /** Messages listed so far in earlier pages (for the progress total). */
  processed: number;
  maxEmails: number;
  /** Why this full sync runs: the first one, or history too old. */
  reason: "first" | "resync";
}

/** One user's Gmail mailbox connected to one workspace. */
export const gmailConnections = pgTable("gmail_connections", {
  id: uuid("id").primaryKey().defaultRandom(),
  workspaceId: uuid("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  userId: uuid("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  googleEmail: text("google_email").notNull(),
  /** AES-256-GCM sealed (platform/crypto.ts `sealSecret`), with the key id; never the token itself. */
  refreshTokenSealed: text("refresh_token_sealed").notNull(),
  accessTokenSealed: text("access_token_sealed"),
  accessTokenExpiresAt: timestamp("access_token_expires_at", { withTimezone: true }),
  status: text("status").$type<GmailConnectionStatus>().notNull().default("active"),
  lastError: text("last_error"),
  syncFrequencyMin: integer("sync_frequency_min").notNull().default(5),
  maxEmails: integer("max_emails").notNull().default(500),
  historyId: text("history_id"),
  syncCursor: jsonb("sync_cursor").$type<GmailSyncCursor>(),
  /** The next run is a full sync (first one, or history expired). */
  fullSyncDue: boolean("full_sync_due").notNull().default(true),
  lastSyncAt: timestamp("last_sync_at", { withTimezone: true }),
  lastFullSyncAt: timestamp("last_full_sync_at", { withTimezone: true }),
  nextSyncAt: timestamp("next_sync_at", { withTimezone: true }),
  /** A running sync's lease: no second sync of the connection starts before it ends or expires. */
  leaseUntil: timestamp("lease_until", { withTimezone: true }),
  leaseToken: uuid("lease_token"),
  progressProcessed: integer("progress_processed").notNull().default(0),
  progressTotal: integer("progress_total").notNull().default(0),
  progressStartedAt: timestamp("progress_started_at", { withTimezone: true }),
  /** Consecutive throttled runs; the next run waits longer with each. */
  throttledRuns: integer("throttled_runs").notNull().default(0),
  skippedReason: text("skipped_reason"),
  skippedAt: timestamp("skipped_at", { withTimezone: true }),
  contactsSynced: integer("contacts_synced").notNull().default(0),
  interactionsLogged: integer("interactions_logged").notNull().default(0),
  /** The owner's other addresses (send-as aliases), lower-cased: never imported as contacts. */
  aliases: text("aliases").array().notNull().default([]),
  /** Other addresses the owner named (e.g. an old one forwarding here), lower-cased: never imported as contacts either. */
  configuredAliases: text("configured_aliases").array().notNull().default([]),
  /** A message deleted in Gmail deletes the interaction imported from it (off: the record of contact stays). */
  deleteWithMessages: boolean("delete_with_messages").notNull().default(false),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** OAuth `state` values handed out and not yet used (single use, 10 minutes). */
export const gmailOauthStates = pgTable("gmail_oauth_states", {
  nonce: text("nonce").primaryKey(),
  userId: uuid("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  workspaceId: uuid("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  /** The PKCE code verifier, sealed. */
  codeVerifierSealed: text("code_verifier_sealed").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Refresh tokens of removed connections still to be revoked at Google (then deleted). */
export const gmailRevocations = pgTable("gmail_revocations", {
  id: uuid("id").primaryKey().defaultRandom(),
  tokenSealed: text("token_sealed").notNull(),
  attempts: integer("attempts").notNull().default(0),
  nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Per contact: what the synced mail says about the relationship (recomputed after each sync). */
export const gmailContactStats = pgTable("gmail_contact_stats", {
  contactId: uuid("contact_id")
    .primaryKey()
    .references(() => contacts.id, { onDelete: "cascade" }),
  workspaceId: uuid("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  totalEmails: integer("total_emails").notNull(),
  lastEmailAt: timestamp("last_email_at", { withTimezone: true }),
  lastSubject: text("last_subject"),
  /** Emails per calendar month (UTC) of the last 90 days: [{ month: "YYYY-MM", count }]. */
  emailsPerMonth: jsonb("emails_per_month").$type<{ month: string; count: number }[]>().notNull(),
  computedAt: timestamp("computed_at", { withTimezone: true }).notNull(),
});
