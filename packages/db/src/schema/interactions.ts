import type { InteractionDirection, InteractionSource, InteractionType, ParticipantRole } from "@rapport/core";
import { sql } from "drizzle-orm";
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { contacts, tsvector } from "./contacts";
import { workspaces } from "./workspaces";

export const interactions = pgTable("interactions", {
  id: uuid("id").primaryKey().defaultRandom(),
  workspaceId: uuid("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  contactId: uuid("contact_id")
    .notNull()
    .references(() => contacts.id, { onDelete: "cascade" }),
  type: text("type").$type<InteractionType>().notNull(),
  // Null for notes (a note is neither sent nor received).
  direction: text("direction").$type<InteractionDirection>(),
  occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
  subject: text("subject"),
  summary: text("summary"),
  source: text("source").$type<InteractionSource>().notNull().default("manual"),
  externalId: text("external_id"),
  createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  /** The subject's and summary's words for full-text search (0014), kept by the database. */
  searchDoc: tsvector("search_doc").generatedAlwaysAs(sql`interaction_search_doc(subject, summary)`),
});

export const interactionParticipants = pgTable("interaction_participants", {
  id: uuid("id").primaryKey().defaultRandom(),
  interactionId: uuid("interaction_id")
    .notNull()
    .references(() => interactions.id, { onDelete: "cascade" }),
  workspaceId: uuid("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "cascade" }),
  email: text("email"),
  displayName: text("display_name"),
  role: text("role").$type<ParticipantRole>().notNull().default("participant"),
  // Copies of the interaction's, kept equal by triggers (migration 0020) for Reconnect's ordered read; never written here.
  occurredAt: timestamp("occurred_at", { withTimezone: true }),
  type: text("type"),
  filedContactId: uuid("filed_contact_id"),
});
