import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

export const INTERACTION_TYPES = ["email", "meeting", "call", "linkedin", "note"] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];
export const INTERACTION_DIRECTIONS = ["inbound", "outbound"] as const;
export type InteractionDirection = (typeof INTERACTION_DIRECTIONS)[number];
export const INTERACTION_SOURCES = ["manual", "gmail", "import", "calendar"] as const;
export type InteractionSource = (typeof INTERACTION_SOURCES)[number];
export const PARTICIPANT_ROLES = ["from", "to", "cc", "bcc", "organizer", "attendee", "participant"] as const;
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];

export const interactions = pgTable("interactions", {
  id: uuid("id").primaryKey().defaultRandom(),
  workspaceId: uuid("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  contactId: uuid("contact_id")
    .notNull()
    .references(() => contacts.id, { onDelete: "cascade" }),
  type: text("type").$type<InteractionType>().notNull(),
  direction: text("direction").$type<InteractionDirection>().notNull(),
  occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
  subject: text("subject"),
  summary: text("summary"),
  source: text("source").$type<InteractionSource>().notNull().default("manual"),
  externalId: text("external_id"),
  createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
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
});
