import { eventVisibleTo, type WorkspaceRole } from "@rapport/core";
import { contacts, domainEvents, users, type Db } from "@rapport/db";
import { and, desc, eq, inArray, lt, type SQL } from "drizzle-orm";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { badRequest } from "../../errors";
import type { ServiceDeps } from "../../platform/deps";
import { DOMAIN_EVENT_TYPES, type DomainEventType } from "../../platform/events/types";

/** The activity feed is the outbox itself, read newest first per workspace. */
export class ActivityService {
  private readonly db: Db;

  constructor(private readonly deps: ServiceDeps) {
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
    const page = rows.slice(0, input.limit);
    const names = await this.contactNames(input.workspaceId, page);
    const items = page.map((row) => {
      const contactId = row.payload.contactId;
      return { ...row, contactName: typeof contactId === "string" ? (names.get(contactId) ?? null) : null };
    });
    return { items, nextCursor: rows.length > input.limit ? encodeCursor([page[page.length - 1]!.id]) : null };
  }

  /**
   * The current names of the contacts the events are about. Events keep ids only, so a
   * renamed contact reads with its new name and an erased one as "Erased contact" (what
   * erasure leaves). A contact whose processing is restricted is not named (GDPR Art. 18),
   * nor one purged for good (no row).
   */
  private async contactNames(workspaceId: string, rows: { payload: Record<string, unknown> }[]) {
    const ids = [
      ...new Set(rows.map((row) => row.payload.contactId).filter((id): id is string => typeof id === "string")),
    ];
    if (ids.length === 0) return new Map<string, string>();
    const [found, restricted] = await Promise.all([
      this.db
        .select({ id: contacts.id, name: contacts.name })
        .from(contacts)
        .where(and(eq(contacts.workspaceId, workspaceId), inArray(contacts.id, ids))),
      this.deps.restrictions.restrictedContacts(ids),
    ]);
    return new Map(found.filter((row) => !restricted.has(row.id)).map((row) => [row.id, row.name]));
  }
}
