import { checkRoleChange, isPhoneCountry, type WorkspaceRole } from "@rapport/core";
import { memberships, users, workspaces } from "@rapport/db";
import { and, count, eq, sql } from "drizzle-orm";
import { badRequest, DomainError, notFound } from "../../errors";
import { appendEvents } from "../../platform/events/outbox";
import type { CommitNotice, DomainEvent } from "../../platform/events/types";
import { boundedCache } from "../../platform/bounded-cache";
import type { ServiceDeps } from "../../platform/deps";
import type { Actor } from "../../platform/actor";
import { recordAudit } from "../../platform/audit";

// Membership is checked on every workspace request; caching the answer briefly
// keeps that check off the database. Member events evict entries on every
// instance (see `onCommit`, `onEvent`), so the window only matters if pub/sub is down.
const ROLE_CACHE_MS = 10_000;

export class WorkspaceService {
  private readonly roles = boundedCache<string, WorkspaceRole | "none">(100_000, { ttl: ROLE_CACHE_MS });

  constructor(private readonly deps: ServiceDeps) {}

  async roleOf(workspaceId: string, userId: string): Promise<WorkspaceRole | null> {
    // Keyed by the canonical spelling: membership events invalidate that one.
    const key = `${workspaceId.toLowerCase()}:${userId.toLowerCase()}`;
    const cached = this.roles.get(key);
    if (cached) return cached === "none" ? null : cached;
    const [row] = await this.deps.db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
    this.roles.set(key, row?.role ?? "none");
    return row?.role ?? null;
  }

  /**
   * A commit on any instance (its wake-up: here before the writer answers, elsewhere through
   * Redis) drops the roles its membership events change, at once; `onEvent`, when the relayed
   * event comes, again (the fallback when a wake-up is lost). An event named without its
   * payload drops every cached role of its workspace.
   */
  onCommit(commit: CommitNotice): void {
    for (const event of commit.events ?? []) {
      if (!event.type.startsWith("member.") && event.type !== "workspace.deleted") continue;
      if (event.detail) this.onEvent({ ...event, ...event.detail });
      else if (event.workspaceId) this.forgetRoles(event.workspaceId);
    }
  }

  /** Local cache coherence: any membership change drops that user's cached role; a deleted workspace drops all of its. */
  onEvent(event: Pick<DomainEvent, "type" | "workspaceId" | "payload">): void {
    if (event.type.startsWith("member.") && event.workspaceId) {
      this.roles.delete(`${event.workspaceId}:${String(event.payload.userId)}`);
    } else if (event.type === "workspace.deleted") {
      this.forgetRoles(String(event.payload.workspaceId));
    }
  }

  /** Drops cached roles in a workspace: of these users, or of everyone. */
  forgetRoles(workspaceId: string, userIds?: string[]): void {
    if (userIds) {
      for (const userId of userIds) this.roles.delete(`${workspaceId}:${userId}`);
      return;
    }
    for (const key of [...this.roles.keys()]) if (key.startsWith(`${workspaceId}:`)) this.roles.delete(key);
  }

  async create(name: string, actor: Actor) {
    return this.deps.transaction(async (tx) => {
      const [workspace] = await tx.insert(workspaces).values({ name, createdBy: actor.actorId }).returning();
      await tx.insert(memberships).values({ workspaceId: workspace!.id, userId: actor.actorId, role: "owner" });
      await appendEvents(tx, [
        {
          type: "workspace.created",
          workspaceId: workspace!.id,
          actorId: actor.actorId,
          payload: { workspaceId: workspace!.id },
        },
        {
          type: "member.added",
          workspaceId: workspace!.id,
          actorId: actor.actorId,
          payload: { userId: actor.actorId, role: "owner" },
        },
      ]);
      await recordAudit(tx, {
        action: "workspace.created",
        workspaceId: workspace!.id,
        targetType: "workspace",
        targetId: workspace!.id,
        ...actor,
      });
      this.roles.delete(`${workspace!.id}:${actor.actorId}`);
      return { ...workspace!, role: "owner" as const };
    });
  }

  /**
   * Renames the workspace or sets how its phone numbers without a country code are read. Only
   * what differs is written, as one `workspace.updated` event naming the fields (never the values)
   * and one audit entry; an update that changes nothing writes neither.
   */
  async update(workspaceId: string, patch: { name?: string; phoneCountry?: string | null }, actor: Actor) {
    if (patch.phoneCountry && !isPhoneCountry(patch.phoneCountry)) {
      throw badRequest("No phone numbering plan is known for this country code", ["phoneCountry"]);
    }
    return this.deps.transaction(async (tx) => {
      const [current] = await tx.select().from(workspaces).where(eq(workspaces.id, workspaceId)).for("update");
      if (!current) throw notFound("Workspace");
      const fields: ("name" | "phoneCountry")[] = [];
      if (patch.name !== undefined && patch.name !== current.name) fields.push("name");
      if (patch.phoneCountry !== undefined && patch.phoneCountry !== current.phoneCountry) fields.push("phoneCountry");
      if (fields.length === 0) return { id: current.id, name: current.name, phoneCountry: current.phoneCountry };
      const [updated] = await tx
        .update(workspaces)
        .set({
          ...(fields.includes("name") ? { name: patch.name } : {}),
          ...(fields.includes("phoneCountry") ? { phoneCountry: patch.phoneCountry ?? null } : {}),
          updatedAt: sql`now()`,
        })
        .where(eq(workspaces.id, workspaceId))
        .returning({ id: workspaces.id, name: workspaces.name, phoneCountry: workspaces.phoneCountry });
      await appendEvents(tx, [
        { type: "workspace.updated", workspaceId, actorId: actor.actorId, payload: { workspaceId, fields } },
      ]);
      await recordAudit(tx, {
        action: "workspace.updated",
        workspaceId,
        targetType: "workspace",
        targetId: workspaceId,
        metadata: { fields },
        ...actor,
      });
      return updated!;
    });
  }

  async listMine(userId: string) {
    return this.deps.db
      .select({
        id: workspaces.id,
        name: workspaces.name,
        phoneCountry: workspaces.phoneCountry,
        role: memberships.role,
        createdAt: workspaces.createdAt,
      })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .where(eq(memberships.userId, userId))
      .orderBy(workspaces.name, workspaces.id);
  }

  async listMembers(workspaceId: string) {
    return this.deps.db
      .select({
        userId: users.id,
        email: users.email,
        name: users.name,
        role: memberships.role,
        joinedAt: memberships.createdAt,
      })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.workspaceId, workspaceId))
      .orderBy(users.name, users.id);
  }

  async setRole(workspaceId: string, userId: string, role: WorkspaceRole, actorRole: WorkspaceRole, actor: Actor) {
    return this.changeMembership(workspaceId, userId, role, actorRole, actor);
  }

  async removeMember(workspaceId: string, userId: string, actorRole: WorkspaceRole, actor: Actor) {
    return this.changeMembership(workspaceId, userId, null, actorRole, actor);
  }

  private async changeMembership(
    workspaceId: string,
    userId: string,
    newRole: WorkspaceRole | null,
    actorRole: WorkspaceRole,
    actor: Actor,
  ) {
    const result = await this.deps.transaction(async (tx) => {
      // Lock the workspace's memberships so two concurrent demotions cannot
      // both see "another owner remains" and leave the workspace ownerless.
      await tx.execute(sql`SELECT 1 FROM memberships WHERE workspace_id = ${workspaceId} FOR UPDATE`);
      const [target] = await tx
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
      if (!target) throw notFound("Member");
      const [owners] = await tx
        .select({ n: count() })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, "owner")));
      const verdict = checkRoleChange({
        actorRole,
        targetCurrentRole: target.role,
        targetNewRole: newRole,
        isSelf: userId === actor.actorId,
        ownerCount: Number(owners?.n ?? 0),
      });
      if (!verdict.allowed) {
        throw new DomainError(verdict.reason === "last_owner" ? "CONFLICT" : "FORBIDDEN", verdict.message);
      }
      if (newRole === null) {
        await tx
          .delete(memberships)
          .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
        await appendEvents(tx, [
          {
            type: "member.removed",
            workspaceId,
            actorId: actor.actorId,
            payload: { userId, previousRole: target.role },
          },
        ]);
        // Their open follow-ups do not leave with them (the tasks module decides to whom they go).
        await this.deps.services.tasks.releaseAssignee(tx, workspaceId, userId, actor);
        await recordAudit(tx, {
          action: "member.removed",
          workspaceId,
          targetType: "user",
          targetId: userId,
          metadata: { previousRole: target.role },
          ...actor,
        });
        return { userId, role: null };
      }
      if (newRole === target.role) return { userId, role: newRole };
      await tx
        .update(memberships)
        .set({ role: newRole, updatedAt: this.deps.clock.now() })
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
      await appendEvents(tx, [
        {
          type: "member.role_changed",
          workspaceId,
          actorId: actor.actorId,
          payload: { userId, from: target.role, to: newRole },
        },
      ]);
      await recordAudit(tx, {
        action: "member.role_changed",
        workspaceId,
        targetType: "user",
        targetId: userId,
        metadata: { from: target.role, to: newRole },
        ...actor,
      });
      return { userId, role: newRole };
    });
    this.roles.delete(`${workspaceId}:${userId}`);
    return result;
  }
}
