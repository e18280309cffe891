import { auditLog, memberships, type Db } from "@rapport/db";
import { and, desc, eq, gte, inArray, isNull, lt, type SQL } from "drizzle-orm";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { badRequest } from "../../errors";
import type { ServiceDeps } from "../../platform/deps";

export class AuditService {
  private readonly db: Db;

  constructor(deps: ServiceDeps) {
    this.db = deps.db;
  }

  /**
   * The workspace's log, newest first. With it, its members' sign-ins and failed sign-ins
   * (account-level entries, no workspace) from the time each joined: who got in, and who was
   * guessing at a member's password, from where. The two are read apart and merged by id, the cursor.
   */
  async list(input: {
    workspaceId: string;
    action?: string | null;
    actorId?: string | null;
    cursor?: string | null;
    limit: number;
  }) {
    let before: number | null = null;
    if (input.cursor) {
      const decoded = decodeCursor(input.cursor, 1);
      if (!decoded || typeof decoded[0] !== "number") throw badRequest("cursor: invalid", ["cursor"]);
      before = decoded[0];
    }
    const common: SQL[] = [];
    if (input.actorId) common.push(eq(auditLog.actorId, input.actorId));
    if (before !== null) common.push(lt(auditLog.id, before));

    const own = this.db
      .select()
      .from(auditLog)
      .where(
        and(
          eq(auditLog.workspaceId, input.workspaceId),
          ...(input.action ? [eq(auditLog.action, input.action)] : []),
          ...common,
        ),
      )
      .orderBy(desc(auditLog.id))
      .limit(input.limit + 1);
    const signInActions = input.action
      ? MEMBER_SIGN_IN_ACTIONS.filter((action) => action === input.action)
      : MEMBER_SIGN_IN_ACTIONS;
    // Per member: a lateral scan of the actor index, newest first, at most a page each. As one
    // filter with a semi-join, Postgres read every sign-in of every member and sorted them (a
    // member with 100,000 sign-ins: 46-59 ms a page, against 0.1 ms this way).
    const signIn = this.db
      .select()
      .from(auditLog)
      .where(
        and(
          eq(auditLog.actorId, memberships.userId),
          isNull(auditLog.workspaceId),
          inArray(auditLog.action, signInActions),
          gte(auditLog.createdAt, memberships.createdAt),
          ...common,
        ),
      )
      .orderBy(desc(auditLog.id))
      .limit(input.limit + 1)
      .as("sign_in");
    const signIns =
      signInActions.length === 0
        ? Promise.resolve([])
        : this.db
            .select({
              id: signIn.id,
              workspaceId: signIn.workspaceId,
              actorId: signIn.actorId,
              action: signIn.action,
              targetType: signIn.targetType,
              targetId: signIn.targetId,
              ip: signIn.ip,
              userAgent: signIn.userAgent,
              metadata: signIn.metadata,
              createdAt: signIn.createdAt,
            })
            .from(memberships)
            .crossJoinLateral(signIn)
            .where(eq(memberships.workspaceId, input.workspaceId))
            .orderBy(desc(signIn.id))
            .limit(input.limit + 1);
    const [ownRows, signInRows] = await Promise.all([own, signIns]);
    const rows = [...ownRows, ...signInRows].sort((a, b) => b.id - a.id).slice(0, input.limit + 1);
    const items = rows.slice(0, input.limit);
    const nextCursor = rows.length > input.limit ? encodeCursor([items[items.length - 1]!.id]) : null;
    return { items, nextCursor };
  }
}

/** Account-level entries a workspace's admins see for its members (the rest stay the account's own). */
const MEMBER_SIGN_IN_ACTIONS = ["auth.login", "auth.login_failed"];
