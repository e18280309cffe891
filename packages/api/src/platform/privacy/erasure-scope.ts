/**
 * Which stored exports an erasure must discard, and how an export that is being written while an
 * erasure commits is kept from becoming downloadable.
 *
 * An export file holds more people than its subject: a contact's interactions.json lists everyone who
 * took part; a member's export holds the contacts and interactions of the workspaces they own and the
 * records they created. Erasing contact A of workspace W therefore discards every contact export of W
 * and the personal export of every user tied to W (member, former member, or creator of W's records).
 *
 * The race with exports in progress is closed by three rules:
 * 1. The erasure takes an exclusive transaction lock on the scope (the workspace, or the erased user),
 *    then marks every completed export in scope `discarded` — in its own transaction, so no such export
 *    is downloadable once the erasure is visible.
 * 2. An export remembers the database snapshot it started reading under. It completes only inside a
 *    transaction holding the scope's lock in shared mode, by a conditional update that refuses when an
 *    erasure in scope committed outside that snapshot (the file may hold the erased person); a refused
 *    export deletes its file and is marked `discarded`.
 * 3. Exports completed before the erasure took its lock are caught by rule 1; exports started after
 *    the erasure committed read the erased data.
 */
import { contacts, domainEvents, gdprExports, interactions, memberships, queryRows, type Executor } from "@rapport/db";
import { and, eq, inArray, isNotNull, or, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

type Ref = PgColumn | SQL | string;
const ref = (value: Ref) => (typeof value === "string" ? sql`${value}::uuid` : value);

/** Whether user `userId` is, was, or created records in workspace `workspaceId` (so their export may hold its contacts). */
function userTiedToWorkspace(userId: Ref, workspaceId: Ref): SQL {
  const u = ref(userId);
  const w = ref(workspaceId);
  return sql`(
    EXISTS (SELECT 1 FROM ${memberships} m WHERE m.workspace_id = ${w} AND m.user_id = ${u})
    OR EXISTS (SELECT 1 FROM ${domainEvents} e WHERE e.workspace_id = ${w} AND e.type = 'member.removed' AND e.payload->>'userId' = ${u}::text)
    OR EXISTS (SELECT 1 FROM ${contacts} c WHERE c.workspace_id = ${w} AND c.created_by = ${u})
    OR EXISTS (SELECT 1 FROM ${interactions} i WHERE i.workspace_id = ${w} AND i.created_by = ${u})
  )`;
}

/** The users tied to a workspace (see userTiedToWorkspace): whose personal exports may hold its records. */
export async function usersTiedToWorkspace(db: Executor, workspaceId: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`
    SELECT user_id AS id FROM ${memberships} WHERE workspace_id = ${workspaceId}
    UNION SELECT (payload->>'userId')::uuid FROM ${domainEvents} WHERE workspace_id = ${workspaceId} AND type = 'member.removed'
    UNION SELECT created_by FROM ${contacts} WHERE workspace_id = ${workspaceId} AND created_by IS NOT NULL
    UNION SELECT created_by FROM ${interactions} WHERE workspace_id = ${workspaceId} AND created_by IS NOT NULL`,
  );
  return rows.map((r) => r.id);
}

/** The workspaces a user is tied to (see userTiedToWorkspace). */
async function workspacesTiedTo(db: Executor, userId: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`
    SELECT workspace_id AS id FROM ${memberships} WHERE user_id = ${userId}
    UNION SELECT workspace_id FROM ${domainEvents} WHERE type = 'member.removed' AND payload->>'userId' = ${userId} AND workspace_id IS NOT NULL
    UNION SELECT workspace_id FROM ${contacts} WHERE created_by = ${userId}
    UNION SELECT workspace_id FROM ${interactions} WHERE created_by = ${userId}`,
  );
  return rows.map((r) => r.id);
}

export type ErasureScope = { kind: "workspace"; workspaceId: string } | { kind: "user"; userId: string };

const lockKey = (scope: ErasureScope) =>
  sql`hashtextextended(${scope.kind === "workspace" ? `gdpr-export:w:${scope.workspaceId}` : `gdpr-export:u:${scope.userId}`}, 0)`;

/** The exports an erasure of this scope discards. */
function exportsIn(scope: ErasureScope): SQL {
  return scope.kind === "workspace"
    ? or(
        and(eq(gdprExports.subjectKind, "contact"), eq(gdprExports.workspaceId, scope.workspaceId)),
        and(eq(gdprExports.subjectKind, "user"), userTiedToWorkspace(gdprExports.subjectId, scope.workspaceId)),
      )!
    : and(eq(gdprExports.subjectKind, "user"), eq(gdprExports.subjectId, scope.userId))!;
}

/** The exclusive side of the lock, for anything that removes data exports may hold (erasure, workspace deletion). */
export async function lockErasureScope(tx: Executor, scope: ErasureScope): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${lockKey(scope)})`);
}

/**
 * Rule 1, inside the erasure's transaction: lock the scope and discard its completed exports
 * (the files are deleted after commit by GdprExportService.deleteDiscardedFiles).
 */
export async function discardExportsForErasure(tx: Executor, scope: ErasureScope): Promise<number> {
  await lockErasureScope(tx, scope);
  const rows = await tx
    .update(gdprExports)
    .set({ status: "discarded", discardReason: "subject_erased", error: null })
    .where(and(eq(gdprExports.status, "completed"), isNotNull(gdprExports.fileKey), exportsIn(scope)))
    .returning({ id: gdprExports.id });
  return rows.length;
}

export interface ExportSubject {
  subjectKind: "user" | "contact";
  subjectId: string;
  workspaceId: string | null;
}

/**
 * Rule 2, inside the export's completing transaction: takes the scope locks in shared mode (waiting
 * for a running erasure to commit) and returns the condition "no erasure in scope committed outside
 * `snapshot`" for the completing update.
 */
export async function lockForCompletion(tx: Executor, row: ExportSubject, snapshot: string): Promise<SQL> {
  const scopes: ErasureScope[] =
    row.subjectKind === "contact"
      ? [{ kind: "workspace", workspaceId: row.workspaceId! }]
      : [
          { kind: "user", userId: row.subjectId },
          ...(await workspacesTiedTo(tx, row.subjectId))
            .sort()
            .map((workspaceId) => ({ kind: "workspace" as const, workspaceId })),
        ];
  for (const scope of scopes) await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${lockKey(scope)})`);
  const erasedInScope =
    row.subjectKind === "contact"
      ? and(eq(domainEvents.type, "contact.erased"), eq(domainEvents.workspaceId, row.workspaceId!))
      : or(
          and(eq(domainEvents.type, "user.erased"), sql`${domainEvents.payload}->>'userId' = ${row.subjectId}`),
          // A workspace whose records the export may hold was deleted (its own events went with it).
          and(
            eq(domainEvents.type, "workspace.deleted"),
            sql`${domainEvents.payload}->'userIds' @> jsonb_build_array(${row.subjectId}::text)`,
          ),
          and(
            eq(domainEvents.type, "contact.erased"),
            scopes.length > 1
              ? inArray(
                  domainEvents.workspaceId,
                  scopes.flatMap((s) => (s.kind === "workspace" ? [s.workspaceId] : [])),
                )
              : sql`false`,
          ),
        );
  return sql`NOT EXISTS (
    SELECT 1 FROM ${domainEvents}
    WHERE ${domainEvents.txId} >= pg_snapshot_xmin(${snapshot}::pg_snapshot)
      AND NOT pg_visible_in_snapshot(${domainEvents.txId}, ${snapshot}::pg_snapshot)
      AND ${erasedInScope}
  )`;
}
