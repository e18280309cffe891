import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, primaryKey, real, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

/** Why a pair looks like one person: codes and a ratio, never the values (as @rapport/core's DuplicateReason). */
type StoredReason = { kind: "email" } | { kind: "phone" } | { kind: "name"; similarity: number };

/** Likely duplicate pairs from the workspace's last scan (migration 0022); `contact_a_id` < `contact_b_id`. */
export const duplicateCandidates = pgTable(
  "duplicate_candidates",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    contactAId: uuid("contact_a_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    contactBId: uuid("contact_b_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    score: real("score").notNull(),
    reasons: jsonb("reasons").$type<StoredReason[]>().notNull(),
    foundAt: timestamp("found_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.contactAId, t.contactBId] }),
    index("duplicate_candidates_a_idx").on(t.contactAId),
    index("duplicate_candidates_b_idx").on(t.contactBId),
    check("duplicate_candidates_order", sql`contact_a_id < contact_b_id`),
  ],
);

/** Pairs a member said are different people; never proposed again. */
export const duplicateDismissals = pgTable(
  "duplicate_dismissals",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    contactAId: uuid("contact_a_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    contactBId: uuid("contact_b_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    dismissedBy: uuid("dismissed_by").references(() => users.id, { onDelete: "set null" }),
    dismissedAt: timestamp("dismissed_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.contactAId, t.contactBId] }),
    index("duplicate_dismissals_a_idx").on(t.contactAId),
    index("duplicate_dismissals_b_idx").on(t.contactBId),
    check("duplicate_dismissals_order", sql`contact_a_id < contact_b_id`),
  ],
);

/** A merge that can still be undone: everything needed to put both contacts back as they were. */
export const contactMerges = pgTable(
  "contact_merges",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    survivorId: uuid("survivor_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    /** The merged contact's id (its row is gone until an undo puts it back). */
    mergedContactId: uuid("merged_contact_id").notNull(),
    mergedBy: uuid("merged_by").references(() => users.id, { onDelete: "set null" }),
    mergedAt: timestamp("merged_at", { withTimezone: true }).notNull(),
    undoUntil: timestamp("undo_until", { withTimezone: true }).notNull(),
    /** The merged contact's row as it was. */
    mergedContact: jsonb("merged_contact").$type<Record<string, unknown>>().notNull(),
    /** The survivor's merged fields before and after. */
    survivorBefore: jsonb("survivor_before").$type<Record<string, unknown>>().notNull(),
    survivorAfter: jsonb("survivor_after").$type<Record<string, unknown>>().notNull(),
    /** The rows re-pointed to the survivor (ids) and those removed (whole rows). */
    moved: jsonb("moved").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    index("contact_merges_workspace_idx").on(t.workspaceId, t.mergedAt),
    index("contact_merges_survivor_idx").on(t.survivorId),
    index("contact_merges_merged_idx").on(t.mergedContactId),
    index("contact_merges_undo_until_idx").on(t.undoUntil),
  ],
);
