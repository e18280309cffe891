import { memberships, type Tx } from "@rapport/db";
import { eq, or, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { PrivacyHandler } from "../../platform/privacy/registry";

/**
 * GDPR: memberships (no personal columns, only the pseudonymous link).
 * Erasure removes them; the engine checks beforehand that the user is nobody's
 * sole owner. A user's memberships are exported in their profile.json (see
 * ../auth/privacy.ts).
 */
export const workspacesPrivacy: PrivacyHandler = {
  module: "workspaces",
  erases: [],
  async eraseUser(tx: Tx, userId) {
    await tx.delete(memberships).where(eq(memberships.userId, userId));
  },
};

/**
 * Exports: the CRM records a user is responsible for — every record of a workspace they own,
 * and any record they created elsewhere (see the contacts and interactions handlers).
 */
export function ownedOrCreatedBy(userId: string, workspaceId: PgColumn, createdBy: PgColumn): SQL {
  const owned = sql`(SELECT ${memberships.workspaceId} FROM ${memberships} WHERE ${memberships.userId} = ${userId} AND ${memberships.role} = 'owner')`;
  return or(sql`${workspaceId} IN ${owned}`, eq(createdBy, userId))!;
}
