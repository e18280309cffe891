import { memberships } from "@rapport/db";
import { sql, type SQL } from "drizzle-orm";

/** SQL: whether `userId` is (still) a member of `workspaceId` — both SQL expressions, e.g. columns of the caller's row. */
export function isMemberSql(workspaceId: SQL, userId: SQL): SQL {
  return sql`EXISTS (SELECT 1 FROM ${memberships} m WHERE m.workspace_id = ${workspaceId} AND m.user_id = ${userId})`;
}
