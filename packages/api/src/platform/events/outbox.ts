import { queryRows, type Executor } from "@rapport/db";
import { sql } from "drizzle-orm";
import type { CommitNotice, CommittedEvent, DomainEventType, EventDraft } from "./types";

/** The transaction id and the events each executor (a transaction) has written, for `commitNoticeOf`. */
const eventTransactions = new WeakMap<Executor, { txId: string; events: CommittedEvent[] }>();

/**
 * An event as `appendEvents` reads it back: id (bigint, maybe as text), workspace, type, actor,
 * payload, created_at (JSON text).
 */
type WrittenEvent = [number | string, string | null, DomainEventType, string | null, Record<string, unknown>, string];

/**
 * Writes events inside the caller's transaction: they exist iff it commits. One statement
 * with the drafts as one jsonb parameter, ids taken in the drafts' order: a batch of a
 * thousand (an import's) costs one small statement, not a thousand-row VALUES list.
 */
export async function appendEvents(tx: Executor, drafts: EventDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  const input = JSON.stringify(
    drafts.map((draft) => ({ w: draft.workspaceId, a: draft.actorId, t: draft.type, p: draft.payload })),
  );
  // Each event as written (id, workspace, type, and the rest the live feeds hand out at once
  // after the commit): no reliance on the order in which the INSERT took ids from the sequence.
  const [row] = await queryRows<{ tx_id: string; events: WrittenEvent[] | string }>(
    tx,
    sql`WITH inserted AS (
          INSERT INTO domain_events (workspace_id, actor_id, type, payload)
          SELECT (e.value->>'w')::uuid, (e.value->>'a')::uuid, e.value->>'t', coalesce(e.value->'p', '{}'::jsonb)
          FROM jsonb_array_elements(${input}::jsonb) WITH ORDINALITY AS e(value, n)
          ORDER BY e.n
          RETURNING id, workspace_id, type, actor_id, payload, created_at
        )
        SELECT pg_current_xact_id()::text AS tx_id,
               json_agg(json_build_array(id, workspace_id, type, actor_id, payload, created_at) ORDER BY id) AS events
        FROM inserted`,
  );
  if (!row?.events) return;
  const rows = typeof row.events === "string" ? (JSON.parse(row.events) as WrittenEvent[]) : row.events;
  const written = eventTransactions.get(tx) ?? { txId: row.tx_id, events: [] };
  for (const [id, workspaceId, type, actorId, payload, createdAt] of rows)
    written.events.push({
      id: Number(id),
      workspaceId,
      type,
      detail: { actorId, payload, createdAt: new Date(createdAt) },
    });
  eventTransactions.set(tx, written);
}

/**
 * What `tx` wrote to the outbox (null if `appendEvents` wrote nothing in it): its transaction
 * id and events, told to the outbox's readers after the commit so that they know which
 * transaction to wait for, and to the caches so that they drop what it changed at once.
 */
export function commitNoticeOf(tx: Executor): CommitNotice | null {
  return eventTransactions.get(tx) ?? null;
}
