import { check, index, integer, pgTable, timestamp, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

/**
 * What the workspace decided about keeping in touch with a contact: a chosen frequency that
 * overrides the learned cadence, a snooze, and when it was last marked done. One row per
 * contact that has any of them; the Reconnect list reads it next to the interactions.
 */
export const contactReconnect = pgTable(
  "contact_reconnect",
  {
    contactId: uuid("contact_id")
      .primaryKey()
      .references(() => contacts.id, { onDelete: "cascade" }),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    keepInTouchDays: integer("keep_in_touch_days"),
    snoozedUntil: timestamp("snoozed_until", { withTimezone: true }),
    doneAt: timestamp("done_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("contact_reconnect_workspace_idx").on(t.workspaceId),
    check("contact_reconnect_keep_in_touch_days", sql`keep_in_touch_days BETWEEN 1 AND 730`),
  ],
);
