import { sql, type SQL } from "drizzle-orm";

/**
 * Every (interaction, contact) pair of a workspace with interactions at or before `upTo`, as rows
 * `(id, contact_id, type, occurred_at, filed)`: an interaction belongs to the contact it is filed
 * under (`filed`) and to each other contact taking part in it. The unique (interaction, contact)
 * key of interaction_participants and the `<>` leave each pair exactly once, so a contact's
 * figures count an email once however it is addressed; workspace-wide counts take only the
 * `filed` rows, so an email to three contacts is still one interaction.
 */
export function contactInteractionLinks(workspaceId: string, upTo: SQL): SQL {
  return sql`(
    SELECT i.id, i.contact_id, i.type, i.occurred_at, true AS filed
    FROM interactions i
    WHERE i.workspace_id = ${workspaceId}::uuid AND i.occurred_at <= ${upTo}
    UNION ALL
    SELECT i.id, p.contact_id, i.type, i.occurred_at, false AS filed
    FROM interaction_participants p
    JOIN interactions i ON i.id = p.interaction_id
    WHERE p.workspace_id = ${workspaceId}::uuid AND p.contact_id <> i.contact_id AND i.occurred_at <= ${upTo}
  )`;
}

/** Which of a workspace's (interaction, contact) pairs `contactInteractionTimes` reads, and how. */
interface InteractionTimesOptions {
  /** Only this contact's pairs: an id, or a column of the enclosing query (e.g. in a LATERAL join). */
  contactId?: SQL;
  /** Only interactions strictly after this instant. */
  after?: SQL;
  /**
   * Each half in (contact, time) order straight from its index, so a reader that needs every
   * contact's interactions in time order gets them merged instead of sorting every pair.
   * Without it the halves come in any order, so an aggregate over them may scan in parallel.
   */
  ordered?: boolean;
  /**
   * Instead of the pairs, these aggregates (over `i.type` and `i.occurred_at`) per contact and
   * half: rows `(contact_id, …aggregates)`, up to two per contact, for the caller to combine.
   * Each half aggregates straight from its own scan (in parallel, like any GROUP BY), with no
   * union of every pair in between.
   */
  aggregates?: SQL;
}

/**
 * The same pairs as `contactInteractionLinks`, only `(contact_id, type, occurred_at)` (both
 * halves under the alias `i`), read without a join: participant rows carry copies of their
 * interaction's time, type and filed-under contact (kept by triggers), so each half is one
 * index or table scan.
 */
export function contactInteractionTimes(
  workspaceId: string,
  upTo: SQL,
  { contactId, after, ordered = false, aggregates }: InteractionTimesOptions = {},
): SQL {
  const half = (table: SQL, only?: SQL) => {
    const conditions = [
      sql`i.workspace_id = ${workspaceId}::uuid`,
      contactId && sql`i.contact_id = ${contactId}`,
      only,
      after && sql`i.occurred_at > ${after}`,
      sql`i.occurred_at <= ${upTo}`,
    ].filter((c): c is SQL => c !== undefined);
    const columns = aggregates ?? sql`i.type, i.occurred_at`;
    return sql`(SELECT i.contact_id, ${columns}
     FROM ${table} i
     WHERE ${sql.join(conditions, sql` AND `)}${aggregates ? sql` GROUP BY i.contact_id` : sql``}${ordered ? sql` ORDER BY i.contact_id, i.occurred_at` : sql``})`;
  };
  return sql`(
    ${half(sql`interactions`)}
    UNION ALL
    ${half(sql`interaction_participants`, sql`i.contact_id <> i.filed_contact_id`)}
  )`;
}
