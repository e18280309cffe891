import { interactionParticipants, interactions, type Tx } from "@rapport/db";
import { and, asc, count, eq, inArray, isNotNull, or, sql, type SQL } from "drizzle-orm";
import { countOf, keyset, tableRecords, toJson } from "../../platform/privacy/export-sources";
import type { PrivacyHandler } from "../../platform/privacy/registry";
import { ownedOrCreatedBy } from "../workspaces/public";

/** The exported columns of an interaction, in file order. */
const interactionColumns = {
  id: interactions.id,
  workspaceId: interactions.workspaceId,
  contactId: interactions.contactId,
  type: interactions.type,
  direction: interactions.direction,
  occurredAt: interactions.occurredAt,
  subject: interactions.subject,
  summary: interactions.summary,
  source: interactions.source,
  externalId: interactions.externalId,
  createdBy: interactions.createdBy,
  createdAt: interactions.createdAt,
};

/**
 * GDPR: interactions with a contact and participant rows naming them.
 * Erasure keeps type, direction and date (aggregates keep counting) and clears
 * the content and the addresses/names. Exports: interactions.json, for a user the
 * interactions of the workspaces they own and those they recorded elsewhere, for a
 * contact those with them or naming them as a participant (participants included).
 */
export const interactionsPrivacy: PrivacyHandler = {
  module: "interactions",
  erases: [
    "interactions.subject",
    "interactions.summary",
    // Derived from the subject and summary by the database: emptied when they are cleared.
    "interactions.search_doc",
    "interaction_participants.email",
    "interaction_participants.display_name",
  ],
  exportUser: (userId) => [
    {
      section: "interactions",
      file: "interactions.json",
      holds:
        "the interactions (emails, meetings, calls, notes) of the workspaces you own and those you recorded elsewhere",
      purpose: "your relationship management: history, recommendations and analytics",
      categories: "communication metadata and content (subjects, summaries)",
      recipients: "the members of the workspace; Rapport as processor",
      retention: "as long as the contact they belong to",
      source:
        "entered by you or your team, imported from a file or calendar, or imported from your Gmail (see each record's `source`)",
      ...tableRecords(
        interactions,
        interactionColumns,
        ownedOrCreatedBy(userId, interactions.workspaceId, interactions.createdBy),
      ),
    },
  ],
  exportContact(workspaceId, contactId) {
    const namedIn = sql`${interactions.id} IN (SELECT ${interactionParticipants.interactionId} FROM ${interactionParticipants} WHERE ${interactionParticipants.workspaceId} = ${workspaceId} AND ${interactionParticipants.contactId} = ${contactId})`;
    const scope = and(eq(interactions.workspaceId, workspaceId), or(eq(interactions.contactId, contactId), namedIn))!;
    return [
      {
        section: "interactions",
        file: "interactions.json",
        holds:
          "interactions with you recorded by the workspace (emails, meetings, calls, notes), including those you took part in, with the participants listed under `participants`",
        purpose: "the workspace's relationship history, recommendations and analytics",
        categories: "communication metadata and content (subjects, summaries, participant addresses)",
        recipients: "the members of the workspace; Rapport as processor",
        retention: "as long as your contact record",
        source:
          "entered by the workspace's members, imported from a file or calendar, or imported from a connected Gmail account (see `source`)",
        count: (db) => countOf(db.select({ n: count() }).from(interactions).where(scope)),
        async *pages(db, size) {
          for await (const page of keyset(
            (after, limit) =>
              db
                .select(interactionColumns)
                .from(interactions)
                .where(after ? and(scope, after) : scope)
                .orderBy(asc(interactions.id))
                .limit(limit),
            interactions.id,
            (row) => row.id,
            size,
          )) {
            const participants = await db
              .select({
                interactionId: interactionParticipants.interactionId,
                contactId: interactionParticipants.contactId,
                email: interactionParticipants.email,
                displayName: interactionParticipants.displayName,
                role: interactionParticipants.role,
              })
              .from(interactionParticipants)
              .where(
                inArray(
                  interactionParticipants.interactionId,
                  page.map((row) => row.id),
                ),
              )
              .orderBy(asc(interactionParticipants.id));
            yield toJson(
              page.map((row) => ({
                ...row,
                participants: participants
                  .filter((p) => p.interactionId === row.id)
                  .map(({ interactionId: _, ...p }) => p),
              })),
            );
          }
        },
      },
    ];
  },
  async contactIdentity(tx, workspaceId, contactId) {
    // The addresses she was recorded under as a participant (a synced email's other address):
    // once her contact row is anonymous they are the only record of them, and without their
    // suppression the next sync would record her again under them.
    const rows = await tx
      .selectDistinct({ email: sql<string>`lower(${interactionParticipants.email})` })
      .from(interactionParticipants)
      .where(
        and(
          eq(interactionParticipants.workspaceId, workspaceId),
          eq(interactionParticipants.contactId, contactId),
          isNotNull(interactionParticipants.email),
        ),
      );
    const emails = rows.map((row) => row.email);
    return { emails, terms: emails };
  },
  async eraseContact(tx: Tx, workspaceId, contactId, ctx) {
    await tx
      .update(interactions)
      .set({ subject: null, summary: null })
      .where(and(eq(interactions.workspaceId, workspaceId), eq(interactions.contactId, contactId)));
    // Free text elsewhere in the workspace that names the person (e.g. a meeting with them logged on another contact).
    // One pass over the workspace's interactions for all terms, each as whole words.
    const exact = [...new Set((ctx.terms ?? []).map((t) => t.trim().toLowerCase()).filter((t) => t.length > 0))];
    const needles = exact.filter((t) => t.length >= 3);
    if (needles.length > 0) {
      await tx
        .update(interactions)
        .set({ subject: null, summary: null })
        .where(
          and(
            eq(interactions.workspaceId, workspaceId),
            namedIn(sql`lower(concat_ws(' ', ${interactions.subject}, ${interactions.summary}))`, needles),
          ),
        );
    }
    const addresses = ctx.addresses ?? [];
    const byAddress =
      addresses.length > 0 ? inArray(sql`lower(${interactionParticipants.email})`, addresses) : sql`false`;
    const hers = and(
      eq(interactionParticipants.workspaceId, workspaceId),
      or(eq(interactionParticipants.contactId, contactId), byAddress),
    )!;
    // Rows that named her only by address are linked to the (now anonymous) contact below, and an
    // interaction has at most one row per contact: where she already has a row (or an earlier row by
    // address), the extra address rows go.
    if (addresses.length > 0) {
      const hersByAddress = (alias: string) =>
        sql`lower(${sql.raw(alias)}.email) IN (${sql.join(
          addresses.map((a) => sql`${a}`),
          sql`, `,
        )})`;
      await tx.execute(sql`
        DELETE FROM ${interactionParticipants} p
        WHERE p.workspace_id = ${workspaceId} AND p.contact_id IS DISTINCT FROM ${contactId}::uuid AND ${hersByAddress("p")}
          AND EXISTS (
            SELECT 1 FROM ${interactionParticipants} q
            WHERE q.interaction_id = p.interaction_id AND q.id <> p.id
              AND (q.contact_id = ${contactId}::uuid OR (q.id < p.id AND ${hersByAddress("q")})))`);
    }
    // The participants table requires a contact or an address, and the count stays.
    await tx.update(interactionParticipants).set({ email: null, displayName: null, contactId }).where(hers);
    // Her name (or address, phone) as the display name of a participant recorded under another address:
    // the name goes, the address (which is not known to be hers) stays.
    if (exact.length > 0) {
      await tx
        .update(interactionParticipants)
        .set({ displayName: null })
        .where(
          and(
            eq(interactionParticipants.workspaceId, workspaceId),
            or(
              inArray(sql`lower(trim(${interactionParticipants.displayName}))`, exact),
              needles.length > 0 ? namedIn(sql`lower(${interactionParticipants.displayName})`, needles) : undefined,
            ),
          ),
        );
    }
  },
};

/** A letter, digit or "_": what a word is made of, on either side of a name. */
const WORD_CHAR = /[\p{L}\p{N}_]/u;
/** What Postgres' regular expressions treat as an operator; escaped, each stands for itself. */
const REGEX_OPERATOR = /[\\^$.|?*+()[\]{}]/g;

/**
 * Patterns (Postgres regular expressions over lower-cased text) matching each needle as whole
 * words: where it starts or ends with a letter or digit, the text must not go on with another
 * there. Erasing "Ana" clears "Call with Ana" and leaves "banana"; a needle's own characters
 * are taken literally. Letters outside ASCII may count as a boundary in a C locale, which
 * errs towards clearing.
 */
function wordPatterns(needles: string[]): SQL[] {
  return needles.map((needle) => {
    const start = WORD_CHAR.test(needle.at(0) ?? "") ? "(^|[^[:alnum:]_])" : "";
    const end = WORD_CHAR.test(needle.at(-1) ?? "") ? "($|[^[:alnum:]_])" : "";
    return sql`${`${start}${needle.replace(REGEX_OPERATOR, (c) => `\\${c}`)}${end}`}`;
  });
}

/** `%needle%` LIKE patterns, wildcards escaped. */
function likePatterns(needles: string[]): SQL[] {
  return needles.map((n) => sql`${`%${n.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`);
}

/**
 * Whether lower-cased `text` names one of `needles` as whole words (see wordPatterns); the
 * LIKE, which any such text also matches, spares most rows the regular expressions.
 */
function namedIn(text: SQL, needles: string[]): SQL {
  return sql`(${text} LIKE ANY (ARRAY[${sql.join(likePatterns(needles), sql`, `)}]::text[])
    AND ${text} ~ ANY (ARRAY[${sql.join(wordPatterns(needles), sql`, `)}]::text[]))`;
}
