/**
 * Deleting a workspace: an owner asks (typing its name), the deletion waits the
 * same grace period as an account deletion (GDPR_DELETION_GRACE_DAYS) and can be
 * cancelled until then; meanwhile the workspace stays usable and its members see
 * a notice. Then every row of it goes in one transaction (the foreign keys
 * cascade from `workspaces`), with every export file that may hold its data, and
 * after commit its cache entries, Redis keys and queued jobs. The audit log keeps
 * its entries, which name the workspace by opaque id only.
 *
 * Requests live in the GDPR operations log (type `workspace_deletion`, subject
 * kind `workspace`), outside the workspace (workspace_id NULL), so the record
 * of the request outlives what it deleted.
 */
import { deletionEffectiveAt, checkDeletionRequest } from "@rapport/core";
import { gdprOperations, memberships, users, workspaces, type Executor } from "@rapport/db";
import { and, desc, eq, lte, sql } from "drizzle-orm";
import { DomainError, conflict, notFound } from "../../errors";
import { appendEvents } from "../../platform/events/outbox";
import type { ServiceDeps } from "../../platform/deps";
import { recordAudit } from "../../platform/audit";
import { lockErasureScope, usersTiedToWorkspace } from "../../platform/privacy/erasure-scope";
import { recordOperation } from "../../platform/privacy/operations";
import { ownedWorkspaces } from "./ownership";
import type { Actor } from "../../platform/actor";

const WORKSPACE_DELETION = "workspace_deletion";

/**
 * The workspace's pending deletion, if any. Callers that must not race a new request
 * (joining the workspace) lock the workspace row first: requestDeletion holds it FOR UPDATE.
 */
async function pendingWorkspaceDeletion(db: Executor, workspaceId: string) {
  const [op] = await db
    .select()
    .from(gdprOperations)
    .where(
      and(
        eq(gdprOperations.type, WORKSPACE_DELETION),
        eq(gdprOperations.subjectKind, "workspace"),
        eq(gdprOperations.subjectId, workspaceId),
        eq(gdprOperations.status, "pending"),
      ),
    )
    .orderBy(desc(gdprOperations.requestedAt))
    .limit(1);
  return op ?? null;
}

/** CONFLICT while the workspace is scheduled for deletion: nobody joins a workspace that is about to go. */
export async function assertNotScheduledForDeletion(tx: Executor, workspaceId: string): Promise<void> {
  await tx.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, workspaceId)).for("share");
  const pending = await pendingWorkspaceDeletion(tx, workspaceId);
  if (pending) {
    throw conflict(
      `This workspace is scheduled for deletion on ${pending.effectiveAt!.toISOString().slice(0, 10)}; nobody can join it.`,
      {
        reason: "workspace_deletion_scheduled",
        effectiveAt: pending.effectiveAt,
      },
    );
  }
}

export class WorkspaceDeletionService {
  constructor(private readonly deps: ServiceDeps) {}

  async requestDeletion(workspaceId: string, confirmation: string, actor: Actor) {
    const now = this.deps.clock.now();
    return this.deps.transaction(async (tx) => {
      // One request at a time per workspace: the workspace row is the lock.
      const [workspace] = await tx
        .select({ name: workspaces.name })
        .from(workspaces)
        .where(eq(workspaces.id, workspaceId))
        .for("update");
      if (!workspace) throw notFound("Workspace");
      const actorRole = await this.roleIn(tx, workspaceId, actor.actorId);
      if (!actorRole) throw notFound("Workspace");
      const verdict = checkDeletionRequest({ actorRole, typed: confirmation, workspaceName: workspace.name });
      if (!verdict.allowed) {
        throw verdict.reason === "forbidden"
          ? new DomainError("FORBIDDEN", verdict.message)
          : new DomainError("BAD_REQUEST", verdict.message, { path: ["confirmation"] });
      }
      const pending = await this.pendingOperation(tx, workspaceId);
      if (pending) return this.scheduledView(pending);
      const op = await recordOperation(tx, {
        workspaceId: null,
        type: WORKSPACE_DELETION,
        subjectKind: "workspace",
        subjectId: workspaceId,
        reason: null,
        requestedBy: actor.actorId,
        authorizedBy: actor.actorId,
        requestedAt: now,
        status: "pending",
        effectiveAt: deletionEffectiveAt(now, this.deps.config.GDPR_DELETION_GRACE_DAYS),
      });
      await appendEvents(tx, [
        { type: "workspace.deletion_scheduled", workspaceId, actorId: actor.actorId, payload: { operationId: op.id } },
      ]);
      await this.audit(tx, actor, "workspace.deletion_requested", workspaceId, op.id);
      return this.scheduledView(op);
    });
  }

  async cancelDeletion(workspaceId: string, actor: Actor) {
    const now = this.deps.clock.now();
    return this.deps.transaction(async (tx) => {
      const actorRole = await this.roleIn(tx, workspaceId, actor.actorId);
      if (actorRole !== "owner")
        throw new DomainError("FORBIDDEN", "Only an owner can cancel the workspace's deletion.");
      // A sole owner's scheduled account deletion counts on this workspace being gone first.
      const [otherOwner] = await tx
        .select({ userId: memberships.userId })
        .from(memberships)
        .where(
          and(
            eq(memberships.workspaceId, workspaceId),
            eq(memberships.role, "owner"),
            sql`${memberships.userId} <> ${actor.actorId}`,
          ),
        )
        .limit(1);
      if (!otherOwner) {
        const [accountDeletion] = await tx
          .select({ id: gdprOperations.id })
          .from(gdprOperations)
          .where(
            and(
              eq(gdprOperations.type, "user_deletion"),
              eq(gdprOperations.subjectId, actor.actorId),
              eq(gdprOperations.status, "pending"),
            ),
          )
          .limit(1);
        if (accountDeletion) {
          throw conflict(
            "Your account's deletion is scheduled and needs this workspace deleted first: cancel your account's deletion, or transfer ownership, before keeping the workspace.",
            {
              reason: "account_deletion_pending",
            },
          );
        }
      }
      const cancelled = await tx
        .update(gdprOperations)
        .set({ status: "cancelled", completedAt: now, updatedAt: now })
        .where(and(this.isRequestFor(workspaceId), eq(gdprOperations.status, "pending")))
        .returning({ id: gdprOperations.id });
      if (cancelled.length === 0) throw notFound("Scheduled deletion");
      const operationId = cancelled[0]!.id;
      await appendEvents(tx, [
        { type: "workspace.deletion_cancelled", workspaceId, actorId: actor.actorId, payload: { operationId } },
      ]);
      await this.audit(tx, actor, "workspace.deletion_cancelled", workspaceId, operationId);
      return { deletionId: operationId, status: "cancelled" as const };
    });
  }

  /** For every member: whether a deletion is scheduled, when, and who asked. */
  async status(workspaceId: string) {
    const op = await this.pendingOperation(this.deps.db, workspaceId);
    if (!op) return { scheduled: null };
    const [requester] = op.requestedBy
      ? await this.deps.db.select({ name: users.name }).from(users).where(eq(users.id, op.requestedBy))
      : [];
    return {
      scheduled: {
        deletionId: op.id,
        requestedAt: op.requestedAt,
        effectiveAt: op.effectiveAt!,
        requestedBy: op.requestedBy,
        requestedByName: requester?.name ?? null,
      },
    };
  }

  /** The workspaces the user owns: those nobody else owns block their account's deletion until handed over or deleted. */
  async soleOwned(userId: string) {
    const owned = await ownedWorkspaces(this.deps.db, userId);
    return owned.filter((w) => w.otherOwners === 0);
  }

  /** Daily job: deletes the workspaces whose grace period has ended. */
  async runDueDeletions(): Promise<{ executed: number; failed: number }> {
    const due = await this.deps.db
      .select({ id: gdprOperations.id })
      .from(gdprOperations)
      .where(
        and(
          eq(gdprOperations.type, WORKSPACE_DELETION),
          eq(gdprOperations.status, "pending"),
          lte(gdprOperations.effectiveAt, this.deps.clock.now()),
        ),
      )
      .orderBy(gdprOperations.effectiveAt);
    let executed = 0;
    let failed = 0;
    for (const op of due) {
      try {
        await this.execute(op.id);
        executed++;
      } catch (error) {
        failed++;
        this.deps.log.warn(
          { err: error instanceof DomainError ? error.message : error, operationId: op.id },
          "scheduled workspace deletion failed",
        );
      }
    }
    return { executed, failed };
  }

  /** Deletes the workspace of a pending request now. */
  async execute(operationId: string): Promise<{ deletionId: string; status: "completed"; completedAt: Date }> {
    const now = this.deps.clock.now();
    let workspaceId = "";
    const result = await this.deps.transaction(async (tx) => {
      const [op] = await tx.select().from(gdprOperations).where(eq(gdprOperations.id, operationId)).for("update");
      if (!op || op.type !== WORKSPACE_DELETION) throw notFound("Deletion request");
      if (op.status !== "pending") throw conflict(`This deletion request is ${op.status}.`);
      workspaceId = op.subjectId;
      // Before the workspace row: an export of it completing now holds this lock shared and then needs that row.
      await lockErasureScope(tx, { kind: "workspace", workspaceId });
      const [workspace] = await tx
        .select({ id: workspaces.id })
        .from(workspaces)
        .where(eq(workspaces.id, workspaceId))
        .for("update");
      const system: Actor = { actorId: op.requestedBy ?? "", ip: null, userAgent: null };
      let userIds: string[] = [];
      if (workspace) {
        // Whose personal exports may hold the workspace's records: its members, former members and anyone who added one.
        userIds = await usersTiedToWorkspace(tx, workspaceId);
        // Every export file that may hold the workspace's data: its contacts' exports and those users' personal ones.
        const fileKeys = await this.deps.services.gdprExports.detachForWorkspace(tx, workspaceId, userIds);
        // What the cascade would lose but must outlive it (e.g. Google grants still to revoke).
        await this.deps.privacy.eraseWorkspace(tx, workspaceId, { now });
        // Every table naming the workspace references it ON DELETE CASCADE, or hangs off a row
        // that does (webhook messages and attempts through their endpoint); the inventory test
        // and workspace-deletion.test.ts's dump check that nothing is left.
        await tx.delete(workspaces).where(eq(workspaces.id, workspaceId));
        // Files before commit: if the commit fails the request stays pending and runs again;
        // a committed deletion never leaves a file behind.
        await this.deps.services.gdprExports.deleteFiles(fileKeys);
      }
      await tx
        .update(gdprOperations)
        .set({ status: "completed", completedAt: now, updatedAt: now, authorizedBy: op.requestedBy })
        .where(eq(gdprOperations.id, operationId));
      await appendEvents(tx, [
        { type: "workspace.deleted", workspaceId: null, actorId: null, payload: { workspaceId, operationId, userIds } },
      ]);
      await this.audit(tx, system, "workspace.deleted", workspaceId, operationId);
      return { deletionId: operationId, status: "completed" as const, completedAt: now };
    });
    this.deps.services.workspaces.forgetRoles(workspaceId);
    await this.afterDeletion(workspaceId);
    return result;
  }

  /** Redis and queue leftovers of a deleted workspace; throws while Redis is down (the `workspace.deleted` consumer retries). */
  async forgetLeftovers(workspaceId: string): Promise<void> {
    // Cache entries on every instance and every Redis key naming the workspace.
    await this.deps.cache.forgetWorkspace(workspaceId);
    // Queued and finished jobs about the workspace (their data names it).
    await this.deps.services.recommendations.removeWarmupJobs(workspaceId);
    // Progress of its jobs (exports of its contacts) names it too.
    await this.deps.progress.forgetWorkspace(workspaceId);
  }

  /** After commit, best effort: the `workspace.deleted` consumer repeats it until it succeeds. */
  private async afterDeletion(workspaceId: string): Promise<void> {
    try {
      await this.forgetLeftovers(workspaceId);
    } catch (error) {
      this.deps.log.warn(
        { err: error, workspaceId },
        "cleanup after workspace deletion failed; the workspace.deleted consumer retries it",
      );
    }
  }

  private isRequestFor(workspaceId: string) {
    return and(
      eq(gdprOperations.type, WORKSPACE_DELETION),
      eq(gdprOperations.subjectKind, "workspace"),
      eq(gdprOperations.subjectId, workspaceId),
    );
  }

  private pendingOperation(db: Executor, workspaceId: string) {
    return pendingWorkspaceDeletion(db, workspaceId);
  }

  private async roleIn(db: Executor, workspaceId: string, userId: string) {
    const [row] = await db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
    return row?.role ?? null;
  }

  private scheduledView(op: { id: string; effectiveAt: Date | null }) {
    const effectiveAt = op.effectiveAt!;
    return {
      deletionId: op.id,
      status: "scheduled" as const,
      effectiveAt,
      warning: `The workspace, its contacts, interactions, exports and cached data will be deleted irreversibly on ${effectiveAt.toISOString().slice(0, 10)}. Any owner can cancel until then.`,
    };
  }

  /** Opaque ids only: the workspace, the operation; never its name. */
  private audit(tx: Executor, actor: Actor, action: string, workspaceId: string, operationId: string) {
    return recordAudit(tx, {
      action,
      workspaceId,
      actorId: actor.actorId || null,
      targetType: "workspace",
      targetId: workspaceId,
      ip: actor.ip,
      userAgent: actor.userAgent,
      metadata: { operationId },
    });
  }
}
