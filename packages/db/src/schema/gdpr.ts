import { pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { workspaces } from "./workspaces";

/** GDPR. Mirrors migration 0004_gdpr.sql. */
export const GDPR_OPERATION_STATUSES = ["pending", "in_progress", "completed", "failed", "cancelled"] as const;
export type GdprOperationStatus = (typeof GDPR_OPERATION_STATUSES)[number];
/** "workspace": a workspace deletion, requested by one of its owners (subject_id is the workspace's id). */
export type GdprSubjectKind = "user" | "contact" | "workspace";

export const gdprOperations = pgTable("gdpr_operations", {
  id: uuid("id").primaryKey().defaultRandom(),
  workspaceId: uuid("workspace_id").references(() => workspaces.id, { onDelete: "cascade" }),
  type: text("type").notNull(),
  subjectKind: text("subject_kind").$type<GdprSubjectKind>().notNull(),
  subjectId: uuid("subject_id").notNull(),
  reason: text("reason"),
  status: text("status").$type<GdprOperationStatus>().notNull().default("pending"),
  requestedBy: uuid("requested_by"),
  authorizedBy: uuid("authorized_by"),
  requestedAt: timestamp("requested_at", { withTimezone: true }).notNull().defaultNow(),
  dueAt: timestamp("due_at", { withTimezone: true }).notNull(),
  effectiveAt: timestamp("effective_at", { withTimezone: true }),
  completedAt: timestamp("completed_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const gdprSuppressions = pgTable(
  "gdpr_suppressions",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    addressHmac: text("address_hmac").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.addressHmac] })],
);

export const gdprRestrictions = pgTable(
  "gdpr_restrictions",
  {
    subjectKind: text("subject_kind").$type<Exclude<GdprSubjectKind, "workspace">>().notNull(),
    subjectId: uuid("subject_id").notNull(),
    workspaceId: uuid("workspace_id").references(() => workspaces.id, { onDelete: "cascade" }),
    restrictedBy: uuid("restricted_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.subjectKind, t.subjectId] })],
);
