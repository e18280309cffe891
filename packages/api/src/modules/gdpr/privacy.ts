import { gdprOperations, type Tx } from "@rapport/db";
import { and, eq, isNotNull, ne } from "drizzle-orm";
import { discardExportsForErasure } from "../../platform/privacy/erasure-scope";
import type { PrivacyHandler } from "../../platform/privacy/registry";

/**
 * GDPR's own records: free-text reasons of earlier requests about an erased subject are cleared,
 * reasons of the workspace's other requests that name the erased contact lose those words, and
 * stored exports that may hold the subject are discarded (see platform/privacy/erasure-scope.ts).
 */
export const gdprPrivacy: PrivacyHandler = {
  module: "gdpr",
  erases: ["gdpr_operations.reason"],
  // Exports first: that takes the lock a completing export holds in shared mode, before this transaction
  // locks any operations row such an export updates (the other order can deadlock).
  async eraseUser(tx: Tx, userId, ctx) {
    await discardExportsForErasure(tx, { kind: "user", userId });
    await clearReasons(tx, "user", userId, ctx.operationId);
  },
  async eraseContact(tx: Tx, workspaceId, contactId, ctx) {
    await discardExportsForErasure(tx, { kind: "workspace", workspaceId });
    await clearReasons(tx, "contact", contactId, ctx.operationId);
    await redactReasons(tx, workspaceId, ctx.terms ?? []);
  },
};

async function clearReasons(tx: Tx, kind: "user" | "contact", subjectId: string, keep: string) {
  await tx
    .update(gdprOperations)
    .set({ reason: null })
    .where(
      and(eq(gdprOperations.subjectKind, kind), eq(gdprOperations.subjectId, subjectId), ne(gdprOperations.id, keep)),
    );
}

const REDACTED = "[erased]";

/**
 * The reason stays as the record of the request (this erasure's own included), without the words
 * that identify the person: each term is replaced wherever it occurs, case-insensitively.
 */
async function redactReasons(tx: Tx, workspaceId: string, terms: string[]) {
  const needles = [...new Set(terms.map((t) => t.trim().toLowerCase()).filter((t) => t.length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  if (needles.length === 0) return;
  const rows = await tx
    .select({ id: gdprOperations.id, reason: gdprOperations.reason })
    .from(gdprOperations)
    .where(and(eq(gdprOperations.workspaceId, workspaceId), isNotNull(gdprOperations.reason)));
  for (const row of rows) {
    const redacted = redactTerms(row.reason!, needles);
    if (redacted !== row.reason)
      await tx.update(gdprOperations).set({ reason: redacted }).where(eq(gdprOperations.id, row.id));
  }
}

/** `text` with every occurrence of each (lower-case) needle replaced; plain string search, no pattern. */
function redactTerms(text: string, needles: string[]): string {
  let out = text;
  for (const needle of needles) {
    let lower = out.toLowerCase();
    // toLowerCase keeps the length for the scripts names use; when it does not, fall back to clearing.
    if (lower.length !== out.length) return lower.includes(needle) ? REDACTED : out;
    let at = lower.indexOf(needle);
    while (at >= 0) {
      out = out.slice(0, at) + REDACTED + out.slice(at + needle.length);
      lower = out.toLowerCase();
      at = lower.indexOf(needle, at + REDACTED.length);
    }
  }
  return out;
}
