import { gdprOperations, gdprRestrictions, memberships, users, type Executor } from "@rapport/db";
import { blockingWorkspaces, SOLE_OWNER_WAYS_OUT } from "@rapport/core";
import { and, eq, inArray, lte } from "drizzle-orm";
import { DomainError, conflict, forbidden, notFound } from "../../../errors";
import { appendEvents } from "../../../platform/events/outbox";
import { limitPasswordAttempt } from "../../../platform/password-attempts";
import { verifyPassword } from "../../../platform/passwords";
import { ownedWorkspaces } from "../../workspaces/public";
import type { Actor } from "../../../platform/actor";
import { recordOperation } from "../../../platform/privacy/operations";
import { auditOperation, DAY_MS, type ErasureContext } from "./context";

/*
 * Account deletion (Art. 17 for a user): requested with the password, scheduled
 * after GDPR_DELETION_GRACE_DAYS and cancellable until then, executed by the
 * daily job or early on request. A workspace must keep an owner throughout.
 */

export async function requestDeletion(
  ctx: ErasureContext,
  userId: string,
  input: { reason: string; password: string },
  actor: Actor,
) {
  await checkPassword(ctx, userId, input.password, actor);
  await assertNotSoleOwner(ctx.deps.db, userId, "request");
  const now = ctx.deps.clock.now();
  const effectiveAt = new Date(now.getTime() + ctx.deps.config.GDPR_DELETION_GRACE_DAYS * DAY_MS);
  return ctx.deps.transaction(async (tx) => {
    const [pending] = await tx
      .select()
      .from(gdprOperations)
      .where(
        and(
          eq(gdprOperations.type, "user_deletion"),
          eq(gdprOperations.subjectId, userId),
          eq(gdprOperations.status, "pending"),
        ),
      );
    const op =
      pending ??
      (await recordOperation(tx, {
        workspaceId: null,
        type: "user_deletion",
        subjectKind: "user",
        subjectId: userId,
        reason: input.reason,
        requestedBy: userId,
        authorizedBy: userId,
        requestedAt: now,
        status: "pending",
        effectiveAt,
      }));
    if (!pending) await auditOperation(tx, actor, "gdpr.user_deletion.requested", null, op.id, userId, "user");
    return {
      deletionId: op.id,
      status: "scheduled" as const,
      effectiveAt: op.effectiveAt!,
      warning: `Your account and personal data will be erased irreversibly on ${op.effectiveAt!.toISOString().slice(0, 10)}. You can cancel until then.`,
    };
  });
}

export async function cancelDeletion(ctx: ErasureContext, userId: string, actor: Actor) {
  const now = ctx.deps.clock.now();
  return ctx.deps.transaction(async (tx) => {
    const cancelled = await tx
      .update(gdprOperations)
      .set({ status: "cancelled", completedAt: now, updatedAt: now })
      .where(
        and(
          eq(gdprOperations.type, "user_deletion"),
          eq(gdprOperations.subjectId, userId),
          eq(gdprOperations.status, "pending"),
        ),
      )
      .returning({ id: gdprOperations.id });
    if (cancelled.length === 0) throw notFound("Pending deletion request");
    await auditOperation(tx, actor, "gdpr.user_deletion.cancelled", null, cancelled[0]!.id, userId, "user");
    return { deletionId: cancelled[0]!.id, status: "cancelled" as const };
  });
}

/**
 * Runs a scheduled deletion now: the user themself (re-confirming with their
 * password) or someone who is owner/admin of every workspace the user belongs to.
 */
export async function executeDeletion(
  ctx: ErasureContext,
  callerId: string,
  input: { deletionId: string; password?: string },
  actor: Actor,
) {
  const [op] = await ctx.deps.db.select().from(gdprOperations).where(eq(gdprOperations.id, input.deletionId));
  if (op?.type !== "user_deletion") throw notFound("Deletion request");
  const subjectId = op.subjectId;
  if (callerId === subjectId) {
    if (!input.password) throw forbidden("Re-enter your password to erase your account now.");
    await checkPassword(ctx, subjectId, input.password, actor);
  } else {
    const theirs = await ctx.deps.db
      .select({ workspaceId: memberships.workspaceId })
      .from(memberships)
      .where(eq(memberships.userId, subjectId));
    const mine = await ctx.deps.db
      .select({ workspaceId: memberships.workspaceId })
      .from(memberships)
      .where(and(eq(memberships.userId, callerId), inArray(memberships.role, ["owner", "admin"])));
    const allowed = new Set(mine.map((m) => m.workspaceId));
    // Not a member of any workspace with the caller: the request's existence is not revealed.
    if (theirs.length === 0 || !theirs.every((m) => allowed.has(m.workspaceId))) throw notFound("Deletion request");
  }
  if (op.status !== "pending") throw conflict(`This deletion request is ${op.status}.`);
  return executeUserErasure(ctx, op.id, subjectId, callerId, actor);
}

/** Daily job: executes deletions whose grace period has ended. */
export async function runDueDeletions(ctx: ErasureContext): Promise<{ executed: number; failed: number }> {
  const now = ctx.deps.clock.now();
  const due = await ctx.deps.db
    .select({ id: gdprOperations.id, subjectId: gdprOperations.subjectId })
    .from(gdprOperations)
    .where(
      and(
        eq(gdprOperations.type, "user_deletion"),
        eq(gdprOperations.status, "pending"),
        lte(gdprOperations.effectiveAt, now),
      ),
    );
  let executed = 0;
  let failed = 0;
  for (const op of due) {
    try {
      await executeUserErasure(ctx, op.id, op.subjectId, op.subjectId, {
        actorId: op.subjectId,
        ip: null,
        userAgent: null,
      });
      executed++;
    } catch (error) {
      failed++;
      ctx.deps.log.warn(
        { err: error instanceof DomainError ? error.message : error, operationId: op.id },
        "scheduled user deletion failed",
      );
    }
  }
  return { executed, failed };
}

async function executeUserErasure(
  ctx: ErasureContext,
  operationId: string,
  userId: string,
  authorizedBy: string,
  actor: Actor,
) {
  const now = ctx.deps.clock.now();
  let workspaceIds: string[] = [];
  const result = await ctx.deps.transaction(async (tx) => {
    const [op] = await tx.select().from(gdprOperations).where(eq(gdprOperations.id, operationId)).for("update");
    if (op?.status !== "pending") throw conflict("This deletion request is no longer pending.");
    await assertNotSoleOwner(tx, userId, "execute");
    await tx
      .update(gdprOperations)
      .set({ status: "in_progress", authorizedBy, updatedAt: now })
      .where(eq(gdprOperations.id, operationId));
    await auditOperation(
      tx,
      { ...actor, ip: null, userAgent: null },
      "gdpr.user_deletion.started",
      null,
      operationId,
      userId,
      "user",
    );
    workspaceIds = (
      await tx.select({ id: memberships.workspaceId }).from(memberships).where(eq(memberships.userId, userId))
    ).map((r) => r.id);
    await ctx.registry.eraseSubject(tx, { kind: "user", userId }, { operationId, now });
    await tx
      .delete(gdprRestrictions)
      .where(and(eq(gdprRestrictions.subjectKind, "user"), eq(gdprRestrictions.subjectId, userId)));
    await tx
      .update(gdprOperations)
      .set({ status: "completed", completedAt: now, updatedAt: now })
      .where(eq(gdprOperations.id, operationId));
    await appendEvents(tx, [
      { type: "user.erased", workspaceId: null, actorId: null, payload: { userId, operationId } },
      ...workspaceIds.map((workspaceId) => ({
        type: "member.removed" as const,
        workspaceId,
        actorId: null,
        payload: { userId, previousRole: "erased" },
      })),
    ]);
    await auditOperation(
      tx,
      { actorId: authorizedBy, ip: null, userAgent: null },
      "gdpr.user_deletion.completed",
      null,
      operationId,
      userId,
      "user",
    );
    return { deletionId: operationId, status: "completed" as const, completedAt: now };
  });
  await ctx.dropCaches(workspaceIds);
  await ctx.discardCopies({ kind: "user", userId });
  return result;
}

/** Password re-entry: limited like sign-in, on the same budget (a stolen session must not become a password oracle). */
async function checkPassword(ctx: ErasureContext, userId: string, password: string, actor: Actor) {
  const [user] = await ctx.deps.db
    .select({ email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, userId));
  if (!user) throw new DomainError("FORBIDDEN", "Password is incorrect.");
  const attempt = {
    email: user.email.toLowerCase(),
    ip: actor.ip,
    userAgent: actor.userAgent,
    purpose: "password_reentry" as const,
  };
  const valid = await limitPasswordAttempt(ctx.deps, attempt, () => verifyPassword(user.passwordHash, password));
  if (!valid) throw new DomainError("FORBIDDEN", "Password is incorrect.");
}

/**
 * A workspace must keep an owner: its sole owner cannot go. The refusal lists the blocking
 * workspaces and the two ways out (hand it over, or delete it). A workspace already scheduled
 * for deletion does not block scheduling (it runs out first, with the same grace period); when
 * the erasure itself runs (`when: "execute"`), the workspace must be gone.
 */
async function assertNotSoleOwner(db: Executor, userId: string, when: "request" | "execute") {
  const owned = await ownedWorkspaces(db, userId);
  const blocking = when === "request" ? blockingWorkspaces(owned) : owned.filter((w) => w.otherOwners === 0);
  if (blocking.length > 0) {
    const names = blocking.length === 1 ? "a workspace" : `${blocking.length} workspaces`;
    throw conflict(
      `You are the sole owner of ${names}; transfer ownership to another member or delete the workspace before deleting your account.`,
      {
        workspaceIds: blocking.map((w) => w.workspaceId),
        workspaces: blocking.map((w) => ({
          id: w.workspaceId,
          name: w.name,
          members: w.members,
          deletionScheduledAt: w.deletionScheduledAt,
        })),
        waysOut: [...SOLE_OWNER_WAYS_OUT],
      },
    );
  }
}
