import { gdprOperations, type Executor, type GdprOperationStatus, type GdprSubjectKind } from "@rapport/db";
import { eq, sql, type SQLWrapper } from "drizzle-orm";

/**
 * The GDPR operations log (gdpr_operations): one row per data-subject request —
 * exports, erasures, restrictions — with its due date, so a DPO sees every
 * request and which are late. Subjects are opaque ids; the reason is free text
 * from the requester and is never copied into the audit log.
 */
export type GdprOperation = typeof gdprOperations.$inferSelect;

/** Art. 12(3): one month from receipt. */
function dueDateFor(requestedAt: Date): Date {
  const due = new Date(requestedAt);
  due.setUTCMonth(due.getUTCMonth() + 1);
  return due;
}

export interface NewOperation {
  workspaceId: string | null;
  type: string;
  subjectKind: GdprSubjectKind;
  subjectId: string;
  reason: string | null;
  requestedBy: string;
  authorizedBy: string | null;
  requestedAt: Date;
  status: GdprOperationStatus;
  effectiveAt?: Date;
  completedAt?: Date;
}

export async function recordOperation(db: Executor, operation: NewOperation): Promise<GdprOperation> {
  const [row] = await db
    .insert(gdprOperations)
    .values({ ...operation, dueAt: dueDateFor(operation.requestedAt), updatedAt: operation.requestedAt })
    .returning();
  return row!;
}

export async function setOperationStatus(
  db: Executor,
  operationId: string,
  status: GdprOperationStatus,
  now: Date,
): Promise<void> {
  await db
    .update(gdprOperations)
    .set({ status, updatedAt: now, ...(status === "completed" ? { completedAt: now } : {}) })
    .where(eq(gdprOperations.id, operationId));
}

/**
 * Not erased (GDPR Art. 17): an erased contact's row stays, anonymous ("Erased contact"), for
 * the aggregates that count it; it is not found, listed, counted, exported or changed in bulk.
 */
export const contactNotErased = (contactId: SQLWrapper) => sql`NOT EXISTS (
  SELECT 1 FROM gdpr_operations o
  WHERE o.subject_kind = 'contact' AND o.subject_id = ${contactId}
    AND o.type = 'contact_erasure' AND o.status = 'completed')`;
