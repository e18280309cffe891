import type { Executor } from "@rapport/db";
import { sql, type SQL } from "drizzle-orm";

/**
 * Deletes a workspace's vocabulary words (search_terms) that no contact or interaction of
 * the workspace holds any more, among `among` (a subquery of words) or all of them.
 */
export async function deleteUnusedTerms(executor: Executor, workspaceId: string, among?: SQL): Promise<number> {
  const rows = await executor.execute(sql`
    DELETE FROM search_terms t
    WHERE t.workspace_id = ${workspaceId}::uuid ${among ? sql`AND t.term IN ${among}` : sql``}
      AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.workspace_id = t.workspace_id
                      AND c.search_doc @@ plainto_tsquery('simple', t.term))
      AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.workspace_id = t.workspace_id
                      AND i.search_doc @@ plainto_tsquery('simple', t.term))
    RETURNING 1`);
  return Array.isArray(rows) ? rows.length : ((rows as { rows?: unknown[] }).rows?.length ?? 0);
}
