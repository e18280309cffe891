import type { GraphContact, GraphInteraction } from "@rapport/core";
import { DEFAULT_GRAPH_PARAMS } from "@rapport/core";
import { queryRows, type Db, type Executor } from "@rapport/db";
import { sql, type SQL } from "drizzle-orm";

/**
 * Row loading for the relationship graph. Every loader runs in one READ ONLY
 * REPEATABLE READ transaction whose first statement captures
 * pg_current_snapshot(): all rows come from that snapshot, and the snapshot
 * travels with the cached result (see infra/cache/fence.ts).
 */

const LINK_TYPES = sql.join(
  DEFAULT_GRAPH_PARAMS.linkTypes.map((type) => sql`${type}`),
  sql`, `,
);

interface ContactRow {
  id: string;
  name: string;
  company: string | null;
  live: boolean;
}

interface InteractionRow {
  id: string;
  type: string;
  t: number | string;
  participants: string[] | string;
}

export interface GraphRows {
  snapshot: string;
  contacts: GraphContact[];
  interactions: GraphInteraction[];
}

async function readOnlySnapshot<T>(db: Db, fn: (tx: Executor, snapshot: string) => Promise<T>): Promise<T> {
  return db.transaction(
    async (tx) => {
      const [row] = await queryRows<{ snap: string }>(tx, sql`SELECT pg_current_snapshot()::text AS snap`);
      return fn(tx, row!.snap);
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

const toContact = (row: ContactRow): GraphContact => ({
  id: row.id,
  name: row.name,
  company: row.company,
  live: Boolean(row.live),
});

const toInteraction = (row: InteractionRow): GraphInteraction => ({
  id: row.id,
  type: row.type,
  occurredAt: Number(row.t),
  participants: Array.isArray(row.participants) ? row.participants : row.participants.split(","),
});

/** Linking interactions (email, meeting) with at least two contact participants, filtered by `where`. */
function interactionsWhere(tx: Executor, workspaceId: string, where: SQL) {
  return queryRows<InteractionRow>(
    tx,
    // string_agg, not array_agg: a comma-separated text is far cheaper to parse than a uuid[] (~⅓ of the time for 40k rows).
    sql`SELECT i.id, i.type, (extract(epoch FROM i.occurred_at) * 1000)::float8 AS t, string_agg(p.contact_id::text, ',') AS participants
        FROM interactions i
        JOIN interaction_participants p ON p.interaction_id = i.id AND p.contact_id IS NOT NULL
        WHERE i.workspace_id = ${workspaceId} AND i.type IN (${LINK_TYPES}) AND ${where}
        GROUP BY i.id
        HAVING count(*) >= 2`,
  );
}

/** The whole workspace: every contact (live or not) and every linking interaction. */
export async function loadWorkspaceRows(db: Db, workspaceId: string): Promise<GraphRows> {
  return readOnlySnapshot(db, async (tx, snapshot) => {
    const contactRows = await queryRows<ContactRow>(
      tx,
      sql`SELECT id, name, company, deleted_at IS NULL AS live FROM contacts WHERE workspace_id = ${workspaceId}`,
    );
    const interactionRows = await interactionsWhere(tx, workspaceId, sql`TRUE`);
    return { snapshot, contacts: contactRows.map(toContact), interactions: interactionRows.map(toInteraction) };
  });
}

/**
 * Only what scoring one contact needs (the uncached path): its interactions,
 * its live neighbours' interactions, and the members of their companies.
 * Null when the contact is not a live contact of the workspace.
 */
export async function loadNeighbourhoodRows(db: Db, workspaceId: string, contactId: string): Promise<GraphRows | null> {
  return readOnlySnapshot(db, async (tx, snapshot) => {
    const [subject] = await queryRows<ContactRow>(
      tx,
      sql`SELECT id, name, company, deleted_at IS NULL AS live FROM contacts WHERE id = ${contactId} AND workspace_id = ${workspaceId}`,
    );
    if (!subject?.live) return null;
    const neighbours = await queryRows<{ id: string }>(
      tx,
      sql`SELECT DISTINCT k.id
          FROM interaction_participants p1
          JOIN interactions i ON i.id = p1.interaction_id AND i.type IN (${LINK_TYPES})
          JOIN interaction_participants p2 ON p2.interaction_id = p1.interaction_id AND p2.contact_id IS NOT NULL AND p2.contact_id <> p1.contact_id
          JOIN contacts k ON k.id = p2.contact_id AND k.deleted_at IS NULL
          WHERE p1.contact_id = ${contactId} AND p1.workspace_id = ${workspaceId}
          UNION
          SELECT k.id FROM contacts k
          WHERE k.workspace_id = ${workspaceId} AND k.deleted_at IS NULL AND k.id <> ${contactId}
            AND ${subject.company ?? null}::text IS NOT NULL AND lower(btrim(k.company)) = lower(btrim(${subject.company ?? null}::text))`,
    );
    const centre = [contactId, ...neighbours.map((row) => row.id)];
    const centreArray = sql`${`{${centre.join(",")}}`}::uuid[]`;
    const interactionRows = await interactionsWhere(
      tx,
      workspaceId,
      sql`i.id IN (SELECT interaction_id FROM interaction_participants WHERE contact_id = ANY(${centreArray}))`,
    );
    const interactions = interactionRows.map(toInteraction);
    const mentioned = new Set(centre);
    for (const interaction of interactions) for (const p of interaction.participants) mentioned.add(p);
    const contactRows = await queryRows<ContactRow>(
      tx,
      sql`SELECT id, name, company, deleted_at IS NULL AS live FROM contacts
          WHERE workspace_id = ${workspaceId}
            AND (id = ANY(${`{${[...mentioned].join(",")}}`}::uuid[])
                 OR (deleted_at IS NULL AND company IS NOT NULL AND lower(btrim(company)) IN (
                       SELECT lower(btrim(company)) FROM contacts
                       WHERE id = ANY(${centreArray}) AND deleted_at IS NULL AND company IS NOT NULL)))`,
    );
    return { snapshot, contacts: contactRows.map(toContact), interactions };
  });
}

export interface GraphDelta {
  snapshot: string;
  /** Too many changes to patch: rebuild. */
  rebuild: boolean;
  contacts: GraphContact[];
  /** Contacts that no longer exist (purged). */
  missingContacts: string[];
  interactions: GraphInteraction[];
  /** Interactions that no longer link anybody (deleted, or cascaded away). */
  missingInteractions: string[];
}

const MAX_PATCH_EVENTS = 20_000;

/**
 * What changed in a workspace since `since` (a snapshot): the events that
 * became visible, and the current rows of everything they name, all as of
 * one new snapshot, so the patched graph equals the database at that
 * snapshot. `interactionsOf` names the interactions a purged contact took
 * part in (their participant rows were cascaded away).
 */
export async function loadDelta(
  db: Db,
  workspaceId: string,
  since: string,
  interactionsOf: (contactId: string) => string[],
): Promise<GraphDelta> {
  return readOnlySnapshot(db, async (tx, snapshot) => {
    const events = await queryRows<{ type: string; payload: Record<string, unknown> | string }>(
      tx,
      sql`SELECT type, payload FROM domain_events
          WHERE workspace_id = ${workspaceId}
            AND tx_id >= pg_snapshot_xmin(${since}::pg_snapshot)
            AND NOT pg_visible_in_snapshot(tx_id, ${since}::pg_snapshot)
            AND (type LIKE 'contact.%' OR type LIKE 'interaction.%')
          LIMIT ${MAX_PATCH_EVENTS + 1}`,
    );
    const empty = {
      snapshot,
      rebuild: false,
      contacts: [],
      missingContacts: [],
      interactions: [],
      missingInteractions: [],
    };
    // A merge (or its undo) moves a contact's whole timeline to another id: rebuilt, not patched.
    if (
      events.length > MAX_PATCH_EVENTS ||
      events.some((event) => event.type === "contact.merged" || event.type === "contact.unmerged")
    )
      return { ...empty, rebuild: true };
    const contactIds = new Set<string>();
    const interactionIds = new Set<string>();
    for (const event of events) {
      const payload =
        typeof event.payload === "string" ? (JSON.parse(event.payload) as Record<string, unknown>) : event.payload;
      if (event.type.startsWith("contact.") && typeof payload.contactId === "string") {
        contactIds.add(payload.contactId);
        if (event.type === "contact.purged") for (const id of interactionsOf(payload.contactId)) interactionIds.add(id);
      } else if (event.type.startsWith("interaction.") && typeof payload.interactionId === "string") {
        interactionIds.add(payload.interactionId);
      }
    }
    const contactRows =
      contactIds.size === 0
        ? []
        : await queryRows<ContactRow>(
            tx,
            sql`SELECT id, name, company, deleted_at IS NULL AS live FROM contacts
                WHERE workspace_id = ${workspaceId} AND id = ANY(${`{${[...contactIds].join(",")}}`}::uuid[])`,
          );
    const interactionRows =
      interactionIds.size === 0
        ? []
        : await interactionsWhere(tx, workspaceId, sql`i.id = ANY(${`{${[...interactionIds].join(",")}}`}::uuid[])`);
    const foundContacts = new Set(contactRows.map((row) => row.id));
    const foundInteractions = new Set(interactionRows.map((row) => row.id));
    return {
      snapshot,
      rebuild: false,
      contacts: contactRows.map(toContact),
      missingContacts: [...contactIds].filter((id) => !foundContacts.has(id)),
      interactions: interactionRows.map(toInteraction),
      missingInteractions: [...interactionIds].filter((id) => !foundInteractions.has(id)),
    };
  });
}

/** The workspace's most active live contacts (participations), most active first. */
export async function loadTopContacts(
  db: Db,
  workspaceId: string,
  limit: number,
): Promise<{ snapshot: string; contactIds: string[] }> {
  return readOnlySnapshot(db, async (tx, snapshot) => {
    const rows = await queryRows<{ contact_id: string }>(
      tx,
      sql`SELECT p.contact_id
          FROM interaction_participants p
          JOIN contacts c ON c.id = p.contact_id AND c.deleted_at IS NULL
          WHERE p.workspace_id = ${workspaceId}
          GROUP BY p.contact_id
          ORDER BY count(*) DESC, p.contact_id
          LIMIT ${limit}`,
    );
    return { snapshot, contactIds: rows.map((row) => row.contact_id) };
  });
}

/** Workspaces with the most interactions (warm-up on start). */
export async function loadBusiestWorkspaces(db: Db, limit: number): Promise<string[]> {
  const rows = await queryRows<{ workspace_id: string }>(
    db,
    sql`SELECT workspace_id FROM interactions GROUP BY workspace_id ORDER BY count(*) DESC LIMIT ${limit}`,
  );
  return rows.map((row) => row.workspace_id);
}
