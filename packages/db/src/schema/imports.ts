import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

export const CONTACT_IMPORT_STATUSES = ["uploaded", "queued", "running", "completed", "failed"] as const;
export type ContactImportStatus = (typeof CONTACT_IMPORT_STATUSES)[number];

/** One uploaded CSV/XLSX file and its run (migration 0021_contact_imports.sql). */
export const contactImports = pgTable(
  "contact_imports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    format: text("format").$type<"csv" | "xlsx">().notNull(),
    status: text("status").$type<ContactImportStatus>().notNull().default("uploaded"),
    /** The mapping and choices it was started with. */
    options: jsonb("options"),
    totalRows: integer("total_rows"),
    /** Rows written so far: a retried run resumes after them. */
    processedRows: integer("processed_rows").notNull().default(0),
    createdCount: integer("created_count").notNull().default(0),
    updatedCount: integer("updated_count").notNull().default(0),
    unchangedCount: integer("unchanged_count").notNull().default(0),
    skippedCount: integer("skipped_count").notNull().default(0),
    /** Rows imported that may duplicate a contact the workspace already had. */
    flaggedCount: integer("flagged_count").notNull().default(0),
    /** Why the whole run failed (fixed text). */
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("contact_imports_workspace_idx").on(t.workspaceId, t.createdAt.desc())],
);

/** The rows a run skipped and why (row numbers as a spreadsheet counts them, reasons fixed texts). */
export const contactImportProblems = pgTable(
  "contact_import_problems",
  {
    importId: uuid("import_id")
      .notNull()
      .references(() => contactImports.id, { onDelete: "cascade" }),
    rowNumber: integer("row_number").notNull(),
    field: text("field").notNull(),
    reason: text("reason").notNull(),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    /** "skipped": not imported, for `reason`; "flagged": imported, possibly a duplicate of `contactId`. */
    outcome: text("outcome").$type<"skipped" | "flagged">().notNull().default("skipped"),
  },
  (t) => [primaryKey({ columns: [t.importId, t.rowNumber, t.field] })],
);

/** A reusable column mapping: lower-cased header → contact field. */
export const contactImportTemplates = pgTable(
  "contact_import_templates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    mapping: jsonb("mapping").$type<Record<string, string>>().notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("contact_import_templates_name_idx").on(t.workspaceId, sql`lower(${t.name})`)],
);
