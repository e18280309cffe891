import { auditLog, type Executor } from "@rapport/db";

export interface AuditEntry {
  action: string;
  workspaceId?: string | null;
  actorId?: string | null;
  targetType?: string | null;
  /** Opaque ids only: audit entries never hold personal values. */
  targetId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  metadata?: Record<string, unknown>;
}

/** Appends to the audit log, inside the caller's transaction when given one. */
export async function recordAudit(executor: Executor, entry: AuditEntry): Promise<void> {
  await executor.insert(auditLog).values({
    action: entry.action,
    workspaceId: entry.workspaceId ?? null,
    actorId: entry.actorId ?? null,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: entry.ip ?? null,
    userAgent: entry.userAgent?.slice(0, 512) ?? null,
    metadata: entry.metadata ?? {},
  });
}
