import { auditLog, type Executor } from "@rapport/db";
import { eq } from "drizzle-orm";
import type { PrivacyHandler } from "../gdpr/registry";

/**
 * GDPR (issue 6): the audit log is append-only and kept for its retention period
 * (AUDIT_RETENTION_DAYS). Its entries refer to subjects by opaque id only; the
 * network identifiers are an Art. 17(3) exemption documented in the inventory.
 * Export only; no eraser.
 */
export const auditPrivacy: PrivacyHandler = {
  module: "audit",
  erases: [],
  async exportUser(db: Executor, userId) {
    const rows = await db.select().from(auditLog).where(eq(auditLog.actorId, userId));
    return [{ file: "audit.json", records: rows, description: "security log entries of actions you took" }];
  },
};
