import { bigint, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { gdprOperations } from "./gdpr";
import { workspaces } from "./workspaces";

export const GDPR_EXPORT_STATUSES = ["pending", "in_progress", "completed", "failed", "discarded"] as const;
/** Why an export was discarded (0007): `subject_erased` — a person it holds (or may hold) was erased. */
export const GDPR_EXPORT_DISCARD_REASONS = ["subject_erased"] as const;
export type GdprExportDiscardReason = (typeof GDPR_EXPORT_DISCARD_REASONS)[number];
export type GdprExportStatus = (typeof GDPR_EXPORT_STATUSES)[number];
export type GdprExportSubjectKind = "user" | "contact";

/** GDPR access/portability exports (migration 0005_gdpr_exports.sql). */
export const gdprExports = pgTable("gdpr_exports", {
  id: uuid("id").primaryKey().defaultRandom(),
  subjectKind: text("subject_kind").$type<GdprExportSubjectKind>().notNull(),
  /** Opaque id (users.id or contacts.id). */
  subjectId: uuid("subject_id").notNull(),
  /** Set for contact exports (the controller's workspace). */
  workspaceId: uuid("workspace_id").references(() => workspaces.id, { onDelete: "cascade" }),
  requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
  status: text("status").$type<GdprExportStatus>().notNull().default("pending"),
  progress: integer("progress").notNull().default(0),
  include: text("include").array().notNull().default([]),
  fileKey: text("file_key"),
  fileSizeBytes: bigint("file_size_bytes", { mode: "number" }),
  error: text("error"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  completedAt: timestamp("completed_at", { withTimezone: true }),
  expiresAt: timestamp("expires_at", { withTimezone: true }),
  /** The request's entry in gdpr_operations (0006). */
  operationId: uuid("operation_id").references(() => gdprOperations.id, { onDelete: "set null" }),
  /** Set exactly when status is `discarded` (0007). */
  discardReason: text("discard_reason").$type<GdprExportDiscardReason>(),
});
