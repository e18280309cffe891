import type { InvitationStatus, WorkspaceRole } from "@rapport/core";
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { workspaces } from "./workspaces";

/** Invitations to a workspace (migration 0008_invitations.sql). */
export const workspaceInvitations = pgTable("workspace_invitations", {
  id: uuid("id").primaryKey().defaultRandom(),
  workspaceId: uuid("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  /** Lower-cased invited address. */
  email: text("email").notNull(),
  role: text("role").$type<WorkspaceRole>().notNull(),
  /** SHA-256 (hex) of the link's token; the token itself is never stored. */
  tokenHash: text("token_hash").notNull().unique(),
  status: text("status").$type<InvitationStatus>().notNull().default("pending"),
  invitedBy: uuid("invited_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  respondedAt: timestamp("responded_at", { withTimezone: true }),
});
