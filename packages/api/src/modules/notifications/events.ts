import { NOTIFYING_EVENT_TYPES, notificationFor, notificationWanted, type NotificationKind } from "@rapport/core";
import { gmailConnections, memberships, notificationPreferences, notifications, type Tx } from "@rapport/db";
import { and, eq, inArray } from "drizzle-orm";
import type { ServiceDeps } from "../../platform/deps";
import { appendEvents } from "../../platform/events/outbox";
import type { DomainEvent } from "../../platform/events/types";
import type { ModuleEvents } from "../../platform/module";

export function notificationEvents(deps: ServiceDeps): ModuleEvents {
  return {
    consumers: [
      {
        // Rows are written with the consumer's cursor: an event gets its notifications once,
        // and (unique per recipient and event) a batch run twice adds nothing.
        name: "notifications",
        startFrom: "now",
        types: NOTIFYING_EVENT_TYPES,
        handle: (events, tx) => createNotifications(events, tx),
        // The notification.created events just committed (if the batch made any): wake the
        // recipients' streams now.
        committed: (commit) => {
          if (commit) deps.eventsCommitted(commit);
        },
      },
    ],
  };
}

interface Draft {
  event: DomainEvent;
  kind: NotificationKind;
  userId: string;
}

async function createNotifications(events: DomainEvent[], tx: Tx): Promise<void> {
  const drafts: Draft[] = [];
  for (const event of events) {
    const rule = notificationFor(event.type, event.payload);
    if (!rule) continue;
    const recipients = await recipientsOf(tx, event, rule.recipients);
    // Nobody is told of what they did themselves (adding themselves, changing their own role).
    for (const userId of recipients) if (userId !== event.actorId) drafts.push({ event, kind: rule.kind, userId });
  }
  if (drafts.length === 0) return;
  const userIds = [...new Set(drafts.map((draft) => draft.userId))];
  const choices = new Map(
    (
      await tx
        .select({ userId: notificationPreferences.userId, choices: notificationPreferences.choices })
        .from(notificationPreferences)
        .where(inArray(notificationPreferences.userId, userIds))
    ).map((row) => [row.userId, row.choices]),
  );
  const wanted = drafts.filter((draft) => notificationWanted(draft.kind, choices.get(draft.userId) ?? {}));
  if (wanted.length === 0) return;
  const created = await tx
    .insert(notifications)
    .values(
      wanted.map((draft) => ({
        userId: draft.userId,
        workspaceId: draft.event.workspaceId,
        kind: draft.kind,
        eventId: draft.event.id,
        payload: draft.event.payload,
        createdAt: draft.event.createdAt,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: notifications.id, userId: notifications.userId, kind: notifications.kind });
  await appendEvents(
    tx,
    created.map((row) => ({
      type: "notification.created" as const,
      workspaceId: null,
      actorId: null,
      payload: { notificationId: row.id, userId: row.userId, kind: row.kind },
    })),
  );
}

async function recipientsOf(
  tx: Tx,
  event: DomainEvent,
  recipients: NonNullable<ReturnType<typeof notificationFor>>["recipients"],
): Promise<string[]> {
  switch (recipients.kind) {
    case "user":
      return [recipients.userId];
    case "admins": {
      if (!event.workspaceId) return [];
      const rows = await tx
        .select({ userId: memberships.userId })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, event.workspaceId), inArray(memberships.role, ["owner", "admin"])));
      return rows.map((row) => row.userId);
    }
    case "mailbox_owner": {
      const rows = await tx
        .select({ userId: gmailConnections.userId })
        .from(gmailConnections)
        .where(eq(gmailConnections.id, recipients.connectionId));
      return rows.map((row) => row.userId);
    }
  }
}
