import { gdprOperations, type Tx } from "@rapport/db";
import { and, eq, ne } from "drizzle-orm";
import type { PrivacyHandler } from "./registry";

/** GDPR's own records: free-text reasons of earlier requests about an erased subject are cleared. */
export const gdprPrivacy: PrivacyHandler = {
  module: "gdpr",
  erases: ["gdpr_operations.reason"],
  async eraseUser(tx: Tx, userId, ctx) {
    await clearReasons(tx, "user", userId, ctx.operationId);
  },
  async eraseContact(tx: Tx, _workspaceId, contactId, ctx) {
    await clearReasons(tx, "contact", contactId, ctx.operationId);
  },
};

async function clearReasons(tx: Tx, kind: "user" | "contact", subjectId: string, keep: string) {
  await tx
    .update(gdprOperations)
    .set({ reason: null })
    .where(and(eq(gdprOperations.subjectKind, kind), eq(gdprOperations.subjectId, subjectId), ne(gdprOperations.id, keep)));
}
