import { sql } from "drizzle-orm";
import { boolean, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { workspaces } from "./workspaces";

/** A saved view of the contacts list: filters, sort and columns (migration 0024_saved_views.sql). */
export const savedViews = pgTable(
  "saved_views",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    /** Null once the owner is erased (only shared views outlive their owner). */
    ownerId: uuid("owner_id").references(() => users.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    shared: boolean("shared").notNull().default(false),
    /** The list's filters, validated by the shared schema on every write. */
    filters: jsonb("filters").$type<Record<string, unknown>>().notNull(),
    sort: text("sort").notNull(),
    columns: jsonb("columns").$type<string[]>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("saved_views_owner_name_idx").on(t.workspaceId, t.ownerId, sql`lower(${t.name})`)],
);
