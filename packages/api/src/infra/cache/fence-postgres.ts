import { queryRows, type Db } from "@rapport/db";
import { sql } from "drizzle-orm";
import type { FreshnessProbe, ProbedChange } from "./fence";

/**
 * The fence's question to Postgres (see fence.ts). Loaded only when a
 * namespace uses the fence, so the cache alone loads no database driver.
 */
export function postgresProbe(db: Db, consumerName: string): FreshnessProbe {
  return async (since) => {
    // First probe: everything the cache consumer has not processed yet counts
    // as changed (an instance starting up may find entries in Redis that a
    // not-yet-delivered event makes stale). Later: what became visible since.
    const query = since
      ? sql`SELECT pg_current_snapshot()::text AS snap, e.workspace_id, e.tx_id::text AS tx, e.id
            FROM (SELECT 1) AS one
            LEFT JOIN domain_events e
              ON e.tx_id >= pg_snapshot_xmin(${since.text}::pg_snapshot)
             AND NOT pg_visible_in_snapshot(e.tx_id, ${since.text}::pg_snapshot)
             AND e.workspace_id IS NOT NULL
             AND (e.type LIKE 'contact.%' OR e.type LIKE 'interaction.%')`
      : sql`SELECT pg_current_snapshot()::text AS snap, e.workspace_id, e.tx_id::text AS tx, e.id
            FROM (SELECT 1) AS one
            LEFT JOIN event_consumers c ON c.name = ${consumerName}
            LEFT JOIN domain_events e
              ON c.name IS NOT NULL
             AND (e.tx_id, e.id) > (c.last_tx_id, c.last_event_id)
             AND e.workspace_id IS NOT NULL
             AND (e.type LIKE 'contact.%' OR e.type LIKE 'interaction.%')`;
    const rows = await queryRows<{
      snap: string;
      workspace_id: string | null;
      tx: string | null;
      id: string | number | null;
    }>(db, query);
    const changes: ProbedChange[] = [];
    for (const row of rows)
      if (row.workspace_id && row.tx !== null && row.id !== null)
        changes.push({ workspaceId: row.workspace_id, tx: row.tx, eventId: Number(row.id) });
    return { snapshot: rows[0]!.snap, changes };
  };
}
