import { auditLog, type Db } from "@rapport/db";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { badRequest } from "../../errors";
import type { ServiceDeps } from "../../platform/deps";

export class AuditService {
  private readonly db: Db;

  constructor(deps: ServiceDeps) {
    this.db = deps.db;
  }

  async list(input: {
    workspaceId: string;
    action?: string | null;
    actorId?: string | null;
    cursor?: string | null;
    limit: number;
  }) {
    const conditions: SQL[] = [eq(auditLog.workspaceId, input.workspaceId)];
    if (input.action) conditions.push(eq(auditLog.action, input.action));
    if (input.actorId) conditions.push(eq(auditLog.actorId, input.actorId));
    if (input.cursor) {
      const decoded = decodeCursor(input.cursor, 1);
      if (!decoded || typeof decoded[0] !== "number") throw badRequest("cursor: invalid", ["cursor"]);
      conditions.push(lt(auditLog.id, decoded[0]));
    }
    const rows = await this.db
      .select()
      .from(auditLog)
      .where(and(...conditions))
      .orderBy(desc(auditLog.id))
      .limit(input.limit + 1);
    const items = rows.slice(0, input.limit);
    const nextCursor = rows.length > input.limit ? encodeCursor([items[items.length - 1]!.id]) : null;
    return { items, nextCursor };
  }
}
