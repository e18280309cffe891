import { auditLog, refreshTokens, sessions } from "@rapport/db";
import { lt, or, sql } from "drizzle-orm";
import { DAY_MS, type ErasureContext } from "./context";

/** Ended sessions (and their IP / user agent) are kept this long for investigating account misuse. */
const ENDED_SESSION_RETENTION_DAYS = 30;

/**
 * Daily: deletes audit entries past AUDIT_RETENTION_DAYS (default 7 years). The
 * append-only trigger lets this transaction delete only rows older than the cutoff
 * it sets (and never rows younger than a year), so entries inside retention stay.
 * Also deletes expired refresh tokens (useless once expired) and sessions ended
 * (revoked, or idle past the refresh-token lifetime) more than
 * ENDED_SESSION_RETENTION_DAYS ago, with the IP and user agent they hold.
 */
export async function enforceRetention(
  ctx: ErasureContext,
): Promise<{ auditDeleted: number; refreshTokensDeleted: number; sessionsDeleted: number }> {
  const now = ctx.deps.clock.now();
  const cutoff = new Date(now.getTime() - ctx.deps.config.AUDIT_RETENTION_DAYS * DAY_MS);
  const auditDeleted = await ctx.deps.transaction(async (tx) => {
    await tx.execute(sql`SELECT set_config('rapport.audit_retention_cutoff', ${cutoff.toISOString()}, true)`);
    const rows = await tx.delete(auditLog).where(lt(auditLog.createdAt, cutoff)).returning({ id: auditLog.id });
    return rows.length;
  });
  const refreshTokensDeleted = (
    await ctx.deps.db.delete(refreshTokens).where(lt(refreshTokens.expiresAt, now)).returning({ id: refreshTokens.id })
  ).length;
  const sessionCutoff = new Date(now.getTime() - ENDED_SESSION_RETENTION_DAYS * DAY_MS);
  const idleCutoff = new Date(sessionCutoff.getTime() - ctx.deps.config.REFRESH_TOKEN_TTL_DAYS * DAY_MS);
  const sessionsDeleted = (
    await ctx.deps.db
      .delete(sessions)
      .where(or(lt(sessions.revokedAt, sessionCutoff), lt(sessions.lastUsedAt, idleCutoff)))
      .returning({ id: sessions.id })
  ).length;
  return { auditDeleted, refreshTokensDeleted, sessionsDeleted };
}
