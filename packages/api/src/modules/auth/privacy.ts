import { memberships, refreshTokens, sessions, users, workspaces, type Tx } from "@rapport/db";
import { asc, eq } from "drizzle-orm";
import type { PrivacyHandler } from "../../platform/privacy/registry";

/** The pseudonymous address an erased account keeps (unique, undeliverable). */
const erasedUserEmail = (userId: string) => `deleted-${userId}@deleted.invalid`;
const ERASED_USER_NAME = "Deleted User";

/**
 * GDPR: the account. Erasure anonymizes the row (ids elsewhere keep
 * pointing at it) and removes every credential, so the user can no longer log in.
 * Export: profile.json, the account with its workspace memberships and sessions.
 */
export const authPrivacy: PrivacyHandler = {
  module: "auth",
  erases: [
    "users.email",
    "users.name",
    "users.password_hash",
    "sessions.ip",
    "sessions.user_agent",
    "refresh_tokens.token_hash",
  ],
  exportUser(userId) {
    return [
      {
        section: "profile",
        file: "profile.json",
        single: true,
        holds:
          "your account (name, email, sign-up date), your workspace memberships and your sign-in sessions (IP address, browser). Your password is stored only as a one-way hash and is not included.",
        purpose: "providing your account and keeping it secure (contract, Art. 6(1)(b); security, Art. 6(1)(f))",
        categories: "identity, contact details, technical/connection data",
        recipients:
          "Rapport (processor) and its hosting provider; the other members of your workspaces see your name and email",
        retention: "while your account exists; sessions until revoked or expired, then deleted",
        source: "you, when you signed up and signed in",
        count: async () => 1,
        async read(db) {
          const [user] = await db
            .select({
              id: users.id,
              email: users.email,
              name: users.name,
              createdAt: users.createdAt,
              updatedAt: users.updatedAt,
            })
            .from(users)
            .where(eq(users.id, userId));
          const memberOf = await db
            .select({
              workspaceId: memberships.workspaceId,
              workspaceName: workspaces.name,
              role: memberships.role,
              createdAt: memberships.createdAt,
            })
            .from(memberships)
            .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
            .where(eq(memberships.userId, userId))
            .orderBy(asc(memberships.createdAt));
          const sessionRows = await db
            .select({
              id: sessions.id,
              createdAt: sessions.createdAt,
              lastUsedAt: sessions.lastUsedAt,
              revokedAt: sessions.revokedAt,
              revokedReason: sessions.revokedReason,
              ip: sessions.ip,
              userAgent: sessions.userAgent,
            })
            .from(sessions)
            .where(eq(sessions.userId, userId))
            .orderBy(asc(sessions.createdAt), asc(sessions.id));
          return { user: user ?? null, memberships: memberOf, sessions: sessionRows };
        },
      },
    ];
  },
  async eraseUser(tx: Tx, userId, ctx) {
    await tx.delete(refreshTokens).where(eq(refreshTokens.userId, userId));
    await tx.delete(sessions).where(eq(sessions.userId, userId));
    await tx
      .update(users)
      .set({ email: erasedUserEmail(userId), name: ERASED_USER_NAME, passwordHash: null, updatedAt: ctx.now })
      .where(eq(users.id, userId));
  },
  restricts: (s) => (s.kind === "user" ? ["recommendations", "analytics", "syncs"] : []),
};
