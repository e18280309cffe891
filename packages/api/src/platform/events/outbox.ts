import { queryRows, type Executor } from "@rapport/db";
import { sql } from "drizzle-orm";
import type { EventDraft } from "./types";

/** The transaction id of the events each executor (a transaction) has written, for `eventTransactionOf`. */
const eventTransactions = new WeakMap<Executor, string>();

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
  const [row] = await queryRows<{ tx_id: string }>(
    tx,
    sql`WITH inserted AS (
          INSERT INTO domain_events (workspace_id, actor_id, type, payload)
          SELECT (e.value->>'w')::uuid, (e.value->>'a')::uuid, e.value->>'t', coalesce(e.value->'p', '{}'::jsonb)
          FROM jsonb_array_elements(${input}::jsonb) WITH ORDINALITY AS e(value, n)
          ORDER BY e.n
          RETURNING 1
        )
        SELECT pg_current_xact_id()::text AS tx_id FROM inserted LIMIT 1`,
  );
  if (row) eventTransactions.set(tx, row.tx_id);
}

/**
 * The id of the transaction `tx` if `appendEvents` wrote events in it (null otherwise): told
 * to the outbox's readers after the commit, so they know which transaction to wait for.
 */
export function eventTransactionOf(tx: Executor): string | null {
  return eventTransactions.get(tx) ?? null;
}
