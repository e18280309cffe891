import { eventVisibleTo, type WorkspaceRole } from "@rapport/core";
import { domainEvents, users, type Db } from "@rapport/db";
import { and, desc, eq, inArray, lt, type SQL } from "drizzle-orm";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { badRequest } from "../../errors";
import type { ServiceDeps } from "../../platform/deps";
import { DOMAIN_EVENT_TYPES, type DomainEventType } from "../../platform/events/types";

/** The activity feed is the outbox itself, read newest first per workspace. */
export class ActivityService {
  private readonly db: Db;

  constructor(deps: ServiceDeps) {
    this.db = deps.db;
  }

  async list(input: {
    workspaceId: string;
    /** The reader's role: events above it (invitations, restrictions) are not theirs to see, as in the live feed. */
    role: WorkspaceRole;
    types?: DomainEventType[] | undefined;
    cursor?: string | null;
    limit: number;
  }) {
    const conditions: SQL[] = [eq(domainEvents.workspaceId, input.workspaceId)];
    const asked = input.types && input.types.length > 0 ? input.types : DOMAIN_EVENT_TYPES;
    const visible = asked.filter((type) => eventVisibleTo(type, input.role));
    if (visible.length < DOMAIN_EVENT_TYPES.length) conditions.push(inArray(domainEvents.type, visible));
    if (input.cursor) {
      const decoded = decodeCursor(input.cursor, 1);
      if (!decoded || typeof decoded[0] !== "number") throw badRequest("cursor: invalid", ["cursor"]);
      conditions.push(lt(domainEvents.id, decoded[0]));
    }
    const rows = await this.db
      .select({
        id: domainEvents.id,
        type: domainEvents.type,
        actorId: domainEvents.actorId,
        actorName: users.name,
        payload: domainEvents.payload,
        createdAt: domainEvents.createdAt,
      })
      .from(domainEvents)
      .leftJoin(users, eq(users.id, domainEvents.actorId))
      .where(and(...conditions))
      .orderBy(desc(domainEvents.id))
      .limit(input.limit + 1);
    const items = rows.slice(0, input.limit);
    return { items, nextCursor: rows.length > input.limit ? encodeCursor([items[items.length - 1]!.id]) : null };
  }
}
