import { queryRows, type Executor } from "@rapport/db";
import { sql, type SQL } from "drizzle-orm";
import type { DomainEvent, DomainEventType } from "./types";

/** An event's place in commit order: its transaction id (xid8, as a decimal string), then its id. */
export interface CommitPosition {
  txId: string;
  id: number;
}

/** An outbox event and its place in commit order. */
export interface CommittedEvent extends DomainEvent {
  txId: string;
}

interface EventRow {
  id: string | number;
  tx_id: string;
  workspace_id: string | null;
  actor_id: string | null;
  type: string;
  payload: Record<string, unknown> | string;
  created_at: Date | string;
}

/** The start of the outbox: before every event. */
const OUTBOX_START: CommitPosition = { txId: "0", id: 0 };

/**
 * Events committed after `after`, in commit order (tx_id, id), and only of transactions
 * older than the oldest one still running.
 *
 * Ids are taken at INSERT but become visible at COMMIT, so id 11 can commit before id 10:
 * a reader that went by id alone would skip 10. Below `pg_snapshot_xmin` nothing is in
 * flight any more, so nothing can later appear behind a reader's position. `below` is
 * that horizon when the caller took it itself (the dispatcher, first thing in its
 * transaction); otherwise the current one is used.
 */
export async function readCommittedEvents(
  db: Executor,
  options: {
    after: CommitPosition;
    limit: number;
    workspaceId?: string;
    /** With `workspaceId`: also this user's personal events (no workspace, `payload.userId` them). */
    personalTo?: string;
    below?: string;
  },
): Promise<CommittedEvent[]> {
  const horizon = options.below ? sql`${options.below}::xid8` : sql`pg_snapshot_xmin(pg_current_snapshot())`;
  const rows = await queryRows<EventRow>(
    db,
    sql`SELECT id, tx_id::text AS tx_id, workspace_id, actor_id, type, payload, created_at
        FROM domain_events
        WHERE (tx_id, id) > (${options.after.txId}::xid8, ${options.after.id}::bigint)
          AND tx_id < ${horizon}
          ${options.workspaceId ? sql`AND ${eventOf(options.workspaceId, options.personalTo)}` : sql``}
        ORDER BY tx_id, id
        LIMIT ${options.limit}`,
  );
  return rows.map(toCommittedEvent);
}

/** Events of the workspace and, when `userId` is given, that user's personal ones (a live stream's events). */
export function eventOf(workspaceId: string, userId?: string): SQL {
  return userId
    ? sql`(workspace_id = ${workspaceId} OR (workspace_id IS NULL AND payload->>'userId' = ${userId}))`
    : sql`workspace_id = ${workspaceId}`;
}

/** The newest committed position (below the oldest running transaction); the start of the outbox if empty. */
export async function newestCommittedPosition(db: Executor): Promise<CommitPosition> {
  const [head] = await queryRows<{ tx_id: string; id: string | number }>(
    db,
    sql`SELECT tx_id::text AS tx_id, id FROM domain_events
        WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id DESC, id DESC LIMIT 1`,
  );
  return head ? { txId: head.tx_id, id: Number(head.id) } : OUTBOX_START;
}

/** Whether `a` comes after `b` in commit order. */
export function committedAfter(a: CommitPosition, b: CommitPosition): boolean {
  const ta = BigInt(a.txId);
  const tb = BigInt(b.txId);
  return ta > tb || (ta === tb && a.id > b.id);
}

function toCommittedEvent(row: EventRow): CommittedEvent {
  return {
    id: Number(row.id),
    txId: row.tx_id,
    workspaceId: row.workspace_id,
    actorId: row.actor_id,
    type: row.type as DomainEventType,
    payload: typeof row.payload === "string" ? (JSON.parse(row.payload) as Record<string, unknown>) : row.payload,
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
  };
}
