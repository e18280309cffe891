import {
  describeNotification,
  NOTIFICATION_KINDS,
  notificationPreferences as withDefaults,
  type NotificationKind,
} from "@rapport/core";
import {
  memberships,
  notificationPreferences,
  notifications,
  queryRows,
  users,
  workspaces,
  type Db,
} from "@rapport/db";
import { and, count, desc, eq, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { badRequest } from "../../errors";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import type { ServiceDeps } from "../../platform/deps";

const PURGE_BATCH = 5_000;

export interface NotificationView {
  id: string;
  kind: string;
  text: string;
  workspaceId: string | null;
  workspaceName: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
  readAt: Date | null;
}

/** A user's own notifications (created by this module's outbox consumer, see events.ts). */
export class NotificationService {
  private readonly db: Db;

  constructor(private readonly deps: ServiceDeps) {
    this.db = deps.db;
  }

  /**
   * Personal ones and those of workspaces the user still belongs to: news of a workspace
   * they left is no longer theirs to read.
   */
  private visibleTo(userId: string): SQL {
    return and(
      eq(notifications.userId, userId),
      or(
        isNull(notifications.workspaceId),
        sql`EXISTS (SELECT 1 FROM ${memberships} WHERE ${memberships.workspaceId} = ${notifications.workspaceId}
                    AND ${memberships.userId} = ${userId})`,
      ),
    )!;
  }

  async list(
    userId: string,
    input: { unreadOnly?: boolean | undefined; cursor?: string | null | undefined; limit: number },
  ): Promise<{ items: NotificationView[]; nextCursor: string | null }> {
    const conditions: SQL[] = [this.visibleTo(userId)];
    if (input.unreadOnly) conditions.push(isNull(notifications.readAt));
    if (input.cursor) {
      const decoded = decodeCursor(input.cursor, 1);
      if (!decoded || typeof decoded[0] !== "number" || !Number.isSafeInteger(decoded[0]))
        throw badRequest("cursor: invalid", ["cursor"]);
      conditions.push(lt(notifications.eventId, decoded[0]));
    }
    const rows = await this.db
      .select({
        id: notifications.id,
        kind: notifications.kind,
        eventId: notifications.eventId,
        workspaceId: notifications.workspaceId,
        workspaceName: workspaces.name,
        payload: notifications.payload,
        createdAt: notifications.createdAt,
        readAt: notifications.readAt,
      })
      .from(notifications)
      .leftJoin(workspaces, eq(workspaces.id, notifications.workspaceId))
      .where(and(...conditions))
      .orderBy(desc(notifications.eventId))
      .limit(input.limit + 1);
    const page = rows.slice(0, input.limit);
    // Names are read now, not stored: a renamed or erased member reads as they are today.
    const userIds = [
      ...new Set(page.map((row) => row.payload.userId).filter((id): id is string => typeof id === "string")),
    ];
    const userNames = new Map(
      userIds.length === 0
        ? []
        : (await this.db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, userIds))).map(
            (row) => [row.id, row.name],
          ),
    );
    return {
      items: page.map(({ eventId: _eventId, ...row }) => ({
        ...row,
        text: describeNotification(row.kind, row.payload, {
          workspaceName: row.workspaceName,
          userName: typeof row.payload.userId === "string" ? (userNames.get(row.payload.userId) ?? null) : null,
        }),
      })),
      nextCursor: rows.length > input.limit ? encodeCursor([page[page.length - 1]!.eventId]) : null,
    };
  }

  async unreadCount(userId: string): Promise<{ unread: number }> {
    const [row] = await this.db
      .select({ n: count() })
      .from(notifications)
      .where(and(this.visibleTo(userId), isNull(notifications.readAt)));
    return { unread: Number(row?.n ?? 0) };
  }

  /** Marks the caller's notifications among `ids` read; others' ids are ignored (nothing revealed). */
  async markRead(userId: string, ids: string[]): Promise<{ updated: number }> {
    const rows = await this.db
      .update(notifications)
      .set({ readAt: this.deps.clock.now() })
      .where(and(eq(notifications.userId, userId), inArray(notifications.id, ids), isNull(notifications.readAt)))
      .returning({ id: notifications.id });
    return { updated: rows.length };
  }

  async markAllRead(userId: string): Promise<{ updated: number }> {
    const rows = await this.db
      .update(notifications)
      .set({ readAt: this.deps.clock.now() })
      .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)))
      .returning({ id: notifications.id });
    return { updated: rows.length };
  }

  /**
   * The daily retention job: notifications older than NOTIFICATION_RETENTION_DAYS are deleted,
   * a batch at a time (PURGE_BATCH), each batch its own short transaction: one long delete would hold an
   * xid, and with it every reader's outbox horizon, for as long as it ran.
   */
  async purgeExpired(batchSize = PURGE_BATCH): Promise<{ deleted: number }> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError("batchSize must be a whole number above 0");
    const cutoff = new Date(
      this.deps.clock.now().getTime() - this.deps.config.NOTIFICATION_RETENTION_DAYS * 86_400_000,
    ).toISOString();
    let deleted = 0;
    while (true) {
      const rows = await queryRows<{ gone: number }>(
        this.db,
        sql`DELETE FROM notifications WHERE id IN (
              SELECT id FROM notifications WHERE created_at < ${cutoff}::timestamptz LIMIT ${batchSize})
            RETURNING 1 AS gone`,
      );
      deleted += rows.length;
      if (rows.length < batchSize) return { deleted };
    }
  }

  /** Every kind with whether it notifies the user (their choice, or the default). */
  async preferences(userId: string): Promise<Record<NotificationKind, boolean>> {
    const [row] = await this.db
      .select({ choices: notificationPreferences.choices })
      .from(notificationPreferences)
      .where(eq(notificationPreferences.userId, userId));
    return withDefaults(row?.choices ?? {});
  }

  /** Stores the given choices (others keep theirs) and returns the full set. */
  async updatePreferences(
    userId: string,
    changes: Partial<Record<NotificationKind, boolean>>,
  ): Promise<Record<NotificationKind, boolean>> {
    const now = this.deps.clock.now();
    const known = Object.fromEntries(
      Object.entries(changes).filter(
        ([kind, value]) => (NOTIFICATION_KINDS as readonly string[]).includes(kind) && typeof value === "boolean",
      ),
    ) as Record<string, boolean>;
    const [row] = await this.db
      .insert(notificationPreferences)
      .values({ userId, choices: known, updatedAt: now })
      .onConflictDoUpdate({
        target: notificationPreferences.userId,
        set: { choices: sql`${notificationPreferences.choices} || ${JSON.stringify(known)}::jsonb`, updatedAt: now },
      })
      .returning({ choices: notificationPreferences.choices });
    return withDefaults(row?.choices ?? known);
  }
}
