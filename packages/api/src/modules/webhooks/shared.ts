import { type webhookAttempts, webhookEndpoints, webhookMessages, type Executor } from "@rapport/db";
import { and, eq } from "drizzle-orm";
import { notFound } from "../../errors";

/** What the webhooks module's parts share: row shapes, the answers' shapes and the scoped lookups. */

export const DELIVER_JOB = "webhooks.deliver";
export const RECOVER_JOB = "webhooks.recover";
export const USER_AGENT = "Rapport-Webhooks/1.0 (+https://github.com/rapport)";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type MessageRow = typeof webhookMessages.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

export type Health = {
  attempts24h: number;
  successRate24h: number | null;
  lastStatusCode: number | null;
  lastAttemptAt: Date | null;
};

export function toEndpoint(row: EndpointRow, health: Health | undefined) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt,
    rateLimitPerSecond: row.rateLimitPerSecond,
    secretRotatedAt: row.secretRotatedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    health: health ?? { attempts24h: 0, successRate24h: null, lastStatusCode: null, lastAttemptAt: null },
  };
}

export function toMessage(row: MessageRow) {
  return {
    id: row.id,
    endpointId: row.endpointId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
    lastStatusCode: row.lastStatusCode,
  };
}

export function toAttempt(row: AttemptRow) {
  return {
    id: row.id,
    messageId: row.messageId,
    attempt: row.attempt,
    trigger: row.trigger,
    statusCode: row.statusCode,
    ok: row.ok,
    durationMs: row.durationMs,
    responseBody: row.responseBody,
    error: row.error,
    requestHeaders: row.requestHeaders,
    nextAttemptAt: row.nextAttemptAt,
    createdAt: row.createdAt,
  };
}

/** The endpoint, if it belongs to the workspace (`lock`: FOR UPDATE, inside a transaction). */
export async function endpointRow(executor: Executor, workspaceId: string, endpointId: string, lock = false) {
  const query = executor
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, endpointId)));
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw notFound("Webhook endpoint");
  return row;
}

/** The message, if it belongs to the workspace. */
export async function messageRow(executor: Executor, workspaceId: string, messageId: string) {
  const [row] = await executor
    .select()
    .from(webhookMessages)
    .where(and(eq(webhookMessages.workspaceId, workspaceId), eq(webhookMessages.id, messageId)));
  if (!row) throw notFound("Webhook message");
  return row;
}

/** A Postgres array literal (`{"a","b",NULL}`): one parameter for a whole column of values. */
export function arrayLiteral(values: (string | number | boolean | null)[]): string {
  const items = values.map((value) => (value === null ? "NULL" : `"${String(value).replace(/["\\]/g, "\\$&")}"`));
  return `{${items.join(",")}}`;
}
