import { bigint, integer, pgTable, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { workspaces } from "./workspaces";

/**
 * Per-workspace analytics values (cents per interaction type) and CLV
 * thresholds (cents). No personal data. Missing row = the defaults.
 */
export const analyticsSettings = pgTable("analytics_settings", {
  workspaceId: uuid("workspace_id")
    .primaryKey()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  emailCents: integer("email_cents").notNull().default(1000),
  meetingCents: integer("meeting_cents").notNull().default(5000),
  callCents: integer("call_cents").notNull().default(2500),
  linkedinCents: integer("linkedin_cents").notNull().default(500),
  noteCents: integer("note_cents").notNull().default(0),
  mediumThresholdCents: bigint("medium_threshold_cents", { mode: "number" }).notNull().default(10000),
  highThresholdCents: bigint("high_threshold_cents", { mode: "number" }).notNull().default(50000),
  /** Grows with every change; part of the analytics cache key. */
  revision: integer("revision").notNull().default(1),
  updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
