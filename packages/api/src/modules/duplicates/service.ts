import { randomUUID } from "node:crypto";
import {
  companyMatchKey,
  emailMatchProbe,
  escapeLike,
  findDuplicatePairs,
  likelyDuplicates,
  MERGE_FIELDS,
  MERGE_UNDO_DAYS,
  planMerge,
  type DedupContact,
  type DuplicatePair,
  type DuplicateReason,
  type MergeableContact,
} from "@rapport/core";
import type { MergeContactsInput } from "@rapport/core/schemas";
import { contactMailboxMatches, queryRows, type Executor, type Tx } from "@rapport/db";
import { sql } from "drizzle-orm";
import { badRequest, conflict, forbidden, notFound } from "../../errors";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import type { Actor } from "../../platform/actor";
import { recordAudit } from "../../platform/audit";
import type { ServiceDeps } from "../../platform/deps";
import { appendEvents } from "../../platform/events/outbox";
import { phoneCountryOf } from "../../platform/phone-country";
import { CONTACT_RESTRICTED_MESSAGE, contactRestricted } from "../../platform/privacy/restriction";

export const SCAN_JOB = "duplicates.scan";
export const PURGE_MERGES_JOB = "duplicates.purge-merges";

/** At most this many pairs are kept from a scan (best first): more is a clean-up project, not a list. */
const MAX_STORED_PAIRS = 10_000;
const READ_PAGE = 10_000;
const WRITE_BATCH = 1_000;
const DAY_MS = 86_400_000;

/** A contact as the duplicates page and the merge preview show it. */
export interface DuplicateContact extends MergeableContact {
  id: string;
  createdAt: Date;
  interactionCount: number;
}

export interface DuplicatePairView {
  contacts: [DuplicateContact, DuplicateContact];
  score: number;
  reasons: DuplicateReason[];
  /** The one to keep by default: the one with more interactions, then the older. */
  suggestedSurvivorId: string;
}

/** What a merge would move to the survivor, counted. */
interface MergeCounts {
  interactions: number;
  participations: number;
  tasks: number;
  keepInTouch: number;
}

/** Every table with a column naming a contact, and how a merge treats it (a test compares this with the catalog). */
export const CONTACT_REFERENCES = [
  "interactions.contact_id",
  "interaction_participants.contact_id",
  "tasks.contact_id",
  "contact_reconnect.contact_id",
  "gmail_contact_stats.contact_id",
  "duplicate_candidates.contact_a_id",
  "duplicate_candidates.contact_b_id",
  "duplicate_dismissals.contact_a_id",
  "duplicate_dismissals.contact_b_id",
  "contact_merges.survivor_id",
  "contact_import_problems.contact_id",
] as const;

interface ContactRow {
  id: string;
  name: string;
  email: string | null;
  company: string | null;
  title: string | null;
  phone: string | null;
  tags: string[];
  created_at: Date | string;
  interaction_count?: number | string;
}

/** What an undo needs besides the two contacts' rows. */
interface Moved {
  interactions: string[];
  participants: string[];
  removedParticipants: unknown[];
  tasks: string[];
  reconnect: "moved" | null;
  removedReconnect: unknown[];
  gmailStats: "moved" | null;
  removedGmailStats: unknown[];
  dismissals: unknown[];
  merges: string[];
  /** Import report rows naming the merged contact as the existing one a row matched. */
  importProblems: unknown[];
  /** The last scan's pairs with the merged contact (they are proposed again after an undo). */
  candidates?: unknown[];
}

const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));
const pgArray = (ids: readonly string[]) => `{${ids.join(",")}}`;

function toContact(row: ContactRow): DuplicateContact {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    company: row.company,
    title: row.title,
    phone: row.phone,
    tags: row.tags,
    createdAt: toDate(row.created_at),
    interactionCount: Number(row.interaction_count ?? 0),
  };
}

const CONTACT_VIEW = sql`c.id, c.name, c.email, c.company, c.title, c.phone, c.tags, c.created_at,
  (SELECT count(*) FROM (SELECT p.interaction_id FROM interaction_participants p WHERE p.contact_id = c.id
                         UNION SELECT i.id FROM interactions i WHERE i.contact_id = c.id) t) AS interaction_count`;

export class DuplicatesService {
  private contactColumns: Promise<string[]> | null = null;

  constructor(private readonly deps: ServiceDeps) {}

  /** Queues a scan of the workspace; its progress is readable at once (`jobs.get`) by its members. */
  async startScan(workspaceId: string): Promise<{ jobId: string }> {
    const jobId = `dedup-${workspaceId}-${randomUUID()}`;
    const tracker = await this.deps.progress.begin(jobId, {
      kind: SCAN_JOB,
      scope: { workspaceId, minRole: "member" },
      stage: "queued",
    });
    try {
      await this.deps.queue.enqueue(SCAN_JOB, { workspaceId }, { jobId });
    } catch (error) {
      await tracker.fail("The scan could not be queued");
      throw error;
    }
    return { jobId };
  }

  /**
   * The scan: every live, unrestricted contact read a page at a time, compared in memory
   * (`findDuplicatePairs`), and the workspace's pairs replaced in one transaction, leaving out
   * those a member dismissed. Returns how many pairs it kept.
   */
  async scan(
    workspaceId: string,
    report: (progress: { stage: string; done: number; total: number | null }) => void = () => {},
  ): Promise<{ contacts: number; pairs: number }> {
    const [{ n } = { n: 0 }] = await queryRows<{ n: number | string }>(
      this.deps.db,
      sql`SELECT count(*) AS n FROM contacts WHERE workspace_id = ${workspaceId} AND deleted_at IS NULL`,
    );
    const total = Number(n);
    const contacts: DedupContact[] = [];
    let after = "00000000-0000-0000-0000-000000000000";
    report({ stage: "reading", done: 0, total });
    while (true) {
      const page = await queryRows<DedupContact>(
        this.deps.db,
        sql`SELECT id, name, email, phone, company FROM contacts c
            WHERE workspace_id = ${workspaceId} AND deleted_at IS NULL AND id > ${after}::uuid AND NOT ${contactRestricted(sql`c.id`)}
            ORDER BY id LIMIT ${READ_PAGE}`,
      );
      contacts.push(...page);
      report({ stage: "reading", done: contacts.length, total });
      if (page.length < READ_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    const pairs = findDuplicatePairs(contacts, {
      defaultCountry: await phoneCountryOf(this.deps.db, workspaceId),
      onProgress: (done, all) => report({ stage: "comparing", done, total: all }),
    });
    const now = this.deps.clock.now();
    const kept = await this.deps.transaction(async (tx) => {
      const dismissed = new Set(
        (
          await queryRows<{ a: string; b: string }>(
            tx,
            sql`SELECT contact_a_id AS a, contact_b_id AS b FROM duplicate_dismissals WHERE workspace_id = ${workspaceId}`,
          )
        ).map((row) => `${row.a}|${row.b}`),
      );
      const fresh = pairs
        .filter((pair) => !dismissed.has(`${pair.contactAId}|${pair.contactBId}`))
        .slice(0, MAX_STORED_PAIRS);
      await tx.execute(sql`DELETE FROM duplicate_candidates WHERE workspace_id = ${workspaceId}`);
      for (let i = 0; i < fresh.length; i += WRITE_BATCH) {
        await this.insertCandidates(tx, workspaceId, fresh.slice(i, i + WRITE_BATCH), now);
        report({ stage: "saving", done: Math.min(i + WRITE_BATCH, fresh.length), total: fresh.length });
      }
      return fresh.length;
    });
    return { contacts: contacts.length, pairs: kept };
  }

  private async insertCandidates(tx: Tx, workspaceId: string, pairs: DuplicatePair[], now: Date) {
    const rows = JSON.stringify(pairs.map((p) => ({ a: p.contactAId, b: p.contactBId, s: p.score, r: p.reasons })));
    // A contact deleted while the scan compared is skipped, not a failure.
    await tx.execute(sql`
      INSERT INTO duplicate_candidates (workspace_id, contact_a_id, contact_b_id, score, reasons, found_at)
      SELECT ${workspaceId}::uuid, t.a, t.b, t.s, t.r, ${now.toISOString()}::timestamptz
      FROM jsonb_to_recordset(${rows}::jsonb) AS t(a uuid, b uuid, s real, r jsonb)
      WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.id = t.a) AND EXISTS (SELECT 1 FROM contacts c WHERE c.id = t.b)
      ON CONFLICT DO NOTHING`);
  }

  /** The last scan's pairs that are still two live, unrestricted, undismissed contacts, best first. */
  async list(
    workspaceId: string,
    limit: number,
    cursor?: string | null,
  ): Promise<{ items: DuplicatePairView[]; nextCursor: string | null; scannedAt: Date | null }> {
    let after = sql``;
    if (cursor) {
      const decoded = decodeCursor(cursor, 3);
      const [score, a, b] = (decoded ?? []) as unknown[];
      if (typeof score !== "number" || typeof a !== "string" || typeof b !== "string" || !isUuid(a) || !isUuid(b))
        throw badRequest("cursor: invalid or from another query", ["cursor"]);
      after = sql`AND (d.score < ${score}::real OR (d.score = ${score}::real AND (d.contact_a_id, d.contact_b_id) > (${a}::uuid, ${b}::uuid)))`;
    }
    const rows = await queryRows<{ a: string; b: string; score: number; reasons: DuplicateReason[] | string }>(
      this.deps.db,
      sql`SELECT d.contact_a_id AS a, d.contact_b_id AS b, d.score, d.reasons
          FROM duplicate_candidates d
          JOIN contacts ca ON ca.id = d.contact_a_id AND ca.deleted_at IS NULL
          JOIN contacts cb ON cb.id = d.contact_b_id AND cb.deleted_at IS NULL
          WHERE d.workspace_id = ${workspaceId} ${after}
            AND NOT ${contactRestricted(sql`d.contact_a_id`)} AND NOT ${contactRestricted(sql`d.contact_b_id`)}
            AND NOT EXISTS (SELECT 1 FROM duplicate_dismissals x WHERE x.workspace_id = d.workspace_id
                              AND x.contact_a_id = d.contact_a_id AND x.contact_b_id = d.contact_b_id)
          ORDER BY d.score DESC, d.contact_a_id, d.contact_b_id
          LIMIT ${limit + 1}`,
    );
    const page = rows.slice(0, limit);
    const ids = [...new Set(page.flatMap((row) => [row.a, row.b]))];
    const contacts = await this.contactsById(this.deps.db, workspaceId, ids);
    const [scanned] = await queryRows<{ at: Date | string | null }>(
      this.deps.db,
      sql`SELECT max(found_at) AS at FROM duplicate_candidates WHERE workspace_id = ${workspaceId}`,
    );
    const last = page[page.length - 1];
    return {
      items: page.flatMap((row) => {
        const a = contacts.get(row.a);
        const b = contacts.get(row.b);
        if (!a || !b) return [];
        return [
          {
            contacts: [a, b] as [DuplicateContact, DuplicateContact],
            score: Number(row.score),
            reasons: typeof row.reasons === "string" ? (JSON.parse(row.reasons) as DuplicateReason[]) : row.reasons,
            suggestedSurvivorId: suggestSurvivor(a, b).id,
          },
        ];
      }),
      nextCursor: rows.length > limit && last ? encodeCursor([Number(last.score), last.a, last.b]) : null,
      scannedAt: scanned?.at ? toDate(scanned.at) : null,
    };
  }

  private async contactsById(db: Executor, workspaceId: string, ids: string[]): Promise<Map<string, DuplicateContact>> {
    if (ids.length === 0) return new Map();
    const rows = await queryRows<ContactRow>(
      db,
      sql`SELECT ${CONTACT_VIEW} FROM contacts c WHERE c.workspace_id = ${workspaceId} AND c.id = ANY(${pgArray(ids)}::uuid[])`,
    );
    return new Map(rows.map((row) => [row.id, toContact(row)]));
  }

  /**
   * The existing contacts a contact being typed into the form probably is ("looks like Ana
   * Lima at Acme"). The database narrows the workspace to a few hundred contacts sharing the
   * address's mailbox, the number's last digits or the company's first word; the rules in
   * `@rapport/core` decide.
   */
  async check(
    workspaceId: string,
    input: { name: string; email?: string | null; company?: string | null; phone?: string | null },
  ): Promise<{ matches: (DuplicateContact & { score: number; reasons: DuplicateReason[] })[] }> {
    const conditions = [];
    const emailProbe = input.email ? emailMatchProbe(input.email) : null;
    if (emailProbe) {
      // A superset of what the core rule matches (indexed, migration 0029).
      conditions.push(
        contactMailboxMatches(sql`c.email`, {
          domains: sql`${pgArray(emailProbe.domains)}::text[]`,
          mailbox: sql`${emailProbe.mailbox}`,
        }),
      );
    }
    const digits = input.phone?.replace(/\D/g, "") ?? "";
    if (digits.length >= 6) {
      conditions.push(sql`right(regexp_replace(c.phone, '[^0-9]', '', 'g'), 6) = ${digits.slice(-6)}`);
    }
    const companyWord = companyMatchKey(input.company ?? null)?.split(" ")[0];
    if (companyWord) {
      conditions.push(sql`search_fold(c.company) LIKE ${`${escapeLike(companyWord)}%`}`);
    }
    if (conditions.length === 0) return { matches: [] };
    const rows = await queryRows<DedupContact>(
      this.deps.db,
      sql`SELECT c.id, c.name, c.email, c.phone, c.company FROM contacts c
          WHERE c.workspace_id = ${workspaceId} AND c.deleted_at IS NULL AND NOT ${contactRestricted(sql`c.id`)}
            AND (${sql.join(conditions, sql` OR `)})
          LIMIT 500`,
    );
    const found = likelyDuplicates(
      {
        name: input.name,
        email: input.email ?? null,
        company: input.company ?? null,
        phone: input.phone ?? null,
      },
      rows,
      5,
      // Only a typed number is read with it: without one the check asks nothing more.
      input.phone ? await phoneCountryOf(this.deps.db, workspaceId) : undefined,
    );
    const contacts = await this.contactsById(
      this.deps.db,
      workspaceId,
      found.map((f) => f.contactId),
    );
    return {
      matches: found.flatMap((f) => {
        const contact = contacts.get(f.contactId);
        return contact ? [{ ...contact, score: f.score, reasons: f.reasons }] : [];
      }),
    };
  }

  /** "Not the same person": remembered; the pair leaves the list and is never proposed again. */
  async dismiss(workspaceId: string, contactIds: [string, string], actor: Actor): Promise<{ dismissed: true }> {
    const [a, b] = [...contactIds].sort() as [string, string];
    await this.deps.transaction(async (tx) => {
      const found = await queryRows<{ id: string }>(
        tx,
        sql`SELECT id FROM contacts WHERE workspace_id = ${workspaceId} AND id IN (${a}::uuid, ${b}::uuid)`,
      );
      if (found.length < 2) throw notFound("Contact");
      await tx.execute(sql`
        INSERT INTO duplicate_dismissals (workspace_id, contact_a_id, contact_b_id, dismissed_by, dismissed_at)
        VALUES (${workspaceId}, ${a}, ${b}, ${actor.actorId}, ${this.deps.clock.now().toISOString()}::timestamptz)
        ON CONFLICT DO NOTHING`);
      await tx.execute(sql`DELETE FROM duplicate_candidates
        WHERE workspace_id = ${workspaceId} AND contact_a_id = ${a} AND contact_b_id = ${b}`);
    });
    return { dismissed: true };
  }

  /** What `merge` would do, changing nothing: the values field by field and what moves. */
  async previewMerge(input: MergeContactsInput) {
    return this.deps.transaction(async (tx) => {
      const { survivor, merged } = await this.lockPair(tx, input, false);
      const plan = planMerge(mergeable(survivor), mergeable(merged), input.choices ?? {});
      const [counts] = await queryRows<Record<keyof MergeCounts, number | string>>(
        tx,
        sql`SELECT
          (SELECT count(*) FROM interactions WHERE contact_id = ${merged.id}) AS interactions,
          (SELECT count(*) FROM interaction_participants WHERE contact_id = ${merged.id}) AS participations,
          (SELECT count(*) FROM tasks WHERE contact_id = ${merged.id}) AS tasks,
          (SELECT count(*) FROM contact_reconnect WHERE contact_id = ${merged.id}) AS "keepInTouch"`,
      );
      const views = await this.contactsById(tx, input.workspaceId, [survivor.id, merged.id]);
      return {
        survivor: views.get(survivor.id)!,
        merged: views.get(merged.id)!,
        fields: MERGE_FIELDS.map((field) => ({
          field,
          survivorValue: survivor[field],
          mergedValue: merged[field],
          side: plan.sides[field],
          value: plan.values[field],
        })),
        tags: plan.values.tags,
        changed: plan.changed,
        moves: {
          interactions: Number(counts!.interactions),
          participations: Number(counts!.participations),
          tasks: Number(counts!.tasks),
          keepInTouch: Number(counts!.keepInTouch),
        } satisfies MergeCounts,
        undoDays: MERGE_UNDO_DAYS,
      };
    });
  }

  /**
   * Merges `mergedId` into `survivorId` in one transaction: the survivor takes the chosen
   * values and both sets of tags; every interaction, participation, follow-up and
   * keep-in-touch setting of the merged contact moves to it (one timeline); the merged
   * contact's row goes, kept in `contact_merges` with everything moved for 30 days of undo.
   * Restricted contacts (GDPR Art. 18) cannot be merged.
   */
  async merge(input: MergeContactsInput, actor: Actor) {
    const now = this.deps.clock.now();
    const undoUntil = new Date(now.getTime() + MERGE_UNDO_DAYS * DAY_MS);
    const result = await this.deps.transaction(async (tx) => {
      const { survivor, merged } = await this.lockPair(tx, input, true);
      const plan = planMerge(mergeable(survivor), mergeable(merged), input.choices ?? {});
      const survivorId = survivor.id;
      const mergedId = merged.id;
      const [before] = await queryRows<{ row: Record<string, unknown> | string }>(
        tx,
        sql`SELECT to_jsonb(c) - 'search_text' - 'search_doc' AS row FROM contacts c WHERE c.id IN (${survivorId}::uuid) `,
      );
      const [mergedRow] = await queryRows<{ row: Record<string, unknown> | string }>(
        tx,
        sql`SELECT to_jsonb(c) - 'search_text' - 'search_doc' AS row FROM contacts c WHERE c.id = ${mergedId}::uuid`,
      );
      const moved: Moved = {
        interactions: await ids(
          tx,
          sql`UPDATE interactions SET contact_id = ${survivorId} WHERE contact_id = ${mergedId} RETURNING id`,
        ),
        removedParticipants: await jsonRows(
          tx,
          sql`DELETE FROM interaction_participants p WHERE p.contact_id = ${mergedId}
                AND EXISTS (SELECT 1 FROM interaction_participants q WHERE q.interaction_id = p.interaction_id AND q.contact_id = ${survivorId})
              RETURNING to_jsonb(p) AS row`,
        ),
        participants: await ids(
          tx,
          sql`UPDATE interaction_participants SET contact_id = ${survivorId} WHERE contact_id = ${mergedId} RETURNING id`,
        ),
        tasks: await ids(
          tx,
          sql`UPDATE tasks SET contact_id = ${survivorId} WHERE contact_id = ${mergedId} RETURNING id`,
        ),
        ...(await this.moveSingle(tx, "contact_reconnect", survivorId, mergedId, "reconnect", "removedReconnect")),
        ...(await this.moveSingle(tx, "gmail_contact_stats", survivorId, mergedId, "gmailStats", "removedGmailStats")),
        dismissals: await jsonRows(
          tx,
          sql`DELETE FROM duplicate_dismissals d WHERE d.contact_a_id = ${mergedId} OR d.contact_b_id = ${mergedId}
              RETURNING to_jsonb(d) AS row`,
        ),
        candidates: await jsonRows(
          tx,
          sql`DELETE FROM duplicate_candidates d WHERE d.contact_a_id = ${mergedId} OR d.contact_b_id = ${mergedId}
              RETURNING to_jsonb(d) AS row`,
        ),
        merges: await ids(
          tx,
          sql`UPDATE contact_merges SET survivor_id = ${survivorId} WHERE survivor_id = ${mergedId} RETURNING id`,
        ),
        importProblems: await jsonRows(
          tx,
          sql`UPDATE contact_import_problems SET contact_id = ${survivorId} WHERE contact_id = ${mergedId}
              RETURNING jsonb_build_object('import_id', import_id, 'row_number', row_number, 'field', field) AS row`,
        ),
      } as Moved;
      await tx.execute(sql`DELETE FROM contacts WHERE id = ${mergedId}`);
      const [after] = await queryRows<{ row: Record<string, unknown> | string }>(
        tx,
        sql`UPDATE contacts c SET name = ${plan.values.name}, email = ${plan.values.email}, company = ${plan.values.company},
              title = ${plan.values.title}, phone = ${plan.values.phone},
              tags = ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(plan.values.tags)}::jsonb)),
              updated_at = ${now.toISOString()}::timestamptz
            WHERE c.id = ${survivorId}
            RETURNING to_jsonb(c) - 'search_text' - 'search_doc' AS row`,
      );
      const [record] = await queryRows<{ id: string }>(
        tx,
        sql`INSERT INTO contact_merges (workspace_id, survivor_id, merged_contact_id, merged_by, merged_at, undo_until,
                                        merged_contact, survivor_before, survivor_after, moved)
            VALUES (${input.workspaceId}, ${survivorId}, ${mergedId}, ${actor.actorId}, ${now.toISOString()}::timestamptz,
                    ${undoUntil.toISOString()}::timestamptz, ${jsonText(mergedRow!.row)}::jsonb, ${jsonText(before!.row)}::jsonb,
                    ${jsonText(after!.row)}::jsonb, ${JSON.stringify(moved)}::jsonb)
            RETURNING id`,
      );
      const mergeId = record!.id;
      await recordAudit(tx, {
        action: "contact.merged",
        workspaceId: input.workspaceId,
        actorId: actor.actorId,
        targetType: "contact",
        targetId: survivorId,
        ip: actor.ip,
        userAgent: actor.userAgent,
        metadata: { mergedContactId: mergedId, mergeId, fields: plan.changed },
      });
      await appendEvents(tx, [
        {
          type: "contact.merged",
          workspaceId: input.workspaceId,
          actorId: actor.actorId,
          payload: { contactId: survivorId, mergedContactId: mergedId, mergeId },
        },
      ]);
      return {
        mergeId,
        survivorId,
        mergedContactId: mergedId,
        undoUntil,
        moved: {
          interactions: moved.interactions.length,
          participations: moved.participants.length + moved.removedParticipants.length,
          tasks: moved.tasks.length,
          keepInTouch: moved.reconnect === "moved" || moved.removedReconnect.length > 0 ? 1 : 0,
        } satisfies MergeCounts,
      };
    });
    return result;
  }

  /** A one-row-per-contact table: the merged contact's row moves unless the survivor has one (then it is kept for undo). */
  private async moveSingle<K extends string, R extends string>(
    tx: Tx,
    table: "contact_reconnect" | "gmail_contact_stats",
    survivorId: string,
    mergedId: string,
    movedKey: K,
    removedKey: R,
  ): Promise<Record<K, "moved" | null> & Record<R, unknown[]>> {
    const name = sql.raw(table);
    const removed = await jsonRows(
      tx,
      sql`DELETE FROM ${name} t WHERE t.contact_id = ${mergedId}
            AND EXISTS (SELECT 1 FROM ${name} s WHERE s.contact_id = ${survivorId})
          RETURNING to_jsonb(t) AS row`,
    );
    const movedRows = await ids(
      tx,
      sql`UPDATE ${name} SET contact_id = ${survivorId} WHERE contact_id = ${mergedId} RETURNING contact_id AS id`,
    );
    return { [movedKey]: movedRows.length > 0 ? "moved" : null, [removedKey]: removed } as Record<K, "moved" | null> &
      Record<R, unknown[]>;
  }

  /**
   * Puts both contacts back as they were before the merge: the merged contact with its id,
   * values and dates; everything that moved, back to it; the survivor's values the merge set
   * (those nobody changed since). What was added to the survivor after the merge stays with it.
   */
  async undoMerge(workspaceId: string, mergeId: string, actor: Actor) {
    const now = this.deps.clock.now();
    const columns = await this.insertableContactColumns();
    return this.deps.transaction(async (tx) => {
      const [merge] = await queryRows<{
        survivor_id: string;
        merged_contact_id: string;
        undo_until: Date | string;
        merged_contact: Record<string, unknown> | string;
        survivor_before: Record<string, unknown> | string;
        survivor_after: Record<string, unknown> | string;
        moved: Moved | string;
      }>(
        tx,
        sql`SELECT survivor_id, merged_contact_id, undo_until, merged_contact, survivor_before, survivor_after, moved
            FROM contact_merges WHERE id = ${mergeId} AND workspace_id = ${workspaceId} FOR UPDATE`,
      );
      if (!merge) throw notFound("Merge");
      if (toDate(merge.undo_until) <= now)
        throw conflict(`A merge can be undone for ${MERGE_UNDO_DAYS} days; this one can no longer be.`, {
          reason: "expired",
        });
      const survivorId = merge.survivor_id;
      const mergedId = merge.merged_contact_id;
      await assertMergeable(tx, [survivorId]);
      const [current] = await queryRows<{ row: Record<string, unknown> | string }>(
        tx,
        sql`SELECT to_jsonb(c) - 'search_text' - 'search_doc' AS row FROM contacts c WHERE c.id = ${survivorId} FOR UPDATE`,
      );
      if (!current) throw notFound("Contact");
      const now_ = parseJson<Record<string, unknown>>(current.row);
      const before = parseJson<Record<string, unknown>>(merge.survivor_before);
      const after = parseJson<Record<string, unknown>>(merge.survivor_after);
      // Only what the merge set and nobody changed since goes back.
      const restore: Record<string, unknown> = {};
      for (const field of [...MERGE_FIELDS, "tags"] as const) {
        if (JSON.stringify(now_[field]) === JSON.stringify(after[field])) restore[field] = before[field];
      }
      const untouched = JSON.stringify(now_.updated_at) === JSON.stringify(after.updated_at);
      if (untouched) restore.updated_at = before.updated_at;
      else restore.updated_at = now.toISOString();
      const restored = { ...now_, ...restore };
      await tx.execute(sql`
        UPDATE contacts c SET name = r.name, email = r.email, company = r.company, title = r.title, phone = r.phone,
               tags = r.tags, updated_at = r.updated_at
        FROM jsonb_populate_record(NULL::contacts, ${JSON.stringify(restored)}::jsonb) r
        WHERE c.id = ${survivorId}`);
      const list = sql.raw(columns.map((column) => `"${column}"`).join(", "));
      const selected = sql.raw(
        columns
          .map((column) =>
            column === "created_by"
              ? `(SELECT u.id FROM users u WHERE u.id = r.created_by) AS created_by`
              : `r."${column}"`,
          )
          .join(", "),
      );
      const mergedContact = parseJson<Record<string, unknown>>(merge.merged_contact);
      if (typeof mergedContact.email === "string" && mergedContact.deleted_at === null) {
        const [taken] = await queryRows<{ id: string }>(
          tx,
          sql`SELECT id FROM contacts WHERE workspace_id = ${workspaceId} AND deleted_at IS NULL
                AND lower(email) = ${mergedContact.email.toLowerCase()}`,
        );
        if (taken)
          throw conflict(
            "Another contact now has the merged contact's email address; change or merge that one first.",
            {
              field: "email",
              reason: "email_taken",
              existingContactId: taken.id,
            },
          );
      }
      await tx.execute(sql`
        INSERT INTO contacts (${list})
        SELECT ${selected} FROM jsonb_populate_record(NULL::contacts, ${JSON.stringify(mergedContact)}::jsonb) r`);
      const moved = parseJson<Moved>(merge.moved);
      await tx.execute(sql`UPDATE interactions SET contact_id = ${mergedId}
        WHERE contact_id = ${survivorId} AND id = ANY(${pgArray(moved.interactions)}::uuid[])`);
      await tx.execute(sql`UPDATE interaction_participants SET contact_id = ${mergedId}
        WHERE contact_id = ${survivorId} AND id = ANY(${pgArray(moved.participants)}::uuid[])`);
      await reinsert(tx, "interaction_participants", moved.removedParticipants, "interaction_id", "interactions");
      await tx.execute(sql`UPDATE tasks SET contact_id = ${mergedId}
        WHERE contact_id = ${survivorId} AND id = ANY(${pgArray(moved.tasks)}::uuid[])`);
      if (moved.reconnect === "moved")
        await tx.execute(sql`UPDATE contact_reconnect SET contact_id = ${mergedId} WHERE contact_id = ${survivorId}
          AND NOT EXISTS (SELECT 1 FROM contact_reconnect WHERE contact_id = ${mergedId})`);
      await reinsert(tx, "contact_reconnect", moved.removedReconnect);
      if (moved.gmailStats === "moved")
        await tx.execute(sql`UPDATE gmail_contact_stats SET contact_id = ${mergedId} WHERE contact_id = ${survivorId}
          AND NOT EXISTS (SELECT 1 FROM gmail_contact_stats WHERE contact_id = ${mergedId})`);
      await reinsert(tx, "gmail_contact_stats", moved.removedGmailStats);
      await reinsertPairs(tx, "duplicate_dismissals", moved.dismissals);
      await reinsertPairs(tx, "duplicate_candidates", moved.candidates ?? []);
      if (moved.merges.length > 0)
        await tx.execute(sql`UPDATE contact_merges SET survivor_id = ${mergedId}
          WHERE survivor_id = ${survivorId} AND id = ANY(${pgArray(moved.merges)}::uuid[])`);
      if ((moved.importProblems ?? []).length > 0)
        await tx.execute(sql`UPDATE contact_import_problems p SET contact_id = ${mergedId}
          FROM jsonb_to_recordset(${JSON.stringify(moved.importProblems)}::jsonb) AS k(import_id uuid, row_number integer, field text)
          WHERE p.import_id = k.import_id AND p.row_number = k.row_number AND p.field = k.field AND p.contact_id = ${survivorId}`);
      await tx.execute(sql`DELETE FROM contact_merges WHERE id = ${mergeId}`);
      await recordAudit(tx, {
        action: "contact.unmerged",
        workspaceId,
        actorId: actor.actorId,
        targetType: "contact",
        targetId: survivorId,
        ip: actor.ip,
        userAgent: actor.userAgent,
        metadata: { restoredContactId: mergedId, mergeId },
      });
      await appendEvents(tx, [
        {
          type: "contact.unmerged",
          workspaceId,
          actorId: actor.actorId,
          payload: { contactId: survivorId, restoredContactId: mergedId, mergeId },
        },
      ]);
      return { mergeId, survivorId, restoredContactId: mergedId };
    });
  }

  /** The workspace's merges that can still be undone, newest first. */
  async merges(workspaceId: string, limit: number) {
    const rows = await queryRows<{
      id: string;
      survivor_id: string;
      merged_contact_id: string;
      merged_by: string | null;
      merged_at: Date | string;
      undo_until: Date | string;
      survivor_name: string;
      merged_name: string | null;
    }>(
      this.deps.db,
      sql`SELECT m.id, m.survivor_id, m.merged_contact_id, m.merged_by, m.merged_at, m.undo_until,
                 c.name AS survivor_name, m.merged_contact->>'name' AS merged_name
          FROM contact_merges m JOIN contacts c ON c.id = m.survivor_id
          WHERE m.workspace_id = ${workspaceId} AND m.undo_until > ${this.deps.clock.now().toISOString()}::timestamptz
            AND NOT ${contactRestricted(sql`m.survivor_id`)}
          ORDER BY m.merged_at DESC, m.id LIMIT ${limit}`,
    );
    return rows.map((row) => ({
      mergeId: row.id,
      survivorId: row.survivor_id,
      survivorName: row.survivor_name,
      mergedContactId: row.merged_contact_id,
      mergedName: row.merged_name ?? "",
      mergedBy: row.merged_by,
      mergedAt: toDate(row.merged_at),
      undoUntil: toDate(row.undo_until),
    }));
  }

  /** Merges past their undo period are forgotten (the audit log keeps that they happened). */
  async purgeExpiredMerges(): Promise<{ purged: number }> {
    const rows = await queryRows<{ id: string }>(
      this.deps.db,
      sql`DELETE FROM contact_merges WHERE undo_until <= ${this.deps.clock.now().toISOString()}::timestamptz RETURNING id`,
    );
    return { purged: rows.length };
  }

  /** Both contacts, live, of the workspace, locked when `lock`; FORBIDDEN when either is restricted. */
  private async lockPair(tx: Tx, input: MergeContactsInput, lock: boolean) {
    const rows = await queryRows<ContactRow>(
      tx,
      sql`SELECT c.id, c.name, c.email, c.company, c.title, c.phone, c.tags, c.created_at FROM contacts c
          WHERE c.workspace_id = ${input.workspaceId} AND c.deleted_at IS NULL
            AND c.id IN (${input.survivorId}::uuid, ${input.mergedId}::uuid)
          ORDER BY c.id ${lock ? sql`FOR UPDATE` : sql``}`,
    );
    const survivor = rows.find((row) => row.id === input.survivorId);
    const merged = rows.find((row) => row.id === input.mergedId);
    if (!survivor || !merged) throw notFound("Contact");
    await assertMergeable(tx, [survivor.id, merged.id]);
    return { survivor, merged };
  }

  /** The columns of `contacts` an insert may write (not the generated search columns), from the catalog. */
  private insertableContactColumns(): Promise<string[]> {
    this.contactColumns ??= queryRows<{ column_name: string }>(
      this.deps.db,
      sql`SELECT column_name FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = 'contacts' AND is_generated = 'NEVER'
          ORDER BY ordinal_position`,
    )
      .then((rows) => rows.map((row) => row.column_name).filter((name) => /^[a-z_][a-z0-9_]*$/.test(name)))
      .catch((error: unknown) => {
        this.contactColumns = null;
        throw error;
      });
    return this.contactColumns;
  }
}

/** GDPR Art. 18: merging (or un-merging) a restricted contact is processing it. */
async function assertMergeable(tx: Executor, contactIds: string[]) {
  const restricted = await queryRows<{ id: string }>(
    tx,
    sql`SELECT subject_id AS id FROM gdpr_restrictions
        WHERE subject_kind = 'contact' AND subject_id = ANY(${pgArray(contactIds)}::uuid[])`,
  );
  if (restricted.length > 0)
    throw forbidden(CONTACT_RESTRICTED_MESSAGE, { reason: "restricted", contactIds: restricted.map((r) => r.id) });
}

function suggestSurvivor(a: DuplicateContact, b: DuplicateContact): DuplicateContact {
  if (a.interactionCount !== b.interactionCount) return a.interactionCount > b.interactionCount ? a : b;
  return a.createdAt.getTime() <= b.createdAt.getTime() ? a : b;
}

function mergeable(row: ContactRow): MergeableContact {
  return { name: row.name, email: row.email, company: row.company, title: row.title, phone: row.phone, tags: row.tags };
}

async function ids(tx: Tx, query: ReturnType<typeof sql>): Promise<string[]> {
  return (await queryRows<{ id: string }>(tx, query)).map((row) => row.id);
}

async function jsonRows(tx: Tx, query: ReturnType<typeof sql>): Promise<unknown[]> {
  return (await queryRows<{ row: unknown }>(tx, query)).map((row) =>
    typeof row.row === "string" ? JSON.parse(row.row) : row.row,
  );
}

/** Rows a merge removed, put back as they were (those whose parent row is gone stay gone). */
async function reinsert(
  tx: Tx,
  table: "interaction_participants" | "contact_reconnect" | "gmail_contact_stats",
  rows: unknown[],
  parentColumn?: string,
  parentTable?: string,
) {
  if (rows.length === 0) return;
  const name = sql.raw(table);
  const parent =
    parentColumn && parentTable
      ? sql.raw(`WHERE EXISTS (SELECT 1 FROM ${parentTable} x WHERE x.id = r.${parentColumn})`)
      : sql``;
  await tx.execute(sql`INSERT INTO ${name}
    SELECT r.* FROM jsonb_populate_recordset(NULL::${name}, ${JSON.stringify(rows)}::jsonb) r ${parent}
    ON CONFLICT DO NOTHING`);
}

async function reinsertPairs(tx: Tx, table: "duplicate_dismissals" | "duplicate_candidates", rows: unknown[]) {
  if (rows.length === 0) return;
  const name = sql.raw(table);
  await tx.execute(sql`INSERT INTO ${name}
    SELECT r.* FROM jsonb_populate_recordset(NULL::${name}, ${JSON.stringify(rows)}::jsonb) r
    WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.id = r.contact_a_id)
      AND EXISTS (SELECT 1 FROM contacts c WHERE c.id = r.contact_b_id)
    ON CONFLICT DO NOTHING`);
}

function parseJson<T>(value: T | string): T {
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

function jsonText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
