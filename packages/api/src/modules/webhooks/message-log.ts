import { queryRows, webhookAttempts, webhookMessages, type WebhookMessageStatus } from "@rapport/db";
import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { badRequest } from "../../errors";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import type { ServiceDeps } from "../../platform/deps";
import { endpointRow, messageRow, toAttempt, toMessage } from "./shared";

/** The delivery log as receivers' owners read it: messages, their attempts, and its retention. */
export class WebhookMessageLog {
  constructor(private readonly deps: ServiceDeps) {}

  async messages(input: {
    workspaceId: string;
    endpointId: string;
    status?: WebhookMessageStatus | undefined;
    cursor?: string | null | undefined;
    limit: number;
  }) {
    await endpointRow(this.deps.db, input.workspaceId, input.endpointId);
    const conditions: SQL[] = [
      eq(webhookMessages.workspaceId, input.workspaceId),
      eq(webhookMessages.endpointId, input.endpointId),
    ];
    if (input.status) conditions.push(eq(webhookMessages.status, input.status));
    if (input.cursor) {
      const decoded = decodeCursor(input.cursor, 2);
      if (!decoded || typeof decoded[0] !== "string" || typeof decoded[1] !== "string")
        throw badRequest("cursor: invalid", ["cursor"]);
      const at = new Date(decoded[0]);
      if (Number.isNaN(at.getTime())) throw badRequest("cursor: invalid", ["cursor"]);
      conditions.push(
        sql`(${webhookMessages.createdAt}, ${webhookMessages.id}) < (${at.toISOString()}::timestamptz, ${decoded[1]}::uuid)`,
      );
    }
    const rows = await this.deps.db
      .select()
      .from(webhookMessages)
      .where(and(...conditions))
      .orderBy(desc(webhookMessages.createdAt), desc(webhookMessages.id))
      .limit(input.limit + 1);
    const items = rows.slice(0, input.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toMessage),
      nextCursor: rows.length > input.limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }

  async attempts(workspaceId: string, messageId: string) {
    const message = await messageRow(this.deps.db, workspaceId, messageId);
    const rows = await this.deps.db
      .select()
      .from(webhookAttempts)
      .where(eq(webhookAttempts.messageId, messageId))
      .orderBy(desc(webhookAttempts.attempt), desc(webhookAttempts.createdAt));
    return { message: { ...toMessage(message), body: message.body }, attempts: rows.map(toAttempt) };
  }

  /** The daily retention job: messages (and their attempts) older than WEBHOOK_RETENTION_DAYS are deleted. */
  async purge(): Promise<{ deleted: number }> {
    const cutoff = new Date(this.deps.clock.now().getTime() - this.deps.config.WEBHOOK_RETENTION_DAYS * 86_400_000);
    let deleted = 0;
    for (;;) {
      // Per endpoint, through its (endpoint_id, created_at) index: an index on created_at alone
      // would cost every message written and every delivery recorded an entry, for a daily job.
      // Every message has its endpoint (deleting one deletes its messages).
      const rows = await queryRows<{ id: string }>(
        this.deps.db,
        sql`DELETE FROM webhook_messages WHERE id IN (
              SELECT old.id FROM webhook_endpoints e
              CROSS JOIN LATERAL (SELECT id FROM webhook_messages
                                  WHERE endpoint_id = e.id AND created_at < ${cutoff.toISOString()}::timestamptz
                                  LIMIT 5000) old
              LIMIT 5000)
            RETURNING id`,
      );
      deleted += rows.length;
      if (rows.length < 5_000) break;
    }
    return { deleted };
  }
}
