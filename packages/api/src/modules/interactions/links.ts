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

/**
 * The same pairs as `contactInteractionLinks`, only `(contact_id, type, occurred_at)`, each half
 * in (contact, time) order straight from its index (participant rows carry copies of their
 * interaction's time, type and filed-under contact), so a reader that needs every contact's
 * interactions in time order gets them merged instead of sorting every pair.
 */
export function contactInteractionTimes(workspaceId: string, upTo: SQL): SQL {
  return sql`(
    (SELECT i.contact_id, i.type, i.occurred_at
     FROM interactions i
     WHERE i.workspace_id = ${workspaceId}::uuid AND i.occurred_at <= ${upTo}
     ORDER BY i.contact_id, i.occurred_at)
    UNION ALL
    (SELECT p.contact_id, p.type, p.occurred_at
     FROM interaction_participants p
     WHERE p.workspace_id = ${workspaceId}::uuid AND p.contact_id <> p.filed_contact_id AND p.occurred_at <= ${upTo}
     ORDER BY p.contact_id, p.occurred_at)
  )`;
}
