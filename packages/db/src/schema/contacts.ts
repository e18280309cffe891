import type { ContactSource } from "@rapport/core";
import { sql } from "drizzle-orm";
import { customType, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { workspaces } from "./workspaces";

/** Postgres full-text words; written only by the database (generated columns). */
export const tsvector = customType<{ data: string; driverData: string }>({ dataType: () => "tsvector" });

export const contacts = pgTable("contacts", {
  id: uuid("id").primaryKey().defaultRandom(),
  workspaceId: uuid("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  email: text("email"),
  name: text("name").notNull(),
  company: text("company"),
  title: text("title"),
  phone: text("phone"),
  tags: text("tags").array().notNull().default([]),
  source: text("source").$type<ContactSource>().notNull().default("manual"),
  createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  deletedAt: timestamp("deleted_at", { withTimezone: true }),
  /** Folded searchable text and its words (0014), kept by the database for search. */
  searchText: text("search_text").generatedAlwaysAs(sql`contact_search_text(name, email, company, title, phone, tags)`),
  searchDoc: tsvector("search_doc").generatedAlwaysAs(
    sql`contact_search_doc(name, email, company, title, phone, tags)`,
  ),
});
