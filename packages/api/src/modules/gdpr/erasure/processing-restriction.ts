import { contacts, gdprOperations, gdprRestrictions } from "@rapport/db";
import { and, desc, eq } from "drizzle-orm";
import { forbidden, notFound } from "../../../errors";
import { appendEvents } from "../../../platform/events/outbox";
import type { Actor } from "../../../platform/actor";
import { recordOperation } from "../../../platform/privacy/operations";
import type { Subject } from "../../../platform/privacy/registry";
import { auditOperation, type ErasureContext } from "./context";

/*
 * Restriction of processing (Art. 18), for the calling user or, by the
 * workspace, for a contact: recorded, audited, announced by an event (which
 * keeps every instance's restriction index current) and enforced on the read paths.
 */

const USER_RESTRICTED_MESSAGE =
  "You have restricted the processing of your data (GDPR Art. 18): recommendations, analytics and syncs are paused until you lift the restriction on your Privacy page.";

export async function restrictUser(ctx: ErasureContext, userId: string, actor: Actor) {
  return setRestriction(ctx, { kind: "user", userId }, null, true, actor);
}

export async function unrestrictUser(ctx: ErasureContext, userId: string, actor: Actor) {
  return setRestriction(ctx, { kind: "user", userId }, null, false, actor);
}

export async function restrictContact(ctx: ErasureContext, workspaceId: string, contactId: string, actor: Actor) {
  await assertContactExists(ctx, workspaceId, contactId);
  return setRestriction(ctx, { kind: "contact", workspaceId, contactId }, workspaceId, true, actor);
}

export async function unrestrictContact(ctx: ErasureContext, workspaceId: string, contactId: string, actor: Actor) {
  await assertContactExists(ctx, workspaceId, contactId);
  return setRestriction(ctx, { kind: "contact", workspaceId, contactId }, workspaceId, false, actor);
}

async function assertContactExists(ctx: ErasureContext, workspaceId: string, contactId: string) {
  const [c] = await ctx.deps.db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)));
  if (!c) throw notFound("Contact");
}

async function setRestriction(
  ctx: ErasureContext,
  subject: Subject,
  workspaceId: string | null,
  on: boolean,
  actor: Actor,
) {
  const subjectId = subject.kind === "user" ? subject.userId : subject.contactId;
  const now = ctx.deps.clock.now();
  const result = await ctx.deps.transaction(async (tx) => {
    let changed: boolean;
    if (on) {
      // An edit locks the contact's row, then checks the restriction in its UPDATE. Taking
      // that lock here too orders the two: an edit either commits before the restriction
      // or, waiting for this lock, reads it in its UPDATE and is refused.
      if (subject.kind === "contact") {
        await tx
          .select({ id: contacts.id })
          .from(contacts)
          .where(eq(contacts.id, subject.contactId))
          .for("no key update");
      }
      const rows = await tx
        .insert(gdprRestrictions)
        .values({ subjectKind: subject.kind, subjectId, workspaceId, restrictedBy: actor.actorId, createdAt: now })
        .onConflictDoNothing()
        .returning({ id: gdprRestrictions.subjectId });
      changed = rows.length > 0;
    } else {
      const rows = await tx
        .delete(gdprRestrictions)
        .where(and(eq(gdprRestrictions.subjectKind, subject.kind), eq(gdprRestrictions.subjectId, subjectId)))
        .returning({ id: gdprRestrictions.subjectId });
      changed = rows.length > 0;
    }
    const type = on ? "restriction" : "restriction_lifted";
    if (changed) {
      const op = await recordOperation(tx, {
        workspaceId,
        type,
        subjectKind: subject.kind,
        subjectId,
        reason: null,
        requestedBy: actor.actorId,
        authorizedBy: actor.actorId,
        requestedAt: now,
        status: "completed",
        completedAt: now,
      });
      await auditOperation(tx, actor, `gdpr.${type}`, workspaceId, op.id, subjectId, subject.kind);
      // Lifting is told to the subject's side: an activity event (workspace feed) for contacts;
      // the user's own request history (operations log) for users. Both events keep every
      // instance's restriction index current.
      await appendEvents(tx, [
        subject.kind === "contact"
          ? {
              type: on ? "contact.restricted" : "contact.unrestricted",
              workspaceId: subject.workspaceId,
              actorId: actor.actorId,
              payload: { contactId: subjectId },
            }
          : {
              type: on ? "user.restricted" : "user.unrestricted",
              workspaceId: null,
              actorId: actor.actorId,
              payload: { userId: subjectId },
            },
      ]);
    }
    return { restricted: on, restrictions: on ? ctx.registry.restrictions(subject) : [] };
  });
  ctx.restrictions.set(subject.kind, subjectId, on);
  return result;
}

/** FORBIDDEN while the user restricts processing; guards every procedure that processes the caller's data. */
export async function assertProcessingAllowed(ctx: ErasureContext, userId: string): Promise<void> {
  if (await ctx.restrictions.isRestricted("user", userId))
    throw forbidden(USER_RESTRICTED_MESSAGE, { reason: "processing_restricted" });
}

export async function restrictionStatus(ctx: ErasureContext, userId: string) {
  const restricted = await ctx.restrictions.isRestricted("user", userId);
  return { restricted, restrictions: restricted ? ctx.registry.restrictions({ kind: "user", userId }) : [] };
}

/**
 * A contact's privacy state for the contact page: whether processing is restricted,
 * what a restriction stops (listed whether or not it is on) and when it was erased.
 */
export async function contactPrivacy(ctx: ErasureContext, workspaceId: string, contactId: string) {
  await assertContactExists(ctx, workspaceId, contactId);
  const restricted = await ctx.restrictions.isRestricted("contact", contactId);
  const [erasure] = await ctx.deps.db
    .select({ completedAt: gdprOperations.completedAt })
    .from(gdprOperations)
    .where(
      and(
        eq(gdprOperations.workspaceId, workspaceId),
        eq(gdprOperations.type, "contact_erasure"),
        eq(gdprOperations.subjectId, contactId),
        eq(gdprOperations.status, "completed"),
      ),
    )
    .orderBy(desc(gdprOperations.completedAt))
    .limit(1);
  return {
    restricted,
    restrictions: ctx.registry.restrictions({ kind: "contact", workspaceId, contactId }),
    erasedAt: erasure?.completedAt ?? null,
  };
}
