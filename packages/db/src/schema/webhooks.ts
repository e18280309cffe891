import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { users } from "./accounts";
import { workspaces } from "./workspaces";

export type WebhookMessageStatus = "pending" | "delivered" | "failed";
export type WebhookAttemptTrigger = "scheduled" | "manual";

/** Where a workspace's events are POSTed (migration 0010_webhooks.sql). */
export const webhookEndpoints = pgTable("webhook_endpoints", {
  id: uuid("id").primaryKey().defaultRandom(),
  workspaceId: uuid("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  url: text("url").notNull(),
  description: text("description"),
  /** Subscribed event types, or ["*"]. */
  eventTypes: text("event_types").array().notNull(),
  enabled: boolean("enabled").notNull().default(true),
  disabledReason: text("disabled_reason"),
  disabledAt: timestamp("disabled_at", { withTimezone: true }),
  /** The signing secret, sealed (platform/crypto.ts sealSecret); never stored in clear. */
  secretSealed: text("secret_sealed").notNull(),
  /** After a rotation the previous secret signs too, until `previousSecretExpiresAt`. */
  previousSecretSealed: text("previous_secret_sealed"),
  previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true }),
  secretRotatedAt: timestamp("secret_rotated_at", { withTimezone: true }),
  rateLimitPerSecond: integer("rate_limit_per_second").notNull().default(10),
  /** First failed attempt since the last success (null: healthy); five days of it disables the endpoint. */
  failingSince: timestamp("failing_since", { withTimezone: true }),
  createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** One event for one endpoint: the exact bytes every attempt sends. */
export const webhookMessages = pgTable(
  "webhook_messages",
  {
    /** Sent as `webhook-id`: the same on every attempt. */
    id: uuid("id").primaryKey().defaultRandom(),
    /** The endpoint's workspace: no foreign key of its own, the endpoint's cascades (migration 0027_webhook_write_path.sql). */
    workspaceId: uuid("workspace_id").notNull(),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    /** The outbox event (domain_events.id); null for test messages. */
    eventId: bigint("event_id", { mode: "number" }),
    eventType: text("event_type").notNull(),
    body: text("body").notNull(),
    /** The contacts whose data the body holds, so their erasure finds and scrubs it. */
    contactIds: uuid("contact_ids").array().notNull().default([]),
    status: text("status").$type<WebhookMessageStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
    /** Being sent until then (a send lease, taken right before the POST); past it, another job may claim it. */
    queuedUntil: timestamp("queued_until", { withTimezone: true }),
    /** The delivery job holding the send lease (migration 0016_webhook_send_leases.sql). */
    leaseToken: text("lease_token"),
    lastStatusCode: integer("last_status_code"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (table) => [
    unique("webhook_messages_endpoint_event_key").on(table.endpointId, table.eventId),
    index("webhook_messages_endpoint_idx").on(table.endpointId, table.createdAt),
    index("webhook_messages_endpoint_due_idx").on(table.endpointId, table.nextAttemptAt).where(sql`status = 'pending'`),
  ],
);

/** Every attempt to deliver a message, for the log and the health figures. */
export const webhookAttempts = pgTable("webhook_attempts", {
  id: uuid("id").primaryKey().defaultRandom(),
  messageId: uuid("message_id")
    .notNull()
    .references(() => webhookMessages.id, { onDelete: "cascade" }),
  /** The message's endpoint and workspace: no foreign keys of their own, the message's cascades (migration 0027_webhook_write_path.sql). */
  endpointId: uuid("endpoint_id").notNull(),
  workspaceId: uuid("workspace_id").notNull(),
  attempt: integer("attempt").notNull(),
  trigger: text("trigger").$type<WebhookAttemptTrigger>().notNull(),
  /** HTTP status, 0 for a network error or timeout. */
  statusCode: integer("status_code").notNull(),
  ok: boolean("ok").notNull(),
  durationMs: integer("duration_ms").notNull(),
  requestHeaders: jsonb("request_headers").$type<Record<string, string>>().notNull(),
  /** The first 4 KB of the receiver's answer. */
  responseBody: text("response_body"),
  error: text("error"),
  nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
