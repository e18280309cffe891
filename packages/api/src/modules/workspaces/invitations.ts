import { createHash, randomBytes } from "node:crypto";
import { checkInvite, checkResponse, invitationExpiry, invitationState, type WorkspaceRole } from "@rapport/core";
import { memberships, users, workspaceInvitations, workspaces, type Tx } from "@rapport/db";
import { assertNotScheduledForDeletion } from "./deletion";
import { and, desc, eq, gt, lte, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { conflict, DomainError, forbidden, notFound } from "../../errors";
import { appendEvents } from "../../platform/events/outbox";
import type { ServiceDeps } from "../../platform/deps";
import { recordAudit } from "../../platform/audit";
import type { Actor } from "../../platform/actor";

export const PURGE_INVITATIONS_JOB = "workspaces.purge-invitations";
/**
 * The SPA page that answers an invitation. The token travels in the fragment, which
 * browsers never send to a server: it stays out of access logs and Referer headers.
 */
const INVITATION_PAGE = "/invite";

/** 256 random bits; only the SHA-256 of it is stored. */
function newInvitationToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashInvitationToken(token) };
}

function hashInvitationToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

const inviter = alias(users, "inviter");

/**
 * Membership by consent: owners and admins invite an address with a role; the
 * person holding the link, signed in with that address, accepts or declines it.
 * Inviting never looks at accounts, so the answer is the same whether or not the
 * address has one (no account enumeration).
 */
export class InvitationService {
  constructor(private readonly deps: ServiceDeps) {}

  private link(token: string): string {
    const path = `${INVITATION_PAGE}#${token}`;
    return this.deps.config.PUBLIC_URL ? new URL(path, this.deps.config.PUBLIC_URL).toString() : path;
  }

  async invite(workspaceId: string, email: string, role: WorkspaceRole, actorRole: WorkspaceRole, actor: Actor) {
    const verdict = checkInvite(actorRole, role);
    if (!verdict.allowed) throw forbidden(verdict.message);
    const { token, hash } = newInvitationToken();
    const now = this.deps.clock.now();
    const invitation = await this.deps.transaction(async (tx) => {
      await assertNotScheduledForDeletion(tx, workspaceId);
      // Only this workspace's members are compared (admins see them in the member list anyway);
      // whether the address has an account elsewhere is never looked at.
      const [member] = await tx
        .select({ userId: memberships.userId })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.workspaceId, workspaceId), sql`lower(${users.email}) = ${email}`));
      if (member) throw conflict("This person is already a member of the workspace.");
      // Inviting the same address again replaces its open invitation (the old link stops working).
      const replaced = await tx
        .update(workspaceInvitations)
        .set({ status: "revoked", respondedAt: now })
        .where(
          and(
            eq(workspaceInvitations.workspaceId, workspaceId),
            eq(workspaceInvitations.email, email),
            eq(workspaceInvitations.status, "pending"),
          ),
        )
        .returning({ id: workspaceInvitations.id });
      const [row] = await tx
        .insert(workspaceInvitations)
        .values({
          workspaceId,
          email,
          role,
          tokenHash: hash,
          invitedBy: actor.actorId,
          createdAt: now,
          expiresAt: invitationExpiry(now, this.deps.config.INVITATION_TTL_DAYS),
        })
        .returning();
      await appendEvents(tx, [
        ...replaced.map((r) => ({
          type: "invitation.revoked" as const,
          workspaceId,
          actorId: actor.actorId,
          payload: { invitationId: r.id },
        })),
        { type: "invitation.created", workspaceId, actorId: actor.actorId, payload: { invitationId: row!.id, role } },
      ]);
      await recordAudit(tx, {
        action: "invitation.created",
        workspaceId,
        targetType: "invitation",
        targetId: row!.id,
        metadata: { role, ...(replaced.length > 0 ? { replaced: replaced.map((r) => r.id) } : {}) },
        ...actor,
      });
      return row!;
    });
    return {
      invitation: {
        id: invitation.id,
        email: invitation.email,
        role: invitation.role,
        createdAt: invitation.createdAt,
        expiresAt: invitation.expiresAt,
      },
      /** Shown once to the inviter to hand over (no mail is sent); it cannot be shown again. */
      link: this.link(token),
    };
  }

  /** Open (pending, unexpired) invitations of a workspace, newest first. */
  async listPending(workspaceId: string) {
    return this.deps.db
      .select({
        id: workspaceInvitations.id,
        email: workspaceInvitations.email,
        role: workspaceInvitations.role,
        invitedByName: inviter.name,
        createdAt: workspaceInvitations.createdAt,
        expiresAt: workspaceInvitations.expiresAt,
      })
      .from(workspaceInvitations)
      .leftJoin(inviter, eq(inviter.id, workspaceInvitations.invitedBy))
      .where(
        and(
          eq(workspaceInvitations.workspaceId, workspaceId),
          eq(workspaceInvitations.status, "pending"),
          gt(workspaceInvitations.expiresAt, this.deps.clock.now()),
        ),
      )
      .orderBy(desc(workspaceInvitations.createdAt), desc(workspaceInvitations.id));
  }

  async revoke(workspaceId: string, invitationId: string, actorRole: WorkspaceRole, actor: Actor) {
    return this.deps.transaction(async (tx) => {
      const [row] = await tx
        .select({ role: workspaceInvitations.role })
        .from(workspaceInvitations)
        .where(
          and(
            eq(workspaceInvitations.id, invitationId),
            eq(workspaceInvitations.workspaceId, workspaceId),
            eq(workspaceInvitations.status, "pending"),
          ),
        )
        .for("update");
      if (!row) throw notFound("Invitation");
      const verdict = checkInvite(actorRole, row.role);
      if (!verdict.allowed) throw forbidden("Only owners can withdraw an invitation to become an owner.");
      await tx
        .update(workspaceInvitations)
        .set({ status: "revoked", respondedAt: this.deps.clock.now() })
        .where(eq(workspaceInvitations.id, invitationId));
      await appendEvents(tx, [
        { type: "invitation.revoked", workspaceId, actorId: actor.actorId, payload: { invitationId } },
      ]);
      await recordAudit(tx, {
        action: "invitation.revoked",
        workspaceId,
        targetType: "invitation",
        targetId: invitationId,
        ...actor,
      });
      return { id: invitationId, status: "revoked" as const };
    });
  }

  /** What the invitee sees before answering: only when signed in with the invited address. */
  async preview(token: string, userId: string) {
    const found = await this.find(this.deps.db, token, userId, false);
    const verdict = checkResponse(found.invitation, found.callerEmail, this.deps.clock.now());
    if (!verdict.allowed && verdict.reason === "wrong_address") throw forbidden(verdict.message);
    const { invitation } = found;
    return {
      id: invitation.id,
      workspaceId: invitation.workspaceId,
      workspaceName: invitation.workspaceName,
      role: invitation.role,
      invitedByName: invitation.invitedByName,
      expiresAt: invitation.expiresAt,
      state: invitationState(invitation, this.deps.clock.now()),
    };
  }

  async accept(token: string, actor: Actor) {
    const result = await this.deps.transaction(async (tx) => {
      const { invitation } = await this.answerable(tx, token, actor.actorId);
      await assertNotScheduledForDeletion(tx, invitation.workspaceId);
      const now = this.deps.clock.now();
      await tx
        .update(workspaceInvitations)
        .set({ status: "accepted", respondedAt: now })
        .where(eq(workspaceInvitations.id, invitation.id));
      const inserted = await tx
        .insert(memberships)
        .values({ workspaceId: invitation.workspaceId, userId: actor.actorId, role: invitation.role })
        .onConflictDoNothing()
        .returning({ role: memberships.role });
      const { workspaceId } = invitation;
      await appendEvents(tx, [
        {
          type: "invitation.accepted",
          workspaceId,
          actorId: actor.actorId,
          payload: { invitationId: invitation.id, userId: actor.actorId },
        },
        ...(inserted.length > 0
          ? [
              {
                type: "member.added" as const,
                workspaceId,
                actorId: actor.actorId,
                payload: { userId: actor.actorId, role: invitation.role },
              },
            ]
          : []),
      ]);
      await recordAudit(tx, {
        action: "invitation.accepted",
        workspaceId,
        targetType: "invitation",
        targetId: invitation.id,
        ...actor,
      });
      if (inserted.length === 0) {
        // Already a member (e.g. through another invitation): the link is used up, the role stays.
        const [existing] = await tx
          .select({ role: memberships.role })
          .from(memberships)
          .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, actor.actorId)));
        return { workspaceId, workspaceName: invitation.workspaceName, role: existing!.role };
      }
      await recordAudit(tx, {
        action: "member.added",
        workspaceId,
        targetType: "user",
        targetId: actor.actorId,
        metadata: { role: invitation.role, invitationId: invitation.id, invitedBy: invitation.invitedBy },
        ...actor,
      });
      return { workspaceId, workspaceName: invitation.workspaceName, role: invitation.role };
    });
    this.deps.services.workspaces.forgetRoles(result.workspaceId, [actor.actorId]);
    return result;
  }

  async decline(token: string, actor: Actor) {
    return this.deps.transaction(async (tx) => {
      const { invitation } = await this.answerable(tx, token, actor.actorId);
      await tx
        .update(workspaceInvitations)
        .set({ status: "declined", respondedAt: this.deps.clock.now() })
        .where(eq(workspaceInvitations.id, invitation.id));
      await appendEvents(tx, [
        {
          type: "invitation.declined",
          workspaceId: invitation.workspaceId,
          actorId: actor.actorId,
          payload: { invitationId: invitation.id },
        },
      ]);
      await recordAudit(tx, {
        action: "invitation.declined",
        workspaceId: invitation.workspaceId,
        targetType: "invitation",
        targetId: invitation.id,
        ...actor,
      });
      return { id: invitation.id, status: "declined" as const };
    });
  }

  /** Deletes every expired invitation, answered or not (the address is kept no longer than the link lives). */
  async purgeExpired(): Promise<{ deleted: number }> {
    const deleted = await this.deps.db
      .delete(workspaceInvitations)
      .where(lte(workspaceInvitations.expiresAt, this.deps.clock.now()))
      .returning({ id: workspaceInvitations.id });
    return { deleted: deleted.length };
  }

  /** The invitation behind a token, locked, that the caller may still answer. */
  private async answerable(tx: Tx, token: string, userId: string) {
    const found = await this.find(tx, token, userId, true);
    const verdict = checkResponse(found.invitation, found.callerEmail, this.deps.clock.now());
    if (!verdict.allowed) {
      if (verdict.reason === "wrong_address") throw forbidden(verdict.message);
      throw new DomainError("CONFLICT", verdict.message, { state: verdict.state });
    }
    return found;
  }

  private async find(executor: ServiceDeps["db"] | Tx, token: string, userId: string, lock: boolean) {
    const query = executor
      .select({
        id: workspaceInvitations.id,
        workspaceId: workspaceInvitations.workspaceId,
        workspaceName: workspaces.name,
        email: workspaceInvitations.email,
        role: workspaceInvitations.role,
        status: workspaceInvitations.status,
        invitedBy: workspaceInvitations.invitedBy,
        invitedByName: inviter.name,
        expiresAt: workspaceInvitations.expiresAt,
      })
      .from(workspaceInvitations)
      .innerJoin(workspaces, eq(workspaces.id, workspaceInvitations.workspaceId))
      .leftJoin(inviter, eq(inviter.id, workspaceInvitations.invitedBy))
      .where(eq(workspaceInvitations.tokenHash, hashInvitationToken(token)));
    const [invitation] = lock ? await query.for("update", { of: workspaceInvitations }) : await query;
    if (!invitation) throw notFound("Invitation");
    const [caller] = await executor.select({ email: users.email }).from(users).where(eq(users.id, userId));
    if (!caller) throw notFound("Invitation");
    return { invitation, callerEmail: caller.email };
  }
}
