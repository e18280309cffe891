import { contacts, gdprOperations, gdprSuppressions } from "@rapport/db";
import { and, eq } from "drizzle-orm";
import { notFound } from "../../../errors";
import { appendEvents } from "../../../platform/events/outbox";
import type { Actor } from "../../../platform/actor";
import { recordOperation } from "../../../platform/privacy/operations";
import { normalizeAddress, suppressionHmacs } from "../../../platform/privacy/suppression";
import { auditOperation, type ErasureContext } from "./context";

/**
 * Art. 17 for a contact, answered by the workspace: every module erases what it
 * holds of the contact (privacy registry), every address the person had here (the
 * contact's and those the modules still hold, e.g. of merged contacts) is suppressed
 * against re-import, and the operation is logged and audited. Irreversible.
 */
export async function eraseContact(
  ctx: ErasureContext,
  workspaceId: string,
  contactId: string,
  reason: string,
  actor: Actor,
) {
  const { deps, registry } = ctx;
  const now = deps.clock.now();
  const result = await deps.transaction(async (tx) => {
    const [contact] = await tx
      .select()
      .from(contacts)
      .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)))
      .for("update");
    if (!contact) throw notFound("Contact");
    const op = await recordOperation(tx, {
      workspaceId,
      type: "contact_erasure",
      subjectKind: "contact",
      subjectId: contactId,
      reason,
      requestedBy: actor.actorId,
      authorizedBy: actor.actorId,
      requestedAt: now,
      status: "in_progress",
    });
    await auditOperation(tx, actor, "gdpr.contact_erasure.started", workspaceId, op.id, contactId, "contact");
    // The person's other addresses and names that modules still hold (e.g. of contacts merged
    // into this one) are suppressed and cleared too, before the records holding them go.
    const kept = await registry.contactIdentity(tx, workspaceId, contactId);
    const addresses = [
      ...new Set([contact.email, ...kept.emails].filter((e): e is string => !!e).map(normalizeAddress)),
    ];
    const terms = [
      ...new Set(
        [contact.email, contact.name, contact.phone, ...kept.terms].filter(
          (t): t is string => !!t && t !== "Erased contact",
        ),
      ),
    ];
    await registry.eraseSubject(
      tx,
      { kind: "contact", workspaceId, contactId },
      { operationId: op.id, now, addresses, terms },
    );
    if (addresses.length > 0) {
      await tx
        .insert(gdprSuppressions)
        .values(
          [...new Set(addresses.flatMap((a) => suppressionHmacs(deps.config.GDPR_SUPPRESSION_KEY, a)))].map((h) => ({
            workspaceId,
            addressHmac: h,
            createdAt: now,
          })),
        )
        .onConflictDoNothing();
    }
    await tx
      .update(gdprOperations)
      .set({ status: "completed", completedAt: now, updatedAt: now })
      .where(eq(gdprOperations.id, op.id));
    await appendEvents(tx, [
      { type: "contact.erased", workspaceId, actorId: actor.actorId, payload: { contactId, operationId: op.id } },
    ]);
    await auditOperation(tx, actor, "gdpr.contact_erasure.completed", workspaceId, op.id, contactId, "contact");
    return { operationId: op.id, status: "completed" as const, completedAt: now };
  });
  await ctx.dropCaches([workspaceId]);
  await ctx.discardCopies({ kind: "contact", workspaceId, contactId });
  return result;
}
