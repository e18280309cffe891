import { refreshTokens, sessions, users, type Executor, type Tx } from "@rapport/db";
import { eq } from "drizzle-orm";
import type { PrivacyHandler } from "../gdpr/registry";

/** The pseudonymous address an erased account keeps (unique, undeliverable). */
export const erasedUserEmail = (userId: string) => `deleted-${userId}@deleted.invalid`;
export const ERASED_USER_NAME = "Deleted User";

/**
 * GDPR (issue 6): the account. Erasure anonymizes the row (ids elsewhere keep
 * pointing at it) and removes every credential, so the user can no longer log in.
 */
export const authPrivacy: PrivacyHandler = {
  module: "auth",
  erases: ["users.email", "users.name", "users.password_hash", "sessions.ip", "sessions.user_agent", "refresh_tokens.token_hash"],
  async exportUser(db: Executor, userId) {
    const rows = await db
      .select({ id: users.id, email: users.email, name: users.name, createdAt: users.createdAt, updatedAt: users.updatedAt })
      .from(users)
      .where(eq(users.id, userId));
    const sessionRows = await db
      .select({ id: sessions.id, createdAt: sessions.createdAt, lastUsedAt: sessions.lastUsedAt, revokedAt: sessions.revokedAt, ip: sessions.ip, userAgent: sessions.userAgent })
      .from(sessions)
      .where(eq(sessions.userId, userId));
    return [
      { file: "profile.json", records: rows, description: "your account" },
      { file: "activity.json", records: sessionRows, description: "your sign-in sessions" },
    ];
  },
  async eraseUser(tx: Tx, userId, ctx) {
    await tx.delete(refreshTokens).where(eq(refreshTokens.userId, userId));
    await tx.delete(sessions).where(eq(sessions.userId, userId));
    await tx.update(users).set({ email: erasedUserEmail(userId), name: ERASED_USER_NAME, passwordHash: null, updatedAt: ctx.now }).where(eq(users.id, userId));
  },
  restricts: (s) => (s.kind === "user" ? ["recommendations", "analytics", "syncs"] : []),
};
