import { auditLog, memberships, refreshTokens, sessions, users, workspaces, type Executor } from "@rapport/db";
import { and, desc, eq, exists, gt, isNull, like, ne, sql } from "drizzle-orm";
import { badRequest, conflict, forbidden, notFound, unauthorized } from "../../errors";
import { boundedCache } from "../../platform/bounded-cache";
import type { ServiceDeps } from "../../platform/deps";
import { recordAudit } from "../../platform/audit";
import { appendEvents } from "../../platform/events/outbox";
import type { CommitNotice, DomainEvent, SessionEndReason } from "../../platform/events/types";
import { passwordProblem } from "@rapport/core/password-rule";
import { limitPasswordAttempt, limitRegistration } from "../../platform/password-attempts";
import { hashPassword, verifyPassword } from "../../platform/passwords";
import { AccessTokens, hashRefreshToken, newRefreshToken, type AccessClaims, type VerifiedAccessToken } from "./tokens";

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export interface AuthTokens {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

// A session confirmed active is trusted for this long before asking the database again. One
// that ends is forgotten at once on every instance (`forgetEndedSessions`): the window only
// matters when the commit's wake-up and the relayed event are both lost.
const SESSION_CACHE_MS = 5_000;

/** The most sign-in sessions and security events the account page lists. */
const ACCOUNT_LIST_LIMIT = 50;

export interface AccountSession {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  ip: string | null;
  userAgent: string | null;
  /** The session this request was made with. */
  current: boolean;
}

export class AuthService {
  private readonly accessTokens: AccessTokens;
  private readonly activeSessions = boundedCache<string, true>(50_000, { ttl: SESSION_CACHE_MS });
  // Signature checks are a measurable share of a request's CPU; a token that
  // verified once stays valid until its own expiry, which is still checked.
  private readonly verifiedTokens = boundedCache<string, VerifiedAccessToken>(20_000);

  constructor(private readonly deps: ServiceDeps) {
    this.accessTokens = new AccessTokens(deps.config.JWT_SECRET, deps.config.ACCESS_TOKEN_TTL_SECONDS);
  }

  async register(input: { email: string; password: string; name: string }, meta: RequestMeta) {
    await limitRegistration(this.deps, meta);
    const passwordHash = await hashNewPassword(input);
    return this.deps.transaction(async (tx) => {
      const user = await this.insertUser(tx, { ...input, passwordHash });
      await recordAudit(tx, {
        action: "auth.register",
        actorId: user.id,
        targetType: "user",
        targetId: user.id,
        ...meta,
      });
      const tokens = await this.openSession(tx, user.id, meta);
      return { user, ...tokens };
    });
  }

  /** Creates an account without signing in (CLI, demo data). */
  async createUser(input: { email: string; password: string; name: string }): Promise<PublicUser> {
    const passwordHash = await hashNewPassword(input);
    return this.deps.transaction(async (tx) => {
      const user = await this.insertUser(tx, { ...input, passwordHash });
      await recordAudit(tx, {
        action: "user.created",
        actorId: null,
        targetType: "user",
        targetId: user.id,
        metadata: { via: "cli" },
      });
      return user;
    });
  }

  async findUserByEmail(email: string): Promise<PublicUser | null> {
    const [user] = await this.deps.db.select().from(users).where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
    return user ? toPublicUser(user) : null;
  }

  private async insertUser(
    tx: Executor,
    input: { email: string; name: string; passwordHash: string },
  ): Promise<PublicUser> {
    const [existing] = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${input.email}`);
    if (existing) throw conflict("An account with this email already exists; sign in instead.");
    const [user] = await tx.insert(users).values(input).returning();
    return toPublicUser(user!);
  }

  async login(input: { email: string; password: string }, meta: RequestMeta) {
    const found: { user?: typeof users.$inferSelect } = {};
    const valid = await limitPasswordAttempt(this.deps, { email: input.email, ...meta, purpose: "login" }, async () => {
      [found.user] = await this.deps.db.select().from(users).where(sql`lower(${users.email}) = ${input.email}`);
      return verifyPassword(found.user?.passwordHash ?? null, input.password);
    });
    const { user } = found;
    if (!user || !valid) {
      await recordAudit(this.deps.db, {
        action: "auth.login_failed",
        // The attempted address is not recorded: it may not even be a user's.
        actorId: user?.id ?? null,
        targetType: user ? "user" : null,
        targetId: user?.id ?? null,
        metadata: { reason: user ? "wrong_password" : "unknown_account" },
        ...meta,
      });
      throw unauthorized("Email or password is incorrect");
    }
    return this.deps.transaction(async (tx) => {
      await recordAudit(tx, { action: "auth.login", actorId: user.id, targetType: "user", targetId: user.id, ...meta });
      const tokens = await this.openSession(tx, user.id, meta);
      return { user: toPublicUser(user), ...tokens };
    });
  }

  /**
   * Rotates a refresh token. Each token works once; presenting a used one means
   * it was stolen or replayed, so the whole session (token family) is revoked.
   */
  async refresh(refreshToken: string, meta: RequestMeta): Promise<AuthTokens> {
    const now = this.deps.clock.now();
    const tokenHash = hashRefreshToken(refreshToken);
    const [row] = await this.deps.db
      .select({ token: refreshTokens, session: sessions })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, tokenHash));
    if (!row || row.session.revokedAt) throw unauthorized("Session ended; sign in again");
    if (row.token.usedAt) {
      await this.revokeReusedSession(row.session.id, row.session.userId, meta);
      throw unauthorized("Session ended; sign in again");
    }
    if (row.token.expiresAt <= now) throw unauthorized("Session expired; sign in again");

    const outcome = await this.deps.transaction(async (tx) => {
      // Claim the token atomically: of two concurrent refreshes only one wins.
      const claimed = await tx
        .update(refreshTokens)
        .set({ usedAt: now })
        .where(and(eq(refreshTokens.id, row.token.id), isNull(refreshTokens.usedAt)))
        .returning({ id: refreshTokens.id });
      if (claimed.length === 0) return "reused" as const;
      await tx.update(sessions).set({ lastUsedAt: now }).where(eq(sessions.id, row.session.id));
      return this.issueTokens(tx, row.session.userId, row.session.id);
    });
    if (outcome === "reused") {
      await this.revokeReusedSession(row.session.id, row.session.userId, meta);
      throw unauthorized("Session ended; sign in again");
    }
    return outcome;
  }

  async logout(claims: AccessClaims, meta: RequestMeta): Promise<void> {
    await this.deps.transaction(async (tx) => {
      const ended = await tx
        .update(sessions)
        .set({ revokedAt: this.deps.clock.now(), revokedReason: "logout" })
        .where(and(eq(sessions.id, claims.sessionId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id });
      await announceEndedSessions(
        tx,
        claims.userId,
        ended.map((row) => row.id),
        "logged_out",
      );
      await recordAudit(tx, {
        action: "auth.logout",
        actorId: claims.userId,
        targetType: "session",
        targetId: claims.sessionId,
        ...meta,
      });
    });
  }

  async me(userId: string) {
    const [user] = await this.deps.db.select().from(users).where(eq(users.id, userId));
    if (!user) throw unauthorized();
    const rows = await this.deps.db
      .select({ id: workspaces.id, name: workspaces.name, role: memberships.role })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .where(eq(memberships.userId, userId))
      .orderBy(workspaces.name);
    return { user: toPublicUser(user), workspaces: rows };
  }

  /**
   * Renames the account. Its name shows in every workspace it belongs to, so each of them
   * gets a `member.updated` event (their member lists and feeds follow live); a name that
   * does not change writes nothing.
   */
  async updateProfile(userId: string, input: { name: string }, meta: RequestMeta): Promise<PublicUser> {
    return this.deps.transaction(async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.id, userId)).for("update");
      if (!user) throw unauthorized();
      if (user.name === input.name) return toPublicUser(user);
      const [updated] = await tx
        .update(users)
        .set({ name: input.name, updatedAt: this.deps.clock.now() })
        .where(eq(users.id, userId))
        .returning();
      await recordAccountAudit(tx, "auth.profile_updated", userId, meta, { fields: ["name"] });
      const memberOf = await tx
        .select({ workspaceId: memberships.workspaceId })
        .from(memberships)
        .where(eq(memberships.userId, userId));
      await appendEvents(
        tx,
        memberOf.map(({ workspaceId }) => ({
          type: "member.updated" as const,
          workspaceId,
          actorId: userId,
          payload: { userId, fields: ["name" as const] },
        })),
      );
      return toPublicUser(updated!);
    });
  }

  /**
   * Sets a new password after the current one is re-entered (limited like sign-in, on the
   * same budget: a stolen session must not become a password oracle). Every other session
   * of the account ends with it; the one it was changed from stays signed in.
   */
  async changePassword(
    claims: AccessClaims,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<{ sessionsRevoked: number }> {
    const [user] = await this.deps.db
      .select({ email: users.email, passwordHash: users.passwordHash })
      .from(users)
      .where(eq(users.id, claims.userId));
    if (!user) throw unauthorized();
    const attempt = { email: user.email.toLowerCase(), ...meta, purpose: "password_reentry" as const };
    const valid = await limitPasswordAttempt(this.deps, attempt, () =>
      verifyPassword(user.passwordHash, input.currentPassword),
    );
    if (!valid) {
      // On the account's security record, as a failed sign-in is: someone may be guessing.
      await recordAccountAudit(this.deps.db, "auth.password_change_failed", claims.userId, meta, {
        reason: "wrong_password",
      });
      throw forbidden("The current password is incorrect.", { path: ["currentPassword"] });
    }
    if (input.newPassword === input.currentPassword)
      throw badRequest("newPassword: must differ from the current password", ["newPassword"]);
    const passwordHash = await hashNewPassword({ email: user.email, password: input.newPassword }, "newPassword");
    const revoked = await this.deps.transaction(async (tx) => {
      // Against the hash that was verified: of two changes at once, the second is refused.
      const changed = await tx
        .update(users)
        .set({ passwordHash, updatedAt: this.deps.clock.now() })
        .where(and(eq(users.id, claims.userId), eq(users.passwordHash, user.passwordHash!)))
        .returning({ id: users.id });
      if (changed.length === 0) throw conflict("The password was changed meanwhile; sign in again with the new one.");
      const ended = await this.endSessions(tx, claims, "password_changed");
      await recordAccountAudit(tx, "auth.password_changed", claims.userId, meta, { sessionsRevoked: ended.length });
      return ended;
    });
    return { sessionsRevoked: revoked.length };
  }

  /**
   * The account's sessions that can still be used (not signed out or revoked, with a refresh
   * token not yet used or expired), the most recently used first.
   */
  async listSessions(claims: AccessClaims): Promise<AccountSession[]> {
    const now = this.deps.clock.now();
    const rows = await this.deps.db
      .select({
        id: sessions.id,
        createdAt: sessions.createdAt,
        lastUsedAt: sessions.lastUsedAt,
        ip: sessions.ip,
        userAgent: sessions.userAgent,
      })
      .from(sessions)
      .where(
        and(
          eq(sessions.userId, claims.userId),
          isNull(sessions.revokedAt),
          exists(
            this.deps.db
              .select({ one: sql`1` })
              .from(refreshTokens)
              .where(
                and(
                  eq(refreshTokens.sessionId, sessions.id),
                  isNull(refreshTokens.usedAt),
                  gt(refreshTokens.expiresAt, now),
                ),
              ),
          ),
        ),
      )
      .orderBy(desc(sessions.lastUsedAt), desc(sessions.id))
      .limit(ACCOUNT_LIST_LIMIT);
    return rows.map((row) => ({ ...row, current: row.id === claims.sessionId }));
  }

  /** Signs one of the account's other sessions out (the current one signs out with logout). */
  async revokeSession(claims: AccessClaims, sessionId: string, meta: RequestMeta): Promise<{ revoked: boolean }> {
    if (sessionId === claims.sessionId)
      throw badRequest("sessionId: this is the session you are using; sign out instead", ["sessionId"]);
    const revoked = await this.deps.transaction(async (tx) => {
      const [session] = await tx
        .select({ revokedAt: sessions.revokedAt })
        .from(sessions)
        .where(and(eq(sessions.id, sessionId), eq(sessions.userId, claims.userId)))
        .for("update");
      if (!session) throw notFound("Session");
      // Already ended: nothing to do, and nothing to record (a retry is harmless).
      if (session.revokedAt) return false;
      await tx
        .update(sessions)
        .set({ revokedAt: this.deps.clock.now(), revokedReason: "revoked_by_user" })
        .where(eq(sessions.id, sessionId));
      await announceEndedSessions(tx, claims.userId, [sessionId], "revoked_by_user");
      await recordAudit(tx, {
        action: "auth.session_revoked",
        actorId: claims.userId,
        targetType: "session",
        targetId: sessionId,
        ...meta,
      });
      return true;
    });
    return { revoked };
  }

  /** Signs every other session of the account out ("sign out everywhere else"). */
  async revokeOtherSessions(claims: AccessClaims, meta: RequestMeta): Promise<{ sessionsRevoked: number }> {
    const revoked = await this.deps.transaction(async (tx) => {
      const ended = await this.endSessions(tx, claims, "revoked_by_user");
      if (ended.length > 0)
        await recordAccountAudit(tx, "auth.sessions_revoked", claims.userId, meta, { sessionsRevoked: ended.length });
      return ended;
    });
    return { sessionsRevoked: revoked.length };
  }

  /**
   * The account's own security record, newest first: sign-ins (and failed ones), sign-outs,
   * password changes and revoked sessions, with the address and browser they came from.
   */
  async securityActivity(userId: string) {
    return this.deps.db
      .select({
        id: auditLog.id,
        action: auditLog.action,
        ip: auditLog.ip,
        userAgent: auditLog.userAgent,
        createdAt: auditLog.createdAt,
      })
      .from(auditLog)
      .where(and(eq(auditLog.actorId, userId), like(auditLog.action, "auth.%")))
      .orderBy(desc(auditLog.id))
      .limit(ACCOUNT_LIST_LIMIT);
  }

  /** Ends every session of the account but the caller's; returns their ids. */
  private async endSessions(tx: Executor, claims: AccessClaims, reason: SessionEndReason): Promise<string[]> {
    const ended = await tx
      .update(sessions)
      .set({ revokedAt: this.deps.clock.now(), revokedReason: reason })
      .where(and(eq(sessions.userId, claims.userId), ne(sessions.id, claims.sessionId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    const ids = ended.map((row) => row.id);
    await announceEndedSessions(tx, claims.userId, ids, reason);
    return ids;
  }

  /** Checks signature, expiry and that the session was not logged out or revoked. */
  async verifyAccessToken(token: string): Promise<VerifiedAccessToken> {
    const now = this.deps.clock.now();
    let claims: VerifiedAccessToken | "expired" | "invalid" | undefined = this.verifiedTokens.get(token);
    if (claims && claims.expiresAtMs <= now.getTime()) claims = "expired";
    claims ??= await this.accessTokens.verify(token, now);
    if (claims === "expired") throw unauthorized("Access token expired; refresh it");
    if (claims === "invalid") throw unauthorized("Invalid access token");
    this.verifiedTokens.set(token, claims);
    if (!this.activeSessions.has(claims.sessionId)) {
      const [session] = await this.deps.db
        .select({ revokedAt: sessions.revokedAt, userId: sessions.userId })
        .from(sessions)
        .where(eq(sessions.id, claims.sessionId));
      if (!session || session.revokedAt || session.userId !== claims.userId)
        throw unauthorized("Session ended; sign in again");
      this.activeSessions.set(claims.sessionId, true);
    }
    return { userId: claims.userId, sessionId: claims.sessionId, expiresAtMs: claims.expiresAtMs };
  }

  /**
   * A commit on any instance (its wake-up: here before the writer answers, which is how this
   * instance forgets the sessions it ends itself; elsewhere through Redis) that ended sessions:
   * they are forgotten at once, so that their access tokens are
   * refused everywhere from now on rather than once the cache's entry expires. `onEvent`, when
   * the relayed event comes, does it again (the fallback when a wake-up is lost or named the
   * event without its payload).
   */
  onCommit(commit: CommitNotice): void {
    for (const event of commit.events ?? [])
      if (event.type === "user.sessions_ended" && event.detail) this.forgetEndedSessions(event.detail.payload);
  }

  onEvent(event: Pick<DomainEvent, "type" | "payload">): void {
    if (event.type === "user.sessions_ended") this.forgetEndedSessions(event.payload);
  }

  private forgetEndedSessions(payload: Record<string, unknown>): void {
    const { sessionIds } = payload as { sessionIds?: unknown };
    if (!Array.isArray(sessionIds)) return;
    for (const sessionId of sessionIds) if (typeof sessionId === "string") this.activeSessions.delete(sessionId);
  }

  private async revokeReusedSession(sessionId: string, userId: string, meta: RequestMeta) {
    await this.deps.transaction(async (tx) => {
      const ended = await tx
        .update(sessions)
        .set({ revokedAt: this.deps.clock.now(), revokedReason: "refresh_token_reuse" })
        .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id });
      await announceEndedSessions(
        tx,
        userId,
        ended.map((row) => row.id),
        "refresh_token_reuse",
      );
      await recordAudit(tx, {
        action: "auth.refresh_reuse",
        actorId: userId,
        targetType: "session",
        targetId: sessionId,
        ...meta,
      });
    });
  }

  private async openSession(tx: Executor, userId: string, meta: RequestMeta): Promise<AuthTokens> {
    const [session] = await tx
      .insert(sessions)
      .values({ userId, ip: meta.ip, userAgent: meta.userAgent?.slice(0, 512) ?? null })
      .returning({ id: sessions.id });
    return this.issueTokens(tx, userId, session!.id);
  }

  private async issueTokens(tx: Executor, userId: string, sessionId: string): Promise<AuthTokens> {
    const now = this.deps.clock.now();
    const refresh = newRefreshToken();
    const refreshTokenExpiresAt = new Date(now.getTime() + this.deps.config.REFRESH_TOKEN_TTL_DAYS * 86_400_000);
    await tx
      .insert(refreshTokens)
      .values({ sessionId, userId, tokenHash: refresh.hash, expiresAt: refreshTokenExpiresAt });
    const access = await this.accessTokens.sign({ userId, sessionId }, now);
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: refresh.token,
      refreshTokenExpiresAt,
    };
  }
}

/** Every new password passes the one rule, whichever way it is set (sign-up, CLI, demo, a change). */
function hashNewPassword(input: { email: string; password: string }, field = "password"): Promise<string> {
  const problem = passwordProblem(input.password, { email: input.email });
  if (problem) throw badRequest(`${field}: ${problem}`, [field]);
  return hashPassword(input.password);
}

/**
 * Tells the account's live streams, on every instance, that sessions ended (a personal event:
 * no workspace): a stream opened with one of them closes at once, not when its token expires.
 */
async function announceEndedSessions(tx: Executor, userId: string, sessionIds: string[], reason: SessionEndReason) {
  if (sessionIds.length === 0) return;
  await appendEvents(tx, [
    { type: "user.sessions_ended", workspaceId: null, actorId: userId, payload: { userId, sessionIds, reason } },
  ]);
}

/** An entry on the account's own security record: the account is both who acted and what it was about. */
function recordAccountAudit(
  executor: Executor,
  action: string,
  userId: string,
  meta: RequestMeta,
  metadata: Record<string, unknown>,
): Promise<void> {
  return recordAudit(executor, { action, actorId: userId, targetType: "user", targetId: userId, metadata, ...meta });
}

function toPublicUser(user: { id: string; email: string; name: string; createdAt: Date }): PublicUser {
  return { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt };
}
