import { queryRows, type Executor } from "@rapport/db";
import { sql } from "drizzle-orm";
import type { EventDraft } from "./types";

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
  await queryRows(
    tx,
    sql`INSERT INTO domain_events (workspace_id, actor_id, type, payload)
        SELECT (e.value->>'w')::uuid, (e.value->>'a')::uuid, e.value->>'t', coalesce(e.value->'p', '{}'::jsonb)
        FROM jsonb_array_elements(${input}::jsonb) WITH ORDINALITY AS e(value, n)
        ORDER BY e.n`,
  );
}
