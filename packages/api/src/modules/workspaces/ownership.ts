import { checkOwnershipTransfer, PREVIOUS_OWNER_ROLE } from "@rapport/core";
import { memberships, users, workspaces, type Executor } from "@rapport/db";
import { and, eq, sql } from "drizzle-orm";
import { DomainError } from "../../errors";
import { appendEvents } from "../../platform/events/outbox";
import type { ServiceDeps } from "../../platform/deps";
import { recordAudit } from "../../platform/audit";
import type { Actor } from "../../platform/actor";

/** A workspace the user owns, with what decides whether it keeps them from deleting their account. */
export interface OwnedWorkspaceRow {
  workspaceId: string;
  name: string;
  members: number;
  otherOwners: number;
  deletionScheduledAt: Date | null;
}

/** Every workspace `userId` owns, with its other owners and any scheduled deletion. */
export async function ownedWorkspaces(db: Executor, userId: string): Promise<OwnedWorkspaceRow[]> {
  const rows = await db
    .select({
      workspaceId: memberships.workspaceId,
      name: workspaces.name,
      members: sql<number>`(SELECT count(*)::int FROM memberships m WHERE m.workspace_id = ${memberships.workspaceId})`,
      otherOwners: sql<number>`(SELECT count(*)::int FROM memberships o WHERE o.workspace_id = ${memberships.workspaceId} AND o.role = 'owner' AND o.user_id <> ${userId})`,
      deletionScheduledAt: sql<Date | string | null>`(SELECT g.effective_at FROM gdpr_operations g
        WHERE g.type = 'workspace_deletion' AND g.subject_kind = 'workspace' AND g.subject_id = ${memberships.workspaceId} AND g.status = 'pending'
        ORDER BY g.requested_at DESC LIMIT 1)`,
    })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(and(eq(memberships.userId, userId), eq(memberships.role, "owner")))
    .orderBy(workspaces.name, workspaces.id);
  return rows.map((row) => ({
    ...row,
    members: Number(row.members),
    otherOwners: Number(row.otherOwners),
    // A subquery's timestamp comes back as text from some drivers.
    deletionScheduledAt: row.deletionScheduledAt === null ? null : new Date(row.deletionScheduledAt),
  }));
}

/** Hands a workspace to another member: they become owner, the previous owner stays as admin. */
export class OwnershipService {
  constructor(private readonly deps: ServiceDeps) {}

  async transfer(workspaceId: string, toUserId: string, actor: Actor) {
    const result = await this.deps.transaction(async (tx) => {
      // The same lock as every membership change: no concurrent demotion can interleave.
      await tx.execute(sql`SELECT 1 FROM memberships WHERE workspace_id = ${workspaceId} FOR UPDATE`);
      const roles = await tx
        .select({ userId: memberships.userId, role: memberships.role })
        .from(memberships)
        .where(
          and(eq(memberships.workspaceId, workspaceId), sql`${memberships.userId} IN (${actor.actorId}, ${toUserId})`),
        );
      const roleOf = (userId: string) => roles.find((r) => r.userId === userId)?.role ?? null;
      const actorRole = roleOf(actor.actorId);
      if (!actorRole) throw new DomainError("NOT_FOUND", "Workspace not found");
      const verdict = checkOwnershipTransfer({
        actorRole,
        targetRole: roleOf(toUserId),
        isSelf: toUserId === actor.actorId,
      });
      if (!verdict.allowed) {
        throw new DomainError(
          verdict.reason === "forbidden" ? "FORBIDDEN" : verdict.reason === "not_member" ? "NOT_FOUND" : "BAD_REQUEST",
          verdict.message,
        );
      }
      const now = this.deps.clock.now();
      const from = roleOf(toUserId)!;
      await tx
        .update(memberships)
        .set({ role: "owner", updatedAt: now })
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, toUserId)));
      await tx
        .update(memberships)
        .set({ role: PREVIOUS_OWNER_ROLE, updatedAt: now })
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, actor.actorId)));
      await appendEvents(tx, [
        {
          type: "member.role_changed",
          workspaceId,
          actorId: actor.actorId,
          payload: { userId: toUserId, from, to: "owner" },
        },
        {
          type: "member.role_changed",
          workspaceId,
          actorId: actor.actorId,
          payload: { userId: actor.actorId, from: "owner", to: PREVIOUS_OWNER_ROLE },
        },
      ]);
      await recordAudit(tx, {
        action: "workspace.ownership_transferred",
        workspaceId,
        targetType: "user",
        targetId: toUserId,
        metadata: { previousOwnerRole: PREVIOUS_OWNER_ROLE },
        ...actor,
      });
      const [receiver] = await tx.select({ name: users.name }).from(users).where(eq(users.id, toUserId));
      return { workspaceId, ownerId: toUserId, ownerName: receiver?.name ?? "", yourRole: PREVIOUS_OWNER_ROLE };
    });
    this.deps.services.workspaces.forgetRoles(workspaceId, [actor.actorId, toUserId]);
    return result;
  }
}
