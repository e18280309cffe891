import { interactionParticipants, interactions, type Executor, type Tx } from "@rapport/db";
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { PrivacyHandler } from "../gdpr/registry";

/**
 * GDPR (issue 6): interactions with a contact and participant rows naming them.
 * Erasure keeps type, direction and date (aggregates keep counting) and clears
 * the content and the addresses/names.
 */
export const interactionsPrivacy: PrivacyHandler = {
  module: "interactions",
  erases: ["interactions.subject", "interactions.summary", "interaction_participants.email", "interaction_participants.display_name"],
  async exportContact(db: Executor, workspaceId, contactId) {
    const rows = await db
      .select()
      .from(interactions)
      .where(
        and(
          eq(interactions.workspaceId, workspaceId),
          or(
            eq(interactions.contactId, contactId),
            inArray(
              interactions.id,
              db.select({ id: interactionParticipants.interactionId }).from(interactionParticipants).where(eq(interactionParticipants.contactId, contactId)),
            ),
          ),
        ),
      );
    return [{ file: "interactions.json", records: rows, description: "interactions the contact took part in" }];
  },
  async eraseContact(tx: Tx, workspaceId, contactId, ctx) {
    await tx
      .update(interactions)
      .set({ subject: null, summary: null })
      .where(and(eq(interactions.workspaceId, workspaceId), eq(interactions.contactId, contactId)));
    // Free text elsewhere in the workspace that names the person (e.g. a meeting with them logged on another contact).
    // One pass over the workspace's interactions for all terms (LIKE patterns, wildcards escaped).
    const needles = [...new Set((ctx.terms ?? []).map((t) => t.trim().toLowerCase()).filter((t) => t.length >= 3))];
    if (needles.length > 0) {
      const patterns = needles.map((n) => sql`${`%${n.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`);
      await tx
        .update(interactions)
        .set({ subject: null, summary: null })
        .where(
          and(
            eq(interactions.workspaceId, workspaceId),
            sql`lower(concat_ws(' ', ${interactions.subject}, ${interactions.summary})) LIKE ANY (ARRAY[${sql.join(patterns, sql`, `)}]::text[])`,
          ),
        );
    }
    const addresses = ctx.addresses ?? [];
    // Rows that named her only by address are linked to the (now anonymous) contact:
    // the participants table requires a contact or an address, and the count stays.
    await tx
      .update(interactionParticipants)
      .set({ email: null, displayName: null, contactId })
      .where(
        and(
          eq(interactionParticipants.workspaceId, workspaceId),
          addresses.length > 0
            ? or(eq(interactionParticipants.contactId, contactId), inArray(sql`lower(${interactionParticipants.email})`, addresses))
            : eq(interactionParticipants.contactId, contactId),
        ),
      );
  },
};
