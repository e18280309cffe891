import { sql } from "drizzle-orm";
import { bigint, bigserial, customType, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./accounts";
import { workspaces } from "./workspaces";

/** PostgreSQL's 64-bit transaction id, carried as a decimal string. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => "xid8" });

export const domainEvents = pgTable("domain_events", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  txId: xid8("tx_id").notNull().default(sql`pg_current_xact_id()`),
  workspaceId: uuid("workspace_id").references(() => workspaces.id, { onDelete: "cascade" }),
  actorId: uuid("actor_id").references(() => users.id, { onDelete: "set null" }),
  type: text("type").notNull(),
  payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const eventConsumers = pgTable("event_consumers", {
  name: text("name").primaryKey(),
  lastTxId: xid8("last_tx_id").notNull().default("0"),
  lastEventId: bigint("last_event_id", { mode: "number" }).notNull().default(0),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
