import { memberships, workspaces, type Executor, type Tx } from "@rapport/db";
import { eq } from "drizzle-orm";
import type { PrivacyHandler } from "../gdpr/registry";

/**
 * GDPR (issue 6): memberships (no personal columns, only the pseudonymous link).
 * Erasure removes them; the engine checks beforehand that the user is nobody's
 * sole owner.
 */
export const workspacesPrivacy: PrivacyHandler = {
  module: "workspaces",
  erases: [],
  async exportUser(db: Executor, userId) {
    const rows = await db
      .select({ workspaceId: memberships.workspaceId, workspaceName: workspaces.name, role: memberships.role, createdAt: memberships.createdAt })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .where(eq(memberships.userId, userId));
    return [{ file: "preferences.json", records: rows, description: "your workspace memberships and roles" }];
  },
  async eraseUser(tx: Tx, userId) {
    await tx.delete(memberships).where(eq(memberships.userId, userId));
  },
};
