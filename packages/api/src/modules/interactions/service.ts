import type { InteractionDirection, InteractionSource, InteractionType, ParticipantRole } from "@rapport/core";
import { contacts, interactionParticipants, interactions, queryRows, type Tx } from "@rapport/db";
import { and, desc, eq, getTableColumns, inArray, isNull, sql } from "drizzle-orm";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { badRequest, notFound } from "../../errors";
import { appendEvents } from "../../platform/events/outbox";
import type { ServiceDeps } from "../../platform/deps";
import type { Actor } from "../../platform/actor";
import type { CreateInteractionInput } from "@rapport/core/schemas";
import { assertNotRestricted } from "../../platform/privacy/restriction";
import { suppressedAddresses } from "../../platform/privacy/suppression";

/** An interaction as the API shows it: every column but the search words the database derives. */
const { searchDoc: _searchDoc, ...interactionRow } = getTableColumns(interactions);
export type Interaction = Omit<typeof interactions.$inferSelect, "searchDoc">;

/** One imported message or meeting; `participants[0]` is the contact it is filed under. */
export interface ImportedInteraction {
  externalId: string;
  source: InteractionSource;
  type: InteractionType;
  direction: InteractionDirection;
  occurredAt: Date;
  subject: string | null;
  participants: { contactId: string; email: string | null; displayName: string | null; role: ParticipantRole }[];
}

interface ParticipantDraft {
  contactId: string | null;
  email: string | null;
  displayName: string | null;
  role: ParticipantRole;
}

export class InteractionService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Logs an interaction with its participants. With a source + externalId the
   * call is idempotent: the same message or meeting imported twice returns the
   * first record (`created: false`) and writes nothing.
   */
  async create(input: CreateInteractionInput, actor: Actor): Promise<{ interaction: Interaction; created: boolean }> {
    const { workspaceId } = input;
    return this.deps.transaction(async (tx) => {
      const [contact] = await tx
        .select({ id: contacts.id })
        .from(contacts)
        .where(
          and(eq(contacts.id, input.contactId), eq(contacts.workspaceId, workspaceId), isNull(contacts.deletedAt)),
        );
      if (!contact) throw notFound("Contact");

      if (input.externalId) {
        const [existing] = await tx
          .select(interactionRow)
          .from(interactions)
          .where(
            and(
              eq(interactions.workspaceId, workspaceId),
              eq(interactions.source, input.source),
              eq(interactions.externalId, input.externalId),
            ),
          );
        if (existing) return { interaction: existing, created: false };
      }

      const participants = await this.resolveParticipants(tx, workspaceId, input);
      // GDPR: the one place this module refuses to process a restricted contact's data.
      await assertNotRestricted(tx, [
        input.contactId,
        ...participants.flatMap((p) => (p.contactId ? [p.contactId] : [])),
      ]);
      const inserted = await tx
        .insert(interactions)
        .values({
          workspaceId,
          contactId: input.contactId,
          type: input.type,
          direction: input.direction ?? null,
          occurredAt: input.occurredAt,
          subject: input.subject ?? null,
          summary: input.summary ?? null,
          source: input.source,
          externalId: input.externalId ?? null,
          createdBy: actor.actorId,
          createdAt: this.deps.clock.now(),
        })
        .onConflictDoNothing()
        .returning(interactionRow);
      const interaction = inserted[0];
      if (!interaction) {
        // A concurrent import of the same externalId won the race.
        const [existing] = await tx
          .select(interactionRow)
          .from(interactions)
          .where(
            and(
              eq(interactions.workspaceId, workspaceId),
              eq(interactions.source, input.source),
              eq(interactions.externalId, input.externalId!),
            ),
          );
        return { interaction: existing!, created: false };
      }
      await tx
        .insert(interactionParticipants)
        .values(participants.map((p) => ({ ...p, interactionId: interaction.id, workspaceId })));
      const participantContactIds = participants.flatMap((p) => (p.contactId ? [p.contactId] : []));
      await appendEvents(tx, [
        {
          type: "interaction.created",
          workspaceId,
          actorId: actor.actorId,
          payload: {
            interactionId: interaction.id,
            contactId: input.contactId,
            type: input.type,
            participantContactIds,
          },
        },
      ]);
      return { interaction, created: true };
    });
  }

  /**
   * Imported messages or meetings, inside the importer's transaction: one interaction each
   * (its primary contact first among `participants`), idempotent by (workspace, source,
   * externalId) — one already stored is skipped, not duplicated. Participants are contacts
   * the importer resolved (restricted and erased people already left out).
   */
  async importMany(
    tx: Tx,
    workspaceId: string,
    items: ImportedInteraction[],
    actorId: string,
  ): Promise<{ logged: number; loggedExternalIds: string[] }> {
    const usable = items.filter((item) => item.participants.length > 0);
    if (usable.length === 0) return { logged: 0, loggedExternalIds: [] };
    const now = this.deps.clock.now().toISOString();
    const byExternalId = new Map(usable.map((item) => [item.externalId, item]));
    const rows = JSON.stringify(
      [...byExternalId.values()].map((item) => ({
        external_id: item.externalId,
        contact_id: item.participants[0]!.contactId,
        type: item.type,
        direction: item.direction,
        occurred_at: item.occurredAt.toISOString(),
        subject: item.subject?.slice(0, 500) ?? null,
        source: item.source,
      })),
    );
    const participantRows = JSON.stringify(
      [...byExternalId.values()].flatMap((item) => {
        const seen = new Set<string>();
        return item.participants.flatMap((p) => {
          if (seen.has(p.contactId)) return [];
          seen.add(p.contactId);
          return [
            {
              external_id: item.externalId,
              contact_id: p.contactId,
              email: p.email,
              display_name: p.displayName?.slice(0, 200) ?? null,
              role: p.role,
            },
          ];
        });
      }),
    );
    // One statement per batch: the interactions not stored yet (the external id is unique, so a
    // re-run stores nothing twice) and, for exactly those, every participant.
    const inserted = await queryRows<{ id: string; externalId: string; contactId: string }>(
      tx,
      sql`
        WITH input AS (
          SELECT * FROM jsonb_to_recordset(${rows}::jsonb)
            AS t(external_id text, contact_id uuid, type text, direction text, occurred_at timestamptz, subject text, source text)
        ),
        inserted AS (
          INSERT INTO interactions (workspace_id, contact_id, type, direction, occurred_at, subject, source, external_id, created_by, created_at)
          SELECT ${workspaceId}::uuid, contact_id, type, direction, occurred_at, subject, source, external_id,
                 ${actorId}::uuid, ${now}::timestamptz
          FROM input
          ON CONFLICT DO NOTHING
          RETURNING id, external_id, contact_id
        ),
        participants AS (
          INSERT INTO interaction_participants (interaction_id, workspace_id, contact_id, email, display_name, role)
          SELECT i.id, ${workspaceId}::uuid, p.contact_id, p.email, p.display_name, p.role
          FROM jsonb_to_recordset(${participantRows}::jsonb)
            AS p(external_id text, contact_id uuid, email text, display_name text, role text)
          JOIN inserted i ON i.external_id = p.external_id
        )
        SELECT id, external_id AS "externalId", contact_id AS "contactId" FROM inserted
      `,
    );
    if (inserted.length === 0) return { logged: 0, loggedExternalIds: [] };
    await appendEvents(
      tx,
      inserted.map((row) => ({
        type: "interaction.created" as const,
        workspaceId,
        actorId,
        payload: {
          interactionId: row.id,
          contactId: row.contactId,
          type: byExternalId.get(row.externalId!)!.type,
          participantContactIds: [...new Set(byExternalId.get(row.externalId!)!.participants.map((p) => p.contactId))],
        },
      })),
    );
    return { logged: inserted.length, loggedExternalIds: inserted.map((row) => row.externalId!) };
  }

  async listForContact(input: { workspaceId: string; contactId: string; cursor?: string | null; limit: number }) {
    const [contact] = await this.deps.db
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(eq(contacts.id, input.contactId), eq(contacts.workspaceId, input.workspaceId)));
    if (!contact) throw notFound("Contact");
    // The contact's timeline: what is filed under it and what it took part in (an email it was copied on).
    const conditions = [
      eq(interactions.workspaceId, input.workspaceId),
      sql`${interactions.id} IN (
        SELECT ${interactions.id} FROM ${interactions} WHERE ${interactions.contactId} = ${input.contactId}
        UNION ALL
        SELECT ${interactionParticipants.interactionId} FROM ${interactionParticipants}
        WHERE ${interactionParticipants.contactId} = ${input.contactId})`,
    ];
    if (input.cursor) {
      const decoded = decodeCursor(input.cursor, 2);
      if (
        !decoded ||
        typeof decoded[0] !== "string" ||
        typeof decoded[1] !== "string" ||
        !/^[0-9a-f-]{36}$/i.test(decoded[1])
      ) {
        throw badRequest("cursor: invalid", ["cursor"]);
      }
      conditions.push(
        sql`(${interactions.occurredAt}, ${interactions.id}) < (${decoded[0]}::timestamptz, ${decoded[1]}::uuid)`,
      );
    }
    const rows = await this.deps.db
      .select({ interaction: interactionRow, key: sql<string>`${interactions.occurredAt}::text` })
      .from(interactions)
      .where(and(...conditions))
      .orderBy(desc(interactions.occurredAt), desc(interactions.id))
      .limit(input.limit + 1);
    const page = rows.slice(0, input.limit);
    const ids = page.map((row) => row.interaction.id);
    const participants =
      ids.length === 0
        ? []
        : await this.deps.db
            .select({
              interactionId: interactionParticipants.interactionId,
              contactId: interactionParticipants.contactId,
              email: interactionParticipants.email,
              displayName: interactionParticipants.displayName,
              role: interactionParticipants.role,
              contactName: contacts.name,
            })
            .from(interactionParticipants)
            .leftJoin(contacts, and(eq(contacts.id, interactionParticipants.contactId), isNull(contacts.deletedAt)))
            .where(inArray(interactionParticipants.interactionId, ids));
    const byInteraction = new Map<string, typeof participants>();
    for (const p of participants)
      byInteraction.set(p.interactionId, [...(byInteraction.get(p.interactionId) ?? []), p]);
    const last = page[page.length - 1];
    return {
      items: page.map(({ interaction }) => ({
        ...interaction,
        participants: (byInteraction.get(interaction.id) ?? []).map(({ interactionId: _, ...p }) => p),
      })),
      nextCursor: rows.length > input.limit && last ? encodeCursor([last.key, last.interaction.id]) : null,
    };
  }

  async delete(workspaceId: string, interactionId: string, actor: Actor) {
    return this.deps.transaction(async (tx) => {
      const [deleted] = await tx
        .delete(interactions)
        .where(and(eq(interactions.id, interactionId), eq(interactions.workspaceId, workspaceId)))
        .returning({ id: interactions.id, contactId: interactions.contactId });
      if (!deleted) throw notFound("Interaction");
      await appendEvents(tx, [
        {
          type: "interaction.deleted",
          workspaceId,
          actorId: actor.actorId,
          payload: { interactionId, contactId: deleted.contactId },
        },
      ]);
      return { id: deleted.id };
    });
  }

  /**
   * Deletes, inside the importer's transaction, the interactions it imported from `externalIds`
   * of `source` (those `importedBy` stored), each with its `interaction.deleted` event as
   * `delete` does. Returns the contacts that took part, whose figures change.
   */
  async deleteImported(
    tx: Tx,
    workspaceId: string,
    source: InteractionSource,
    externalIds: string[],
    importedBy: string,
  ): Promise<{ deleted: number; contactIds: string[] }> {
    if (externalIds.length === 0) return { deleted: 0, contactIds: [] };
    const mine = and(
      eq(interactions.workspaceId, workspaceId),
      eq(interactions.source, source),
      inArray(interactions.externalId, [...new Set(externalIds)]),
      eq(interactions.createdBy, importedBy),
    );
    const participants = await tx
      .selectDistinct({ contactId: interactionParticipants.contactId })
      .from(interactionParticipants)
      .innerJoin(interactions, eq(interactions.id, interactionParticipants.interactionId))
      .where(mine);
    const deleted = await tx
      .delete(interactions)
      .where(mine)
      .returning({ id: interactions.id, contactId: interactions.contactId });
    if (deleted.length === 0) return { deleted: 0, contactIds: [] };
    await appendEvents(
      tx,
      deleted.map((row) => ({
        type: "interaction.deleted" as const,
        workspaceId,
        actorId: importedBy,
        payload: { interactionId: row.id, contactId: row.contactId },
      })),
    );
    const contactIds = new Set(deleted.map((row) => row.contactId));
    for (const row of participants) if (row.contactId) contactIds.add(row.contactId);
    return { deleted: deleted.length, contactIds: [...contactIds] };
  }

  /**
   * The primary contact always takes part. Listed contacts must belong to the
   * workspace; listed addresses are linked to a live contact when one has it.
   */
  private async resolveParticipants(
    tx: Tx,
    workspaceId: string,
    input: CreateInteractionInput,
  ): Promise<ParticipantDraft[]> {
    let drafts: ParticipantDraft[] = input.participants.map((p) => ({
      contactId: p.contactId ?? null,
      email: p.email ?? null,
      displayName: p.displayName ?? null,
      role: p.role,
    }));
    const contactIds = [...new Set(drafts.flatMap((p) => (p.contactId ? [p.contactId] : [])))];
    if (contactIds.length > 0) {
      const found = await tx
        .select({ id: contacts.id })
        .from(contacts)
        .where(
          and(eq(contacts.workspaceId, workspaceId), inArray(contacts.id, contactIds), isNull(contacts.deletedAt)),
        );
      const known = new Set(found.map((row) => row.id));
      const badIndex = drafts.findIndex((p) => p.contactId && !known.has(p.contactId));
      if (badIndex >= 0) throw badRequest("not a contact of this workspace", ["participants", badIndex, "contactId"]);
    }
    const unlinkedEmails = [...new Set(drafts.flatMap((p) => (!p.contactId && p.email ? [p.email] : [])))];
    // GDPR: an erased person (suppression list) is not re-recorded: their address and name are dropped.
    const suppressed = await suppressedAddresses(
      tx,
      this.deps.config.GDPR_SUPPRESSION_KEY,
      workspaceId,
      unlinkedEmails,
    );
    if (suppressed.size > 0) drafts = drafts.filter((d) => d.contactId || !d.email || !suppressed.has(d.email));
    if (unlinkedEmails.length > 0) {
      const matches = await tx
        .select({ id: contacts.id, email: contacts.email })
        .from(contacts)
        .where(
          and(
            eq(contacts.workspaceId, workspaceId),
            isNull(contacts.deletedAt),
            inArray(sql`lower(${contacts.email})`, unlinkedEmails),
          ),
        );
      const byEmail = new Map(matches.map((m) => [m.email!.toLowerCase(), m.id]));
      for (const draft of drafts)
        if (!draft.contactId && draft.email) draft.contactId = byEmail.get(draft.email) ?? null;
    }
    if (!drafts.some((p) => p.contactId === input.contactId)) {
      drafts.unshift({ contactId: input.contactId, email: null, displayName: null, role: "participant" });
    }
    // One row per person: the first mention wins.
    const seen = new Set<string>();
    return drafts.filter((p) => {
      const key = p.contactId ? `c:${p.contactId}` : `e:${p.email}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
}
