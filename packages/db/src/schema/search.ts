import { primaryKey, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { workspaces } from "./workspaces";

/**
 * The distinct words of a workspace's contacts and interactions (0023), kept by statement
 * triggers on those tables; search looks a query word's near and containing words up here
 * (trigram index) instead of testing every row.
 */
export const searchTerms = pgTable(
  "search_terms",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    term: text("term").notNull(),
  },
  (table) => [primaryKey({ columns: [table.workspaceId, table.term] })],
);
