import { prefixTsQuery, WireDate } from "@rapport/core";
import { contacts, isoInstantText, queryRows, queryRowsPrepared, type Executor, type Tx } from "@rapport/db";
import {
  and,
  arrayContains,
  asc,
  desc,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  not,
  or,
  sql,
  type SQL,
} from "drizzle-orm";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { DomainError, badRequest, conflict, forbidden, isUniqueViolation, notFound } from "../../errors";
import { appendEvents } from "../../platform/events/outbox";
import type { ServiceDeps } from "../../platform/deps";
import { recordAudit } from "../../platform/audit";
import { contactNotErased } from "../../platform/privacy/operations";
import { CONTACT_RESTRICTED_MESSAGE, contactRestricted } from "../../platform/privacy/restriction";
import { suppressedAddresses, suppressionHmacs, SUPPRESSED_MESSAGE } from "../../platform/privacy/suppression";
import type { Actor } from "../../platform/actor";
import {
  CONTACT_COUNT_BOUND,
  type ContactPatch,
  type CountContactsInput,
  type ListContactsInput,
  type NewContact,
} from "@rapport/core/schemas";

type ContactFilterInput = CountContactsInput & {
  updatedSince?: Date;
  /** Deleted at exactly this instant (a job's input carries it as its ISO text). */
  deletedAt?: Date | string;
};

/** A contact as the API shows it: every column but the search text the database derives. */
const { searchText: _searchText, searchDoc: _searchDoc, ...contactRow } = getTableColumns(contacts);
export type Contact = Omit<typeof contacts.$inferSelect, "searchText" | "searchDoc">;

const DAY_MS = 86_400_000;

interface BulkRowError {
  index: number;
  field: string;
  message: string;
  existingContactId?: string;
}

export class ContactService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * The hot path of the API, so one statement: the unique index decides
   * duplicates (ON CONFLICT … DO NOTHING) and the outbox row is written by the
   * same statement, which is atomic on its own. Only a conflict costs a second
   * query, to name the existing contact.
   */
  async create(workspaceId: string, input: NewContact, actor: Actor): Promise<Contact> {
    const row = toRow(workspaceId, input, actor.actorId, this.deps.clock.now());
    // GDPR: an erased person's address is on the suppression list (keyed HMAC);
    // the same statement refuses to re-create them.
    const suppression = row.email ? suppressionHmacs(this.deps.config.GDPR_SUPPRESSION_KEY, row.email) : [];
    // Prepared (once per connection): its text is the same on every call, only parameters vary.
    const [inserted] = await queryRowsPrepared<
      ContactRow & {
        event_tx_id: string;
        event_id: string | number;
        event_payload: Record<string, unknown> | string;
        event_created_at: Date | string;
      }
    >(
      this.deps.db,
      sql`WITH inserted AS (
            INSERT INTO contacts (workspace_id, email, name, company, title, phone, tags, source, created_by, created_at, updated_at)
            SELECT ${row.workspaceId}::uuid, ${row.email}, ${row.name}, ${row.company}, ${row.title}, ${row.phone},
                    ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(row.tags)}::jsonb)), ${row.source}, ${row.createdBy}::uuid,
                    ${row.createdAt.toISOString()}::timestamptz, ${row.updatedAt.toISOString()}::timestamptz
            WHERE NOT EXISTS (SELECT 1 FROM gdpr_suppressions WHERE workspace_id = ${row.workspaceId}::uuid
                              AND address_hmac IN (SELECT jsonb_array_elements_text(${JSON.stringify(suppression)}::jsonb)))
            ON CONFLICT (workspace_id, lower(email)) WHERE email IS NOT NULL AND deleted_at IS NULL DO NOTHING
            -- Not the search columns: the whole search text and document would be read back for nothing.
            RETURNING id, workspace_id, email, name, company, title, phone, tags, source, created_by, created_at, updated_at, deleted_at
          ), event AS (
            INSERT INTO domain_events (workspace_id, actor_id, type, payload)
            SELECT workspace_id, ${actor.actorId}, 'contact.created', jsonb_build_object('contactId', id, 'source', source) FROM inserted
            RETURNING id, payload, created_at
          )
          SELECT inserted.*, pg_current_xact_id()::text AS event_tx_id, event.id AS event_id,
                 event.payload AS event_payload, event.created_at AS event_created_at
          FROM inserted, event`,
    );
    if (!inserted) {
      if (
        (await suppressedAddresses(this.deps.db, this.deps.config.GDPR_SUPPRESSION_KEY, workspaceId, [row.email!]))
          .size > 0
      ) {
        throw conflict(SUPPRESSED_MESSAGE, { field: "email", reason: "erased" });
      }
      await this.assertEmailFree(this.deps.db, workspaceId, input.email!);
      throw conflict("A contact with this email already exists in this workspace.", { field: "email" });
    }
    this.deps.eventsCommitted({
      txId: inserted.event_tx_id,
      events: [
        {
          id: Number(inserted.event_id),
          workspaceId,
          type: "contact.created",
          detail: {
            actorId: actor.actorId,
            payload:
              typeof inserted.event_payload === "string"
                ? (JSON.parse(inserted.event_payload) as Record<string, unknown>)
                : inserted.event_payload,
            createdAt: new Date(inserted.event_created_at),
          },
        },
      ],
    });
    return toContact(inserted);
  }

  /**
   * All-or-nothing import. Every row is checked first (duplicates inside the
   * batch and against live contacts); any problem rejects the whole batch with
   * the list of offending rows, and nothing is written.
   */
  async bulkCreate(workspaceId: string, rows: NewContact[], actor: Actor) {
    const now = this.deps.clock.now();
    const errors: BulkRowError[] = [];
    const firstIndexByEmail = new Map<string, number>();
    rows.forEach((row, index) => {
      if (!row.email) return;
      const first = firstIndexByEmail.get(row.email);
      if (first !== undefined) {
        errors.push({ index, field: "email", message: `duplicates the email of row ${first}` });
      } else {
        firstIndexByEmail.set(row.email, index);
      }
    });
    return this.deps.transaction(async (tx) => {
      const emails = [...firstIndexByEmail.keys()];
      if (emails.length > 0) {
        const existing = await tx
          .select({ id: contacts.id, email: contacts.email })
          .from(contacts)
          .where(
            and(
              eq(contacts.workspaceId, workspaceId),
              isNull(contacts.deletedAt),
              inArray(sql`lower(${contacts.email})`, emails),
            ),
          );
        for (const match of existing) {
          const index = firstIndexByEmail.get(match.email!.toLowerCase())!;
          errors.push({
            index,
            field: "email",
            message: "a contact with this email already exists",
            existingContactId: match.id,
          });
        }
      }
      // GDPR: rows for erased people (suppression list) are skipped, not imported.
      const suppressed = await suppressedAddresses(tx, this.deps.config.GDPR_SUPPRESSION_KEY, workspaceId, emails);
      const accepted = suppressed.size > 0 ? rows.filter((row) => !row.email || !suppressed.has(row.email)) : rows;
      if (errors.length > 0) {
        errors.sort((a, b) => a.index - b.index);
        throw new DomainError(
          "CONFLICT",
          `${errors.length} row(s) conflict with existing contacts or each other; nothing was imported`,
          {
            rows: errors,
          },
        );
      }
      const inserted =
        accepted.length === 0
          ? []
          : await guardUniqueEmail(() =>
              tx
                .insert(contacts)
                .values(accepted.map((row) => toRow(workspaceId, row, actor.actorId, now)))
                .returning({ id: contacts.id, source: contacts.source }),
            );
      await appendEvents(
        tx,
        inserted.map((row) => ({
          type: "contact.created" as const,
          workspaceId,
          actorId: actor.actorId,
          payload: { contactId: row.id, source: row.source },
        })),
      );
      return {
        created: inserted.length,
        ids: inserted.map((row) => row.id),
        skippedErased: rows.length - accepted.length,
      };
    });
  }

  /**
   * The people a mailbox import met, as contacts, inside the importer's transaction: each
   * address becomes one live contact (found case-insensitively, or created with `source`).
   * A contact's name is filled in only while it is still the address it was created with,
   * never over a name someone typed. Erased people (suppression list) are not re-created;
   * restricted contacts (GDPR Art. 18) are neither updated nor returned, so nothing new is
   * linked to them.
   */
  async importPeople(
    tx: Tx,
    workspaceId: string,
    people: { email: string; displayName: string | null }[],
    source: "gmail" | "import",
    actorId: string,
  ): Promise<{ contactIds: Map<string, string>; created: number; updated: number }> {
    const byEmail = new Map<string, string | null>();
    for (const person of people) {
      const email = person.email.toLowerCase();
      const displayName = person.displayName?.slice(0, 200) || null;
      if (!byEmail.has(email) || (byEmail.get(email) === null && displayName)) byEmail.set(email, displayName);
    }
    const contactIds = new Map<string, string>();
    if (byEmail.size === 0) return { contactIds, created: 0, updated: 0 };
    const suppressed = await suppressedAddresses(tx, this.deps.config.GDPR_SUPPRESSION_KEY, workspaceId, [
      ...byEmail.keys(),
    ]);
    for (const email of suppressed) byEmail.delete(email);
    const now = this.deps.clock.now();
    // One statement for the whole batch: who exists (and is restricted), the missing ones
    // created, and a name filled in where the contact still shows only its address — never a
    // name a user typed, never a restricted contact (GDPR Art. 18: not updated).
    const input = JSON.stringify([...byEmail].map(([email, name]) => ({ email, name })));
    const at = now.toISOString();
    const rows = await queryRows<{ kind: "created" | "existing" | "renamed"; id: string; email: string | null }>(
      tx,
      sql`
      WITH input AS (
        SELECT email, name FROM jsonb_to_recordset(${input}::jsonb) AS t(email text, name text)
      ),
      existing AS (
        SELECT c.id, lower(c.email) AS email, c.name,
               ${contactRestricted(sql`c.id`)} AS restricted
        FROM contacts c
        WHERE c.workspace_id = ${workspaceId}::uuid AND c.deleted_at IS NULL AND c.email IS NOT NULL
          AND lower(c.email) IN (SELECT email FROM input)
      ),
      inserted AS (
        INSERT INTO contacts (workspace_id, email, name, tags, source, created_by, created_at, updated_at)
        SELECT ${workspaceId}::uuid, i.email, coalesce(i.name, i.email), '{}', ${source}::text, ${actorId}::uuid,
               ${at}::timestamptz, ${at}::timestamptz
        FROM input i WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.email = i.email)
        -- A concurrent import may have created some of them since: those are read below.
        ON CONFLICT DO NOTHING
        RETURNING id, lower(email) AS email
      ),
      renamed AS (
        UPDATE contacts c SET name = i.name, updated_at = ${at}::timestamptz
        FROM existing e JOIN input i ON i.email = e.email
        WHERE c.id = e.id AND NOT e.restricted AND i.name IS NOT NULL AND lower(e.name) = e.email
        RETURNING c.id
      )
      SELECT 'created' AS kind, id, email FROM inserted
      UNION ALL SELECT 'existing', id, email FROM existing WHERE NOT restricted
      UNION ALL SELECT 'renamed', id, NULL FROM renamed
    `,
    );
    const inserted: { id: string }[] = [];
    const renamed: string[] = [];
    const restrictedOrRaced = new Set(byEmail.keys());
    for (const row of rows) {
      if (row.kind === "renamed") renamed.push(row.id);
      else {
        contactIds.set(row.email!, row.id);
        restrictedOrRaced.delete(row.email!);
        if (row.kind === "created") inserted.push({ id: row.id });
      }
    }
    // Created by a concurrent import between this statement's snapshot and its insert (rare).
    if (restrictedOrRaced.size > 0) {
      const raced = await tx
        .select({ id: contacts.id, email: contacts.email })
        .from(contacts)
        .where(
          and(
            eq(contacts.workspaceId, workspaceId),
            isNull(contacts.deletedAt),
            inArray(sql`lower(${contacts.email})`, [...restrictedOrRaced]),
            not(contactRestricted(contacts.id)),
          ),
        );
      for (const row of raced) contactIds.set(row.email!.toLowerCase(), row.id);
    }
    await appendEvents(tx, [
      ...inserted.map((row) => ({
        type: "contact.created" as const,
        workspaceId,
        actorId,
        payload: { contactId: row.id, source },
      })),
      ...renamed.map((contactId) => ({
        type: "contact.updated" as const,
        workspaceId,
        actorId,
        payload: { contactId, fields: ["name"] },
      })),
    ]);
    return { contactIds, created: inserted.length, updated: renamed.length };
  }

  async get(workspaceId: string, contactId: string, includeDeleted = false): Promise<Contact> {
    const [contact] = await this.deps.db
      .select(contactRow)
      .from(contacts)
      .where(
        and(
          eq(contacts.workspaceId, workspaceId),
          eq(contacts.id, contactId),
          includeDeleted ? undefined : isNull(contacts.deletedAt),
        ),
      );
    if (!contact) throw notFound("Contact");
    return contact;
  }

  /**
   * GDPR Art. 18: altering a restricted contact is processing, so the edit is refused (FORBIDDEN)
   * until an admin lifts the restriction. It is decided first, read with the locked row, so a
   * restricted contact's edit is refused as such whatever else is wrong with it (a taken or erased
   * email); the UPDATE checks it again as the backstop: the row is locked, so an UPDATE that finds
   * nothing found a restriction committed since, and none can commit between that check and the
   * write. An edit that changes nothing (refused too if restricted) writes nothing and answers
   * the contact as it is.
   */
  async update(workspaceId: string, contactId: string, patch: ContactPatch, actor: Actor): Promise<Contact> {
    const restrictedError = () =>
      forbidden(CONTACT_RESTRICTED_MESSAGE, { reason: "restricted", contactIds: [contactId] });
    return this.deps.transaction(async (tx) => {
      const [locked] = await tx
        .select({ ...contactRow, restricted: sql<boolean>`${contactRestricted(contacts.id)}` })
        .from(contacts)
        .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId), isNull(contacts.deletedAt)))
        .for("update");
      if (!locked) throw notFound("Contact");
      const { restricted, ...current } = locked;
      if (restricted) throw restrictedError();
      // GDPR: an erased person's address cannot come back through an edit either.
      if (
        patch.email &&
        (await suppressedAddresses(tx, this.deps.config.GDPR_SUPPRESSION_KEY, workspaceId, [patch.email])).size > 0
      ) {
        throw conflict(SUPPRESSED_MESSAGE, { field: "email", reason: "erased" });
      }
      const changes: Partial<Contact> = {};
      for (const [field, value] of Object.entries(patch) as [keyof ContactPatch, unknown][]) {
        if (value === undefined) continue;
        const next = value ?? null;
        if (JSON.stringify(current[field] ?? null) !== JSON.stringify(next))
          (changes as Record<string, unknown>)[field] = next;
      }
      const fields = Object.keys(changes);
      if (fields.length === 0) return current;
      if (changes.email) await this.assertEmailFree(tx, workspaceId, changes.email, contactId);
      const [updated] = await guardUniqueEmail(() =>
        tx
          .update(contacts)
          .set({ ...changes, updatedAt: this.deps.clock.now() })
          .where(and(eq(contacts.id, contactId), not(contactRestricted(contacts.id))))
          .returning(contactRow),
      );
      if (!updated) throw restrictedError();
      await appendEvents(tx, [
        { type: "contact.updated", workspaceId, actorId: actor.actorId, payload: { contactId, fields } },
      ]);
      return updated;
    });
  }

  async softDelete(workspaceId: string, contactIds: string[], actor: Actor) {
    const now = this.deps.clock.now();
    return this.deps.transaction(async (tx) => {
      const deleted = await tx
        .update(contacts)
        .set({ deletedAt: now, updatedAt: now })
        .where(and(eq(contacts.workspaceId, workspaceId), inArray(contacts.id, contactIds), isNull(contacts.deletedAt)))
        .returning({ id: contacts.id });
      if (deleted.length === 0) throw notFound("Contact");
      await appendEvents(
        tx,
        deleted.map((row) => ({
          type: "contact.deleted" as const,
          workspaceId,
          actorId: actor.actorId,
          payload: { contactId: row.id },
        })),
      );
      return {
        deletedIds: deleted.map((row) => row.id),
        deletedAt: now,
        restorableUntil: new Date(now.getTime() + this.deps.config.SOFT_DELETE_RETENTION_DAYS * DAY_MS),
      };
    });
  }

  async restore(workspaceId: string, contactId: string, actor: Actor): Promise<Contact> {
    const now = this.deps.clock.now();
    const cutoff = new Date(now.getTime() - this.deps.config.SOFT_DELETE_RETENTION_DAYS * DAY_MS);
    return this.deps.transaction(async (tx) => {
      const [current] = await tx
        .select(contactRow)
        .from(contacts)
        .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)))
        .for("update");
      if (!current) throw notFound("Contact");
      if (!current.deletedAt) throw conflict("This contact is not deleted.", { contactId });
      if (current.deletedAt < cutoff) {
        throw notFound(`Contact (deleted more than ${this.deps.config.SOFT_DELETE_RETENTION_DAYS} days ago)`);
      }
      if (current.email) await this.assertEmailFree(tx, workspaceId, current.email, contactId);
      const [restored] = await tx
        .update(contacts)
        .set({ deletedAt: null, updatedAt: now })
        .where(eq(contacts.id, contactId))
        .returning(contactRow);
      await appendEvents(tx, [
        { type: "contact.restored", workspaceId, actorId: actor.actorId, payload: { contactId } },
      ]);
      return restored!;
    });
  }

  /**
   * The list's filters as SQL conditions (shared by the list, its count, its export and bulk
   * actions by filter). Erased contacts are never among them, as in search.
   */
  filterConditions(input: ContactFilterInput): (SQL | undefined)[] {
    const conditions: (SQL | undefined)[] = [
      eq(contacts.workspaceId, input.workspaceId),
      input.deleted ? isNotNull(contacts.deletedAt) : isNull(contacts.deletedAt),
      contactNotErased(contacts.id),
    ];
    if (input.tag) conditions.push(arrayContains(contacts.tags, [input.tag]));
    if (input.company) conditions.push(sql`lower(${contacts.company}) = ${input.company.toLowerCase()}`);
    if (input.source) conditions.push(eq(contacts.source, input.source));
    if (input.updatedSince) conditions.push(gte(contacts.updatedAt, input.updatedSince));
    if (input.deletedAt) {
      conditions.push(sql`${contacts.deletedAt} = ${new Date(input.deletedAt).toISOString()}::timestamptz`);
    }
    if (input.search) {
      // The search box's word rule (search's word step): every word of the query starts a
      // word of the contact's stored search document (name, the parts of its email, company,
      // title, phone digits, tags), case and accents folded. A query without letters or
      // digits has no words and matches nothing. The query is folded once per statement,
      // not per row (the list's statements are prepared; see search's tsQueryOnce).
      const words = prefixTsQuery(input.search);
      conditions.push(
        words ? sql`${contacts.searchDoc} @@ (SELECT to_tsquery('simple', search_fold(${words})))` : sql`false`,
      );
    }
    return conditions;
  }

  /**
   * How many contacts the list's filters select: exact up to `CONTACT_COUNT_BOUND`, beyond
   * which counting would read every matching row for a number nobody reads digit by digit.
   */
  async count(input: CountContactsInput): Promise<{ count: number; exact: boolean }> {
    const [row] = await queryRows<{ n: number | string }>(
      this.deps.db,
      sql`SELECT count(*) AS n FROM (
            SELECT 1 FROM contacts WHERE ${and(...this.filterConditions(input))}
            LIMIT ${sql.raw(String(CONTACT_COUNT_BOUND + 1))}) bounded`,
    );
    const n = Number(row?.n ?? 0);
    return n > CONTACT_COUNT_BOUND ? { count: CONTACT_COUNT_BOUND, exact: false } : { count: n, exact: true };
  }

  async list(input: ListContactsInput) {
    const conditions = this.filterConditions(input);

    // Keyset pagination. Timestamp keys travel as Postgres text so the
    // microseconds survive the round trip (a JS Date would drop them).
    const order = listOrder(input.sort);
    let cursor: [string, string] | undefined;
    if (input.cursor) {
      const decoded = decodeCursor(input.cursor, 2);
      if (!decoded || typeof decoded[0] !== "string" || typeof decoded[1] !== "string") {
        throw badRequest("cursor: invalid or from another query", ["cursor"]);
      }
      cursor = decoded as [string, string];
      if (!/^[0-9a-f-]{36}$/i.test(cursor[1])) throw badRequest("cursor: invalid", ["cursor"]);
    }
    // Plain SQL rather than the query builder, prepared: building the select and
    // mapping its rows cost about as much of the server's CPU as the rest of the
    // request, and parsing and planning the statement each time most of the
    // database's (measured for bench:api). The dates come as the text JSON will
    // carry (WireDate): formatting them here is cheaper for Postgres than its own
    // timestamptz output, and spares Node parsing them and calling toISOString
    // for each while writing the page.
    // The limit is part of the statement's text, not a parameter: behind `LIMIT $n`
    // Postgres prices a generic plan as if it read a tenth of the table, so it planned
    // every execution afresh (custom plans only) and preparing saved nothing. A few
    // page sizes are a few prepared statements per connection.
    const fetchLimit = input.limit + 1;
    if (!Number.isSafeInteger(fetchLimit)) throw badRequest("limit: must be an integer", ["limit"]);
    // Most orders are one index walk, so one statement; an order whose rows are two runs of
    // its index (see listOrder) reads the second run only when the first ends on this page.
    const rows: ContactListRow[] = [];
    const ids = new Set<string>();
    for (const range of order.ranges(cursor)) {
      const run = await queryRowsPrepared<ContactListRow>(
        this.deps.db,
        sql`SELECT id, workspace_id, email, name, company, title, phone, tags, source, created_by,
                     ${isoInstantText(contacts.createdAt)} AS created_at_iso, ${isoInstantText(contacts.updatedAt)} AS updated_at_iso,
                     ${isoInstantText(contacts.deletedAt)} AS deleted_at_iso, ${order.key} AS sort_key
              FROM contacts
              WHERE ${and(...conditions, range)}
              ORDER BY ${sql.join(order.orderBy, sql`, `)}
              LIMIT ${sql.raw(String(fetchLimit))}`,
      );
      // Each run is its own statement: a contact whose value became empty between them is in both.
      for (const row of run) {
        if (ids.has(row.id)) continue;
        ids.add(row.id);
        rows.push(row);
      }
      if (rows.length > input.limit) break;
    }
    const page = rows.slice(0, input.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toListedContact),
      nextCursor: rows.length > input.limit && last ? encodeCursor([last.sort_key, last.id]) : null,
    };
  }

  /** Hard-deletes contacts soft-deleted longer ago than the retention period. */
  async purgeExpired(batchSize = 1_000): Promise<{ purged: number }> {
    const cutoff = new Date(this.deps.clock.now().getTime() - this.deps.config.SOFT_DELETE_RETENTION_DAYS * DAY_MS);
    let purged = 0;
    while (true) {
      const count = await this.deps.transaction(async (tx) => {
        const victims = await tx
          .select({ id: contacts.id, workspaceId: contacts.workspaceId })
          .from(contacts)
          .where(and(isNotNull(contacts.deletedAt), lt(contacts.deletedAt, cutoff)))
          .limit(batchSize)
          .for("update", { skipLocked: true });
        if (victims.length === 0) return 0;
        await tx.delete(contacts).where(
          inArray(
            contacts.id,
            victims.map((v) => v.id),
          ),
        );
        await appendEvents(
          tx,
          victims.map((v) => ({
            type: "contact.purged" as const,
            workspaceId: v.workspaceId,
            actorId: null,
            payload: { contactId: v.id },
          })),
        );
        for (const v of victims) {
          await recordAudit(tx, {
            action: "contact.purged",
            workspaceId: v.workspaceId,
            targetType: "contact",
            targetId: v.id,
            metadata: { reason: "retention" },
          });
        }
        return victims.length;
      });
      purged += count;
      if (count < batchSize) return { purged };
    }
  }

  private async assertEmailFree(tx: Executor, workspaceId: string, email: string, exceptId?: string) {
    const [existing] = await tx
      .select({ id: contacts.id })
      .from(contacts)
      .where(
        and(
          eq(contacts.workspaceId, workspaceId),
          isNull(contacts.deletedAt),
          sql`lower(${contacts.email}) = ${email.toLowerCase()}`,
          exceptId ? sql`${contacts.id} <> ${exceptId}` : undefined,
        ),
      );
    if (existing) {
      throw conflict("A contact with this email already exists in this workspace.", {
        existingContactId: existing.id,
        field: "email",
      });
    }
  }
}

/**
 * A list order: the key a page's last row leaves in its cursor (text), the ORDER BY, and
 * the ranges of rows a page reads, in turn, after a cursor (or from the start): each is one
 * statement's extra condition, and the next is read only while the page is not full. Every
 * order has a live-rows index (workspace_id first) that each range walks in its ORDER BY
 * without sorting: 0001 for name and the dates, 0030 for email and company.
 */
function listOrder(sort: ListContactsInput["sort"]): {
  key: SQL<string>;
  orderBy: SQL[];
  ranges: (cursor: [key: string, id: string] | undefined) => (SQL | undefined)[];
} {
  const [column, reversed] = sort.split("_") as [string, string | undefined];
  if (column === "name") {
    const name = sql`lower(${contacts.name})`;
    return reversed
      ? {
          key: sql<string>`lower(${contacts.name})`,
          orderBy: [desc(name), desc(contacts.id)],
          ranges: (cursor) => [cursor && or(lt(name, cursor[0]), and(eq(name, cursor[0]), lt(contacts.id, cursor[1])))],
        }
      : {
          key: sql<string>`lower(${contacts.name})`,
          orderBy: [asc(name), asc(contacts.id)],
          ranges: (cursor) => [cursor && or(gt(name, cursor[0]), and(eq(name, cursor[0]), gt(contacts.id, cursor[1])))],
        };
  }
  if (column === "email" || column === "company") {
    // Empty ones last in both directions: the key is "0:" or "1:" (empty) before the text.
    // The index (0030) is (workspace_id, empty, text, id), the A–Z order, walked forward in
    // one range. Z–A keeps the empty ones last, so it is not that walk backward: it is the
    // non-empty run backward, then the empty run backward (text is '' throughout it, so
    // by id). Postgres walks an expression index only for the same expressions, so these
    // and 0030's change together.
    const field = column === "email" ? contacts.email : contacts.company;
    const empty = sql`(CASE WHEN coalesce(${field}, '') = '' THEN 1 ELSE 0 END)`;
    const text = sql`lower(coalesce(${field}, ''))`;
    const split = (key: string) => [key.startsWith("1:") ? 1 : 0, key.slice(2)] as const;
    if (!reversed) {
      return {
        key: sql<string>`${empty}::text || ':' || ${text}`,
        orderBy: [asc(empty), asc(text), asc(contacts.id)],
        ranges: (cursor) => {
          if (!cursor) return [undefined];
          const [flag, rest] = split(cursor[0]);
          return [sql`(${empty}, ${text}, ${contacts.id}) > (${flag}, ${rest}, ${cursor[1]}::uuid)`];
        },
      };
    }
    const emptyRun = sql`${empty} = 1 AND ${text} = ''`;
    return {
      key: sql<string>`${empty}::text || ':' || ${text}`,
      // Within one run the flag is constant, so this is the index's order backward.
      orderBy: [asc(empty), desc(text), desc(contacts.id)],
      ranges: (cursor) => {
        if (!cursor) return [sql`${empty} = 0`, emptyRun];
        const [flag, rest] = split(cursor[0]);
        if (flag === 1) return [sql`${emptyRun} AND ${contacts.id} < ${cursor[1]}::uuid`];
        return [sql`${empty} = 0 AND (${text}, ${contacts.id}) < (${rest}, ${cursor[1]}::uuid)`, emptyRun];
      },
    };
  }
  const field = column === "created" ? contacts.createdAt : contacts.updatedAt;
  // The bound as sub-selects: Postgres cannot estimate them for one execution
  // either, so a generic plan (the same index scan) prices no worse than a custom
  // one and the prepared statement stops being re-planned on every page.
  return reversed
    ? {
        key: sql<string>`${field}::text`,
        orderBy: [asc(field), asc(contacts.id)],
        ranges: (cursor) => [
          cursor && sql`(${field}, ${contacts.id}) > ((SELECT ${cursor[0]}::timestamptz), (SELECT ${cursor[1]}::uuid))`,
        ],
      }
    : {
        key: sql<string>`${field}::text`,
        orderBy: [desc(field), desc(contacts.id)],
        ranges: (cursor) => [
          cursor && sql`(${field}, ${contacts.id}) < ((SELECT ${cursor[0]}::timestamptz), (SELECT ${cursor[1]}::uuid))`,
        ],
      };
}

/** The unique index is the final word when two writers race past assertEmailFree. */
async function guardUniqueEmail<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict("A contact with this email already exists in this workspace.", { field: "email" });
    throw error;
  }
}

/** The columns a contact row carries whatever way its dates are read. */
interface ContactColumns {
  id: string;
  workspace_id: string;
  email: string | null;
  name: string;
  company: string | null;
  title: string | null;
  phone: string | null;
  tags: string[];
  source: Contact["source"];
  created_by: string | null;
}

interface ContactRow extends ContactColumns {
  created_at: Date | string;
  updated_at: Date | string;
  deleted_at: Date | string | null;
}

/** A list row: Postgres writes the dates as the JSON text they are sent as. */
interface ContactListRow extends ContactColumns {
  created_at_iso: string;
  updated_at_iso: string;
  deleted_at_iso: string | null;
  sort_key: string;
}

function contactColumns(row: ContactColumns): Omit<Contact, "createdAt" | "updatedAt" | "deletedAt"> {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    email: row.email,
    name: row.name,
    company: row.company,
    title: row.title,
    phone: row.phone,
    tags: row.tags,
    source: row.source,
    createdBy: row.created_by,
  };
}

const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

function toContact(row: ContactRow): Contact {
  return {
    ...contactColumns(row),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    deletedAt: row.deleted_at === null ? null : toDate(row.deleted_at),
  };
}

function toListedContact(row: ContactListRow): Contact {
  return {
    ...contactColumns(row),
    createdAt: new WireDate(row.created_at_iso),
    updatedAt: new WireDate(row.updated_at_iso),
    deletedAt: row.deleted_at_iso === null ? null : new WireDate(row.deleted_at_iso),
  };
}

function toRow(workspaceId: string, input: NewContact, actorId: string, now: Date) {
  return {
    createdAt: now,
    updatedAt: now,
    workspaceId,
    email: input.email ?? null,
    name: input.name,
    company: input.company ?? null,
    title: input.title ?? null,
    phone: input.phone ?? null,
    tags: input.tags ?? [],
    source: input.source,
    createdBy: actorId,
  };
}
