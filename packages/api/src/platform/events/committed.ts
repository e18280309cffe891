import { queryRowsPrepared, type Executor } from "@rapport/db";
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
  return (await eventHorizonWith(db, null)).horizon;
}

/**
 * `eventHorizon`, and in the same statement `also`'s columns (a select list, e.g. an advisory
 * lock tried): one round trip instead of two. `also` must not read pg_stat_activity, and its
 * text must be the same on every call from a given caller (values as parameters): the
 * statement is prepared on its connection (the dispatcher runs it for every batch).
 */
export async function eventHorizonWith<T extends object = object>(
  db: Executor,
  also: SQL | null,
): Promise<{ horizon: string } & T> {
  const [row] = await queryRowsPrepared<{ horizon: string } & T>(
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
        )::text AS horizon${also ? sql`, ${also}` : sql``}
        FROM snapshot`,
  );
  if (!row) throw new Error("event horizon query returned no row");
  return row;
}

/**
 * The horizon of the statement it is part of, from that statement's own snapshot (a CTE
 * `horizon` with the column `below`, an xid8), so that a read below it is one statement.
 *
 * Every transaction below the snapshot's xmax and not in its in-progress list (xip) had
 * ended when the snapshot was taken, so the snapshot sees all it committed. Of the
 * in-progress ones, those that pg_stat_activity (or pg_prepared_xacts) shows belonging to
 * another database cannot write this outbox and do not hold it back; every other one does
 * — including one that ended between the snapshot and that read, whose database is no
 * longer known (it holds back this read only). So nothing of this database below the
 * horizon is missing from the snapshot, unlike `least(xmax, running now)` in one
 * statement (`eventHorizon`), which would miss a transaction that ended in between. A
 * stale view of pg_stat_activity (read earlier in the same transaction) only holds back
 * more. xip holds top-level xids, which is what tx_id records; the 32-bit xids of
 * pg_stat_activity match an xid8 of xip by its low 32 bits (all within 2^31 of xmax).
 */
const SNAPSHOT_HORIZON = sql`horizon AS (
    SELECT least(
      pg_snapshot_xmax(current.snap)::text::bigint,
      (SELECT min(xip::text::bigint) FROM pg_snapshot_xip(current.snap) AS xip
       WHERE xip::text::bigint % 4294967296 NOT IN (
         SELECT backend_xid::text::bigint FROM pg_stat_activity
         WHERE backend_xid IS NOT NULL
           AND datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
         UNION ALL
         SELECT transaction::text::bigint FROM pg_prepared_xacts WHERE database <> current_database()))
    )::text::xid8 AS below
    FROM (SELECT pg_current_snapshot() AS snap) AS current
  )`;

/**
 * Events committed after `after`, in commit order (tx_id, id), and only of transactions
 * below the horizon, with that horizon (xid8, decimal).
 *
 * Ids are taken at INSERT but become visible at COMMIT, so id 11 can commit before id 10:
 * a reader that went by id alone would skip 10. Below the horizon nothing of this
 * database is in flight any more, so nothing can later appear behind a reader's
 * position. The read takes that horizon from its own snapshot (`SNAPSHOT_HORIZON`): one
 * statement.
 *
 * Ordered by the xid8 itself: `ORDER BY tx_id` under a `tx_id::text AS tx_id` output column
 * would sort the text, and "10" before "9" would skip events whenever xids gain a digit.
 *
 * Prepared on its connection, as are the other reads here (every live feed's poll and the
 * dispatcher's batches run them): its text is one of three (all events, a workspace's, a
 * workspace's and a user's), whatever the values.
 */
export async function readCommittedEventsBelowHorizon(
  db: Executor,
  options: {
    after: CommitPosition;
    limit: number;
    workspaceId?: string;
    /** With `workspaceId`: also this user's personal events (no workspace, `payload.userId` them). */
    personalTo?: string;
  },
): Promise<{ events: CommittedEvent[]; horizon: string }> {
  const rows = await queryRowsPrepared<{ horizon: string } & OptionalEventRow>(
    db,
    sql`WITH ${SNAPSHOT_HORIZON}
        SELECT horizon.below::text AS horizon, ${EVENT_COLUMNS}
        FROM horizon ${eventsAfter({
          after: sql`(${options.after.txId}::xid8, ${options.after.id}::bigint)`,
          below: sql`horizon.below`,
          limit: options.limit,
          where: options.workspaceId ? sql`AND ${eventOf(options.workspaceId, options.personalTo)}` : sql``,
        })}`,
  );
  const horizon = rows[0]?.horizon;
  if (horizon === undefined) throw new Error("outbox read returned no horizon");
  return { events: eventsOf(rows), horizon };
}

type OptionalEventRow = { [K in keyof EventRow]: EventRow[K] | null };
const EVENT_COLUMNS = sql`e.id, e.tx_id, e.workspace_id, e.actor_id, e.type, e.payload, e.created_at`;

/**
 * The events committed after the position `after` (a row of tx_id and id) below `below`, at
 * most `limit`, in commit order, joined to the row before it as `e` (no event: one row of
 * nulls). Ordered by the xid8 itself (`tx_order`), never its text.
 */
function eventsAfter(read: { after: SQL; below: SQL; limit: number; where?: SQL }): SQL {
  return sql`LEFT JOIN LATERAL (
          SELECT id, tx_id AS tx_order, tx_id::text AS tx_id, workspace_id, actor_id, type, payload, created_at
          FROM domain_events
          WHERE (tx_id, id) > ${read.after}
            AND tx_id < ${read.below}
            ${read.where ?? sql``}
          ORDER BY tx_order, id
          LIMIT ${read.limit}
        ) AS e ON true
        ORDER BY e.tx_order, e.id`;
}

function eventsOf(rows: OptionalEventRow[]): CommittedEvent[] {
  const events: CommittedEvent[] = [];
  for (const row of rows) if (row.id !== null) events.push(toCommittedEvent(row as EventRow));
  return events;
}

/**
 * A durable consumer's batch in one statement: its cursor as stored (event_consumers), and the
 * events committed below `below` after the later of that and `from` (the position the reader
 * holds in memory, which runs ahead of the stored cursor while batches that wrote nothing do
 * not store theirs; the start of the outbox when it holds none), in commit order, with that
 * later position as `cursor`; null when the consumer has no cursor row. The statement must
 * come after the consumer's lock was taken, so that its snapshot sees the cursor the previous
 * holder committed. Its text is the same whatever `from` is (parameters only): it is prepared.
 */
export async function readConsumerBatch(
  db: Executor,
  options: { consumer: string; from: CommitPosition | null; below: string; limit: number },
): Promise<{ stored: CommitPosition; cursor: CommitPosition; events: CommittedEvent[] } | null> {
  const from = options.from ?? OUTBOX_START;
  const rows = await queryRowsPrepared<
    {
      stored_tx_id: string;
      stored_event_id: string | number;
      cursor_tx_id: string;
      cursor_event_id: string | number;
    } & OptionalEventRow
  >(
    db,
    sql`WITH cursor AS (
          SELECT consumer.last_tx_id AS stored_tx_id, consumer.last_event_id AS stored_event_id,
                 CASE WHEN ahead THEN memory.last_tx_id ELSE consumer.last_tx_id END AS last_tx_id,
                 CASE WHEN ahead THEN memory.last_event_id ELSE consumer.last_event_id END AS last_event_id
          FROM event_consumers AS consumer,
               (SELECT ${from.txId}::xid8 AS last_tx_id, ${from.id}::bigint AS last_event_id) AS memory,
               LATERAL (SELECT (memory.last_tx_id, memory.last_event_id) > (consumer.last_tx_id, consumer.last_event_id) AS ahead) AS later
          WHERE consumer.name = ${options.consumer}
        )
        SELECT cursor.stored_tx_id::text AS stored_tx_id, cursor.stored_event_id,
               cursor.last_tx_id::text AS cursor_tx_id, cursor.last_event_id AS cursor_event_id, ${EVENT_COLUMNS}
        FROM cursor ${eventsAfter({
          after: sql`(cursor.last_tx_id, cursor.last_event_id)`,
          below: sql`${options.below}::xid8`,
          limit: options.limit,
        })}`,
  );
  const first = rows[0];
  if (!first) return null;
  return {
    stored: { txId: first.stored_tx_id, id: Number(first.stored_event_id) },
    cursor: { txId: first.cursor_tx_id, id: Number(first.cursor_event_id) },
    events: eventsOf(rows),
  };
}

/** `readCommittedEventsBelowHorizon`'s events. */
export async function readCommittedEvents(
  db: Executor,
  options: Parameters<typeof readCommittedEventsBelowHorizon>[1],
): Promise<CommittedEvent[]> {
  return (await readCommittedEventsBelowHorizon(db, options)).events;
}

/** Events of the workspace and, when `userId` is given, that user's personal ones (a live stream's events). */
export function eventOf(workspaceId: string, userId?: string): SQL {
  return userId
    ? sql`(workspace_id = ${workspaceId} OR (workspace_id IS NULL AND payload->>'userId' = ${userId}))`
    : sql`workspace_id = ${workspaceId}`;
}

/** The newest committed position (below the horizon, `SNAPSHOT_HORIZON`); the start of the outbox if empty. */
export async function newestCommittedPosition(db: Executor): Promise<CommitPosition> {
  const [head] = await queryRowsPrepared<{ tx_id: string; id: string | number }>(
    db,
    sql`WITH ${SNAPSHOT_HORIZON}
        SELECT e.tx_id::text AS tx_id, e.id FROM domain_events AS e, horizon
        WHERE e.tx_id < horizon.below
        ORDER BY e.tx_id DESC, e.id DESC LIMIT 1`,
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
