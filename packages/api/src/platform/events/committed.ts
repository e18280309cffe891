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
 * The outbox's horizon for THIS database: an xid8 below which every transaction that could
 * have written an event here has finished. Read events with `tx_id < horizon` in a LATER
 * statement (under READ COMMITTED its snapshot is newer) and nothing can later appear
 * behind them.
 *
 * Why not `pg_snapshot_xmin`: xids are cluster-wide, so its oldest running transaction may
 * be one in another database on the same server (another app, a forgotten psql session)
 * that can never write to this outbox, and it would hold back every consumer.
 *
 * The horizon is the least of this statement's snapshot xmax and the xids of the
 * transactions of this database still running (`pg_stat_activity.backend_xid`, visible
 * whatever the role) or prepared (`pg_prepared_xacts`). Any transaction T with an xid
 * below it got that xid before this statement's snapshot was taken (xmax), and when
 * pg_stat_activity was read during execution T was either still running (so it is in
 * the list and the horizon is at most T) or had finished (so the next statement's
 * snapshot sees it). That is why it must be its own statement before the read: one
 * statement's snapshot is taken before pg_stat_activity is read. An event's tx_id is
 * its top-level xid (`pg_current_xact_id()`), which is the one pg_stat_activity shows.
 *
 * Backend status is cached for the rest of a transaction once read, so this must be the
 * first read of pg_stat_activity in its transaction (the dispatcher's first statement;
 * pool queries are a transaction each). The 32-bit xids are widened to xid8 with the
 * epoch of xmax, taking the nearest (a running xid is within 2^31 of it). PGlite (one
 * connection) lists its own backend in pg_stat_activity, so the same query holds there.
 */
export async function eventHorizon(db: Executor): Promise<string> {
  const [row] = await queryRows<{ horizon: string }>(
    db,
    sql`WITH snapshot AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax),
        running AS (
          SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
          WHERE backend_xid IS NOT NULL
            AND datid = (SELECT oid FROM pg_database WHERE datname = current_database())
          UNION ALL
          SELECT transaction::text::bigint FROM pg_prepared_xacts WHERE database = current_database()
        )
        SELECT least(
          snapshot.xmax,
          (SELECT min(snapshot.xmax + ((running.xid - snapshot.xmax % 4294967296 + 6442450944) % 4294967296) - 2147483648)
           FROM running)
        )::text AS horizon
        FROM snapshot`,
  );
  if (!row) throw new Error("event horizon query returned no row");
  return row.horizon;
}

/**
 * Events committed after `after`, in commit order (tx_id, id), and only of transactions
 * below the horizon (`eventHorizon`).
 *
 * Ids are taken at INSERT but become visible at COMMIT, so id 11 can commit before id 10:
 * a reader that went by id alone would skip 10. Below the horizon nothing of this
 * database is in flight any more, so nothing can later appear behind a reader's
 * position. `below` is that horizon when the caller took it itself (the dispatcher, first
 * thing in its transaction); otherwise it is taken here, in a statement of its own.
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
  const horizon = options.below ?? (await eventHorizon(db));
  const rows = await queryRows<EventRow>(
    db,
    sql`SELECT id, tx_id::text AS tx_id, workspace_id, actor_id, type, payload, created_at
        FROM domain_events
        WHERE (tx_id, id) > (${options.after.txId}::xid8, ${options.after.id}::bigint)
          AND tx_id < ${horizon}::xid8
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

/** The newest committed position (below the horizon, `eventHorizon`); the start of the outbox if empty. */
export async function newestCommittedPosition(db: Executor): Promise<CommitPosition> {
  const horizon = await eventHorizon(db);
  const [head] = await queryRows<{ tx_id: string; id: string | number }>(
    db,
    sql`SELECT tx_id::text AS tx_id, id FROM domain_events
        WHERE tx_id < ${horizon}::xid8
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
