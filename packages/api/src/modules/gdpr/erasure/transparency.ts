import { gdprOperations, INVENTORY, retentionByCategory, type GdprOperationStatus } from "@rapport/db";
import { and, desc, eq, or } from "drizzle-orm";
import type { ErasureContext } from "./context";

/*
 * What data subjects and workspace admins can read about their requests and
 * their data: the operations log (with overdue requests flagged) and where
 * personal data lives, who processes it and for how long.
 */

export async function listOperations(
  ctx: ErasureContext,
  filter: { workspaceId?: string; subjectUserId?: string; limit: number },
) {
  const now = ctx.deps.clock.now();
  const rows = await ctx.deps.db
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

export function dataLocations(ctx: ErasureContext) {
  const c = ctx.deps.config;
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
    cache: c.REDIS_URL
      ? { kind: "redis", note: "derived data only (recommendations, analytics), keyed by opaque ids" }
      : null,
    backups: { note: "database backups follow the primary's region; erased data leaves backups as they rotate" },
    processors: [
      {
        name: "Google (Gmail API)",
        purpose: "importing the connected mailbox's messages as interactions",
        when: "only if a Gmail account is connected",
      },
    ],
    retentionByCategory: retentionByCategory(),
    auditRetentionDays: c.AUDIT_RETENTION_DAYS,
    tables: Object.entries(INVENTORY).map(([table, t]) => ({
      table,
      subject: t.subject,
      purpose: t.purpose,
      retention: t.retention,
    })),
  };
}

function isOpen(status: GdprOperationStatus) {
  return status === "pending" || status === "in_progress";
}
