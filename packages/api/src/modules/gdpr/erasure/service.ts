import {
  auditLog,
  contacts,
  gdprOperations,
  gdprRestrictions,
  gdprSuppressions,
  INVENTORY,
  memberships,
  refreshTokens,
  retentionByCategory,
  sessions,
  users,
  type Executor,
  type GdprOperationStatus,
  type Tx,
} from "@rapport/db";
import { and, desc, eq, inArray, lt, lte, or, sql } from "drizzle-orm";
import { DomainError, conflict, forbidden, notFound } from "../../../errors";
import { appendEvents } from "../../../platform/events/outbox";
import type { ServiceDeps } from "../../../platform/deps";
import { blockingWorkspaces, SOLE_OWNER_WAYS_OUT } from "@rapport/core";
import { limitPasswordAttempt } from "../../../platform/password-attempts";
import { verifyPassword } from "../../../platform/passwords";
import { ownedWorkspaces } from "../../workspaces/public";
import { recordAudit } from "../../../platform/audit";
import type { Actor } from "../../../platform/actor";
import type { PrivacyRegistry, Subject } from "../../../platform/privacy/registry";
import { recordOperation } from "../../../platform/privacy/operations";
import type { RestrictionIndex } from "../../../platform/privacy/restriction";
import { addressHmac, normalizeAddress } from "../../../platform/privacy/suppression";

const DAY_MS = 86_400_000;
/** Ended sessions (and their IP / user agent) are kept this long for investigating account misuse. */
export const ENDED_SESSION_RETENTION_DAYS = 30;

export const USER_RESTRICTED_MESSAGE =
  "You have restricted the processing of your data (GDPR Art. 18): recommendations, analytics and syncs are paused until you lift the restriction on your Privacy page.";


/**
 * Erasure (Art. 17), restriction (Art. 18) and the operations log. Knows no
 * module's tables: what to erase comes from the privacy registry.
 */
export class GdprErasureService {
  constructor(
    private readonly deps: ServiceDeps,
    readonly registry: PrivacyRegistry,
    /** Drops the workspace's cached derived data now (bump + sweep), beyond the event-driven bump. */
    private readonly invalidateCache: (workspaceId: string) => Promise<unknown> = async () => {},
    /** After commit: deletes the files of the exports the erasure discarded; the erasure events do it again, durably. */
    private readonly afterErasure: (subject: Subject) => Promise<unknown> = async () => {},
    /** Who restricts processing, in memory for the read paths (updated here at commit, elsewhere by the events). */
    readonly restrictions: RestrictionIndex = deps.restrictions,
  ) {}

  private async discardCopies(subject: Subject) {
    try {
      await this.afterErasure(subject);
    } catch (error) {
      this.deps.log.warn({ err: error }, "discarding derived copies after erasure failed; the erasure event retries it");
    }
  }

  private async dropCaches(workspaceIds: string[]) {
    for (const id of workspaceIds) {
      try {
        await this.invalidateCache(id);
      } catch (error) {
        this.deps.log.warn({ err: error, workspaceId: id }, "cache invalidation after erasure failed; the erasure event bumps it again");
      }
    }
  }

  // ---------------------------------------------------------------- contacts

  async eraseContact(workspaceId: string, contactId: string, reason: string, actor: Actor) {
    const now = this.deps.clock.now();
    const result = await this.deps.transaction(async (tx) => {
      const [contact] = await tx
        .select()
        .from(contacts)
        .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)))
        .for("update");
      if (!contact) throw notFound("Contact");
      const op = await recordOperation(tx, {
        workspaceId, type: "contact_erasure", subjectKind: "contact", subjectId: contactId, reason,
        requestedBy: actor.actorId, authorizedBy: actor.actorId, requestedAt: now, status: "in_progress",
      });
      await this.audit(tx, actor, "gdpr.contact_erasure.started", workspaceId, op.id, contactId, "contact");
      const addresses = contact.email ? [normalizeAddress(contact.email)] : [];
      const terms = [contact.email, contact.name, contact.phone].filter((t): t is string => !!t && t !== "Erased contact");
      await this.registry.eraseSubject(tx, { kind: "contact", workspaceId, contactId }, { operationId: op.id, now, addresses, terms });
      if (addresses.length > 0) {
        await tx
          .insert(gdprSuppressions)
          .values(addresses.map((a) => ({ workspaceId, addressHmac: addressHmac(this.deps.config.GDPR_SUPPRESSION_KEY, a), createdAt: now })))
          .onConflictDoNothing();
      }
      await tx.update(gdprOperations).set({ status: "completed", completedAt: now, updatedAt: now }).where(eq(gdprOperations.id, op.id));
      await appendEvents(tx, [{ type: "contact.erased", workspaceId, actorId: actor.actorId, payload: { contactId, operationId: op.id } }]);
      await this.audit(tx, actor, "gdpr.contact_erasure.completed", workspaceId, op.id, contactId, "contact");
      return { operationId: op.id, status: "completed" as const, completedAt: now };
    });
    await this.dropCaches([workspaceId]);
    await this.discardCopies({ kind: "contact", workspaceId, contactId });
    return result;
  }

  // ------------------------------------------------------------------- users

  async requestDeletion(userId: string, input: { reason: string; password: string }, actor: Actor) {
    await this.checkPassword(userId, input.password, actor);
    await this.assertNotSoleOwner(this.deps.db, userId, "request");
    const now = this.deps.clock.now();
    const effectiveAt = new Date(now.getTime() + this.deps.config.GDPR_DELETION_GRACE_DAYS * DAY_MS);
    return this.deps.transaction(async (tx) => {
      const [pending] = await tx
        .select()
        .from(gdprOperations)
        .where(and(eq(gdprOperations.type, "user_deletion"), eq(gdprOperations.subjectId, userId), eq(gdprOperations.status, "pending")));
      const op =
        pending ??
        (await recordOperation(tx, {
          workspaceId: null, type: "user_deletion", subjectKind: "user", subjectId: userId, reason: input.reason,
          requestedBy: userId, authorizedBy: userId, requestedAt: now, status: "pending", effectiveAt,
        }));
      if (!pending) await this.audit(tx, actor, "gdpr.user_deletion.requested", null, op.id, userId, "user");
      return {
        deletionId: op.id,
        status: "scheduled" as const,
        effectiveAt: op.effectiveAt!,
        warning: `Your account and personal data will be erased irreversibly on ${op.effectiveAt!.toISOString().slice(0, 10)}. You can cancel until then.`,
      };
    });
  }

  async cancelDeletion(userId: string, actor: Actor) {
    const now = this.deps.clock.now();
    return this.deps.transaction(async (tx) => {
      const cancelled = await tx
        .update(gdprOperations)
        .set({ status: "cancelled", completedAt: now, updatedAt: now })
        .where(and(eq(gdprOperations.type, "user_deletion"), eq(gdprOperations.subjectId, userId), eq(gdprOperations.status, "pending")))
        .returning({ id: gdprOperations.id });
      if (cancelled.length === 0) throw notFound("Pending deletion request");
      await this.audit(tx, actor, "gdpr.user_deletion.cancelled", null, cancelled[0]!.id, userId, "user");
      return { deletionId: cancelled[0]!.id, status: "cancelled" as const };
    });
  }

  /**
   * Runs a scheduled deletion now: the user themself (re-confirming with their
   * password) or someone who is owner/admin of every workspace the user belongs to.
   */
  async executeDeletion(callerId: string, input: { deletionId: string; password?: string }, actor: Actor) {
    const [op] = await this.deps.db.select().from(gdprOperations).where(eq(gdprOperations.id, input.deletionId));
    if (!op || op.type !== "user_deletion") throw notFound("Deletion request");
    const subjectId = op.subjectId;
    if (callerId === subjectId) {
      if (!input.password) throw forbidden("Re-enter your password to erase your account now.");
      await this.checkPassword(subjectId, input.password, actor);
    } else {
      const theirs = await this.deps.db.select({ workspaceId: memberships.workspaceId }).from(memberships).where(eq(memberships.userId, subjectId));
      const mine = await this.deps.db
        .select({ workspaceId: memberships.workspaceId })
        .from(memberships)
        .where(and(eq(memberships.userId, callerId), inArray(memberships.role, ["owner", "admin"])));
      const allowed = new Set(mine.map((m) => m.workspaceId));
      // Not a member of any workspace with the caller: the request's existence is not revealed.
      if (theirs.length === 0 || !theirs.every((m) => allowed.has(m.workspaceId))) throw notFound("Deletion request");
    }
    if (op.status !== "pending") throw conflict(`This deletion request is ${op.status}.`);
    return this.executeUserErasure(op.id, subjectId, callerId, actor);
  }

  /** Daily job: executes deletions whose grace period has ended. */
  async runDueDeletions(): Promise<{ executed: number; failed: number }> {
    const now = this.deps.clock.now();
    const due = await this.deps.db
      .select({ id: gdprOperations.id, subjectId: gdprOperations.subjectId })
      .from(gdprOperations)
      .where(and(eq(gdprOperations.type, "user_deletion"), eq(gdprOperations.status, "pending"), lte(gdprOperations.effectiveAt, now)));
    let executed = 0;
    let failed = 0;
    for (const op of due) {
      try {
        await this.executeUserErasure(op.id, op.subjectId, op.subjectId, { actorId: op.subjectId, ip: null, userAgent: null });
        executed++;
      } catch (error) {
        failed++;
        this.deps.log.warn({ err: error instanceof DomainError ? error.message : error, operationId: op.id }, "scheduled user deletion failed");
      }
    }
    return { executed, failed };
  }

  private async executeUserErasure(operationId: string, userId: string, authorizedBy: string, actor: Actor) {
    const now = this.deps.clock.now();
    let workspaceIds: string[] = [];
    const result = await this.deps.transaction(async (tx) => {
      const [op] = await tx.select().from(gdprOperations).where(eq(gdprOperations.id, operationId)).for("update");
      if (!op || op.status !== "pending") throw conflict("This deletion request is no longer pending.");
      await this.assertNotSoleOwner(tx, userId, "execute");
      await tx.update(gdprOperations).set({ status: "in_progress", authorizedBy, updatedAt: now }).where(eq(gdprOperations.id, operationId));
      await this.audit(tx, { ...actor, ip: null, userAgent: null }, "gdpr.user_deletion.started", null, operationId, userId, "user");
      workspaceIds = (await tx.select({ id: memberships.workspaceId }).from(memberships).where(eq(memberships.userId, userId))).map((r) => r.id);
      await this.registry.eraseSubject(tx, { kind: "user", userId }, { operationId, now });
      await tx.delete(gdprRestrictions).where(and(eq(gdprRestrictions.subjectKind, "user"), eq(gdprRestrictions.subjectId, userId)));
      await tx.update(gdprOperations).set({ status: "completed", completedAt: now, updatedAt: now }).where(eq(gdprOperations.id, operationId));
      await appendEvents(tx, [
        { type: "user.erased", workspaceId: null, actorId: null, payload: { userId, operationId } },
        ...workspaceIds.map((workspaceId) => ({
          type: "member.removed" as const, workspaceId, actorId: null, payload: { userId, previousRole: "erased" },
        })),
      ]);
      await this.audit(tx, { actorId: authorizedBy, ip: null, userAgent: null }, "gdpr.user_deletion.completed", null, operationId, userId, "user");
      return { deletionId: operationId, status: "completed" as const, completedAt: now };
    });
    await this.dropCaches(workspaceIds);
    await this.discardCopies({ kind: "user", userId });
    return result;
  }

  /** Password re-entry: limited like sign-in, on the same budget (a stolen session must not become a password oracle). */
  private async checkPassword(userId: string, password: string, actor: Actor) {
    const [user] = await this.deps.db.select({ email: users.email, passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId));
    if (!user) throw new DomainError("FORBIDDEN", "Password is incorrect.");
    const attempt = { email: user.email.toLowerCase(), ip: actor.ip, userAgent: actor.userAgent, purpose: "password_reentry" as const };
    const valid = await limitPasswordAttempt(this.deps, attempt, () => verifyPassword(user.passwordHash, password));
    if (!valid) throw new DomainError("FORBIDDEN", "Password is incorrect.");
  }

  /**
   * A workspace must keep an owner: its sole owner cannot go. The refusal lists the blocking
   * workspaces and the two ways out (hand it over, or delete it). A workspace already scheduled
   * for deletion does not block scheduling (it runs out first, with the same grace period); when
   * the erasure itself runs (`when: "execute"`), the workspace must be gone.
   */
  private async assertNotSoleOwner(db: Executor, userId: string, when: "request" | "execute") {
    const owned = await ownedWorkspaces(db, userId);
    const blocking = when === "request" ? blockingWorkspaces(owned) : owned.filter((w) => w.otherOwners === 0);
    if (blocking.length > 0) {
      const names = blocking.length === 1 ? "a workspace" : `${blocking.length} workspaces`;
      throw conflict(
        `You are the sole owner of ${names}; transfer ownership to another member or delete the workspace before deleting your account.`,
        {
          workspaceIds: blocking.map((w) => w.workspaceId),
          workspaces: blocking.map((w) => ({ id: w.workspaceId, name: w.name, members: w.members, deletionScheduledAt: w.deletionScheduledAt })),
          waysOut: [...SOLE_OWNER_WAYS_OUT],
        },
      );
    }
  }

  // ------------------------------------------------------------- restriction

  async restrictUser(userId: string, actor: Actor) {
    return this.setRestriction({ kind: "user", userId }, null, true, actor);
  }
  async unrestrictUser(userId: string, actor: Actor) {
    return this.setRestriction({ kind: "user", userId }, null, false, actor);
  }
  async restrictContact(workspaceId: string, contactId: string, actor: Actor) {
    await this.assertContactExists(workspaceId, contactId);
    return this.setRestriction({ kind: "contact", workspaceId, contactId }, workspaceId, true, actor);
  }
  async unrestrictContact(workspaceId: string, contactId: string, actor: Actor) {
    await this.assertContactExists(workspaceId, contactId);
    return this.setRestriction({ kind: "contact", workspaceId, contactId }, workspaceId, false, actor);
  }

  private async assertContactExists(workspaceId: string, contactId: string) {
    const [c] = await this.deps.db.select({ id: contacts.id }).from(contacts).where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)));
    if (!c) throw notFound("Contact");
  }

  private async setRestriction(subject: Subject, workspaceId: string | null, on: boolean, actor: Actor) {
    const subjectId = subject.kind === "user" ? subject.userId : subject.contactId;
    const now = this.deps.clock.now();
    const result = await this.deps.transaction(async (tx) => {
      let changed: boolean;
      if (on) {
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
          workspaceId, type, subjectKind: subject.kind, subjectId, reason: null,
          requestedBy: actor.actorId, authorizedBy: actor.actorId, requestedAt: now, status: "completed", completedAt: now,
        });
        await this.audit(tx, actor, `gdpr.${type}`, workspaceId, op.id, subjectId, subject.kind);
        // Lifting is told to the subject's side: an activity event (workspace feed) for contacts;
        // the user's own request history (operations log) for users. Both events keep every
        // instance's restriction index current.
        await appendEvents(tx, [
          subject.kind === "contact"
            ? { type: on ? "contact.restricted" : "contact.unrestricted", workspaceId: subject.workspaceId, actorId: actor.actorId, payload: { contactId: subjectId } }
            : { type: on ? "user.restricted" : "user.unrestricted", workspaceId: null, actorId: actor.actorId, payload: { userId: subjectId } },
        ]);
      }
      return { restricted: on, restrictions: on ? this.registry.restrictions(subject) : [] };
    });
    this.restrictions.set(subject.kind, subjectId, on);
    return result;
  }

  /** FORBIDDEN while the user restricts processing; guards every procedure that processes the caller's data. */
  async assertProcessingAllowed(userId: string): Promise<void> {
    if (await this.restrictions.isRestricted("user", userId)) throw forbidden(USER_RESTRICTED_MESSAGE, { reason: "processing_restricted" });
  }

  async restrictionStatus(userId: string) {
    const restricted = await this.restrictions.isRestricted("user", userId);
    return { restricted, restrictions: restricted ? this.registry.restrictions({ kind: "user", userId }) : [] };
  }

  /**
   * A contact's privacy state for the contact page: whether processing is restricted,
   * what a restriction stops (listed whether or not it is on) and when it was erased.
   */
  async contactPrivacy(workspaceId: string, contactId: string) {
    await this.assertContactExists(workspaceId, contactId);
    const restricted = await this.restrictions.isRestricted("contact", contactId);
    const [erasure] = await this.deps.db
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
      restrictions: this.registry.restrictions({ kind: "contact", workspaceId, contactId }),
      erasedAt: erasure?.completedAt ?? null,
    };
  }

  // --------------------------------------------------------------- retention

  /**
   * Daily: deletes audit entries past AUDIT_RETENTION_DAYS (default 7 years). The
   * append-only trigger lets this transaction delete only rows older than the cutoff
   * it sets (and never rows younger than a year), so entries inside retention stay.
   * Also deletes expired refresh tokens (useless once expired) and sessions ended
   * (revoked, or idle past the refresh-token lifetime) more than
   * ENDED_SESSION_RETENTION_DAYS ago, with the IP and user agent they hold.
   */
  async enforceRetention(): Promise<{ auditDeleted: number; refreshTokensDeleted: number; sessionsDeleted: number }> {
    const now = this.deps.clock.now();
    const cutoff = new Date(now.getTime() - this.deps.config.AUDIT_RETENTION_DAYS * DAY_MS);
    const auditDeleted = await this.deps.transaction(async (tx) => {
      await tx.execute(sql`SELECT set_config('rapport.audit_retention_cutoff', ${cutoff.toISOString()}, true)`);
      const rows = await tx.delete(auditLog).where(lt(auditLog.createdAt, cutoff)).returning({ id: auditLog.id });
      return rows.length;
    });
    const refreshTokensDeleted = (await this.deps.db.delete(refreshTokens).where(lt(refreshTokens.expiresAt, now)).returning({ id: refreshTokens.id })).length;
    const sessionCutoff = new Date(now.getTime() - ENDED_SESSION_RETENTION_DAYS * DAY_MS);
    const idleCutoff = new Date(sessionCutoff.getTime() - this.deps.config.REFRESH_TOKEN_TTL_DAYS * DAY_MS);
    const sessionsDeleted = (
      await this.deps.db
        .delete(sessions)
        .where(or(lt(sessions.revokedAt, sessionCutoff), lt(sessions.lastUsedAt, idleCutoff)))
        .returning({ id: sessions.id })
    ).length;
    return { auditDeleted, refreshTokensDeleted, sessionsDeleted };
  }

  // -------------------------------------------------------------- operations

  async listOperations(filter: { workspaceId?: string; subjectUserId?: string; limit: number }) {
    const now = this.deps.clock.now();
    const rows = await this.deps.db
      .select()
      .from(gdprOperations)
      .where(
        filter.workspaceId
          ? eq(gdprOperations.workspaceId, filter.workspaceId)
          : or(
              and(eq(gdprOperations.subjectKind, "user"), eq(gdprOperations.subjectId, filter.subjectUserId!)),
              // Workspace deletions the user asked for (the workspace's own log goes with it).
              and(eq(gdprOperations.subjectKind, "workspace"), eq(gdprOperations.requestedBy, filter.subjectUserId!)),
            ),
      )
      .orderBy(desc(gdprOperations.requestedAt))
      .limit(filter.limit);
    return rows.map((r) => ({ ...r, overdue: isOpen(r.status) && r.dueAt.getTime() < now.getTime() }));
  }

  dataLocations() {
    const c = this.deps.config;
    let host = "embedded (PGlite)";
    if (c.DATABASE_URL) {
      try {
        host = new URL(c.DATABASE_URL).hostname;
      } catch {
        host = "unknown";
      }
    }
    return {
      primary: { kind: c.DATABASE_URL ? "postgres" : "pglite", host, region: c.DATA_REGION },
      cache: c.REDIS_URL ? { kind: "redis", note: "derived data only (recommendations, analytics), keyed by opaque ids" } : null,
      backups: { note: "database backups follow the primary's region; erased data leaves backups as they rotate" },
      processors: [{ name: "Google (Gmail API)", purpose: "importing the connected mailbox's messages as interactions", when: "only if a Gmail account is connected" }],
      retentionByCategory: retentionByCategory(),
      auditRetentionDays: c.AUDIT_RETENTION_DAYS,
      tables: Object.entries(INVENTORY).map(([table, t]) => ({ table, subject: t.subject, purpose: t.purpose, retention: t.retention })),
    };
  }

  // ---------------------------------------------------------------- helpers


  /** Audit entries refer to the subject by opaque id only; never the reason or any personal value. */
  private audit(tx: Executor, actor: Actor, action: string, workspaceId: string | null, operationId: string, subjectId: string, kind: string) {
    return recordAudit(tx, {
      action, workspaceId, actorId: actor.actorId, targetType: kind, targetId: subjectId,
      ip: actor.ip, userAgent: actor.userAgent, metadata: { operationId },
    });
  }
}

function isOpen(status: GdprOperationStatus) {
  return status === "pending" || status === "in_progress";
}
