import { randomUUID } from "node:crypto";
import type { ContactBulkInput } from "@rapport/core/schemas";
import { queryRows } from "@rapport/db";
import { and, sql } from "drizzle-orm";
import type { JobDefinition } from "../../infra/queue";
import type { Actor } from "../../platform/actor";
import type { ServiceDeps } from "../../platform/deps";
import { appendEvents } from "../../platform/events/outbox";
import { contactRestricted } from "../../platform/privacy/restriction";
import { SUMMARY_IDS_LIMIT, type ProgressReporter } from "../../platform/progress";
import type { ContactService } from "./service";

const CONTACT_BULK_JOB = "contacts.bulk";
/** Up to this many run in the request; more run as a job with progress. */
const INLINE_LIMIT = 1_000;
/** Contacts per transaction. */
const BATCH = 1_000;
const DAY_MS = 86_400_000;

interface BulkJob {
  input: ContactBulkInput;
  actorId: string;
  jobId: string;
  /** A delete's instant (ISO), the same for every batch and every retry of the job. */
  at?: string;
}

export interface BulkResult {
  /** How many the filter selected when the operation started. */
  matched: number;
  /** How many it changed (already tagged, already deleted, … are not counted). */
  changed: number;
  /** Restores refused because a live contact has the same email now. */
  skipped: number;
  /** Tagging or untagging left out because processing of the contact is restricted (GDPR Art. 18). */
  restricted: number;
  /**
   * Their ids, the first SUMMARY_IDS_LIMIT in id order (`restricted` is the total): an answer,
   * or a job's stored snapshot, stays bounded however many are restricted.
   */
  restrictedIds: string[];
}

/**
 * Bulk operations on every contact the list's filters select (not only the rows a page
 * loaded): tag, untag, soft delete (restorable for the retention period), restore. Tagging
 * and untagging alter the record, so they leave out restricted contacts (GDPR Art. 18) and
 * name them in the answer; deleting and restoring do not alter it (erasure stays possible,
 * and a delete's undo must bring back everything it removed). The
 * rows are walked in id order, BATCH per transaction with their events, so a job that
 * stops part-way leaves whole batches done and can simply be run again (each action is
 * idempotent).
 */
export class ContactBulkService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly contactService: ContactService,
  ) {}

  /**
   * Small selections at once; larger ones as a job whose progress is `jobId`. A dry run
   * only counts, exactly, what the action would act on. A delete stamps every contact it
   * removes with one instant, answered as `deletedAt`: restoring with that filter and
   * `deletedAt` brings back exactly those contacts (its undo).
   */
  async start(
    input: ContactBulkInput,
    actor: Actor,
  ): Promise<{ jobId: string | null; matched: number; result: BulkResult | null; deletedAt: Date | null }> {
    const matched = await this.count(input);
    if (input.dryRun) return { jobId: null, matched, result: null, deletedAt: null };
    const at = this.deps.clock.now();
    const deletedAt = input.action === "delete" ? at : null;
    if (matched <= INLINE_LIMIT) {
      return { jobId: null, matched, result: await this.run(input, actor.actorId, null, at), deletedAt };
    }
    const jobId = randomUUID();
    await this.deps.progress.begin(jobId, {
      kind: `contacts.bulk.${input.action}`,
      scope: { workspaceId: input.workspaceId, minRole: "member" },
      state: "queued",
      total: matched,
    });
    await this.deps.queue.enqueue<BulkJob>(
      CONTACT_BULK_JOB,
      { input, actorId: actor.actorId, jobId, at: at.toISOString() },
      { jobId },
    );
    return { jobId, matched, result: null, deletedAt };
  }

  private async count(input: ContactBulkInput): Promise<number> {
    const [row] = await queryRows<{ n: number | string }>(
      this.deps.db,
      sql`SELECT count(*) AS n FROM contacts WHERE ${and(...this.conditions(input))}`,
    );
    return Number(row?.n ?? 0);
  }

  private conditions(input: ContactBulkInput) {
    return this.contactService.filterConditions({ ...input.filter, workspaceId: input.workspaceId });
  }

  async run(
    input: ContactBulkInput,
    actorId: string,
    progress: ProgressReporter | null,
    at: Date = this.deps.clock.now(),
  ): Promise<BulkResult> {
    const total = await this.count(input);
    const result: BulkResult = { matched: total, changed: 0, skipped: 0, restricted: 0, restrictedIds: [] };
    let after = "00000000-0000-0000-0000-000000000000";
    let done = 0;
    progress?.update({ done, total, stage: input.action });
    for (;;) {
      const ids = await queryRows<{ id: string }>(
        this.deps.db,
        sql`SELECT id FROM contacts WHERE ${and(...this.conditions(input))} AND id > ${after}::uuid
            ORDER BY id LIMIT ${sql.raw(String(BATCH))}`,
      );
      if (ids.length === 0) break;
      after = ids[ids.length - 1]!.id;
      const batch = await this.apply(
        input,
        actorId,
        ids.map((row) => row.id),
        at,
      );
      result.changed += batch.changed;
      result.skipped += batch.skipped;
      result.restricted += batch.restricted.length;
      // Batches come in id order; within one, sorting keeps the capped list the first ids.
      const room = SUMMARY_IDS_LIMIT - result.restrictedIds.length;
      if (room > 0) result.restrictedIds.push(...batch.restricted.sort().slice(0, room));
      done += ids.length;
      progress?.update({ done: Math.min(done, total), total: Math.max(total, done), stage: input.action });
    }
    return result;
  }

  private apply(
    input: ContactBulkInput,
    actorId: string,
    ids: string[],
    started: Date,
  ): Promise<{ changed: number; skipped: number; restricted: string[] }> {
    const workspaceId = input.workspaceId;
    const idList = JSON.stringify(ids);
    const inBatch = sql`c.workspace_id = ${workspaceId}::uuid
      AND c.id IN (SELECT jsonb_array_elements_text(${idList}::jsonb)::uuid)`;
    const now = this.deps.clock.now();
    // A delete's batches share the operation's instant as their deletedAt (see start: its undo
    // finds them by it); every change is stamped updated when its batch commits, so that clients
    // syncing by updatedSince see a late batch or a retried job's.
    const at = now.toISOString();
    const deletedAt = started.toISOString();
    return this.deps.transaction(async (tx) => {
      let changed: { id: string }[];
      let skipped = 0;
      let restricted: string[] = [];
      let type: "contact.updated" | "contact.deleted" | "contact.restored";
      if (input.action === "tag" || input.action === "untag") {
        const tag = input.tag!;
        // What the action would change; of those, the restricted ones are named instead, by the
        // same statement (one snapshot: no restriction commits between the check and the write).
        const wouldChange = sql`${inBatch} AND c.deleted_at IS NULL
          AND ${input.action === "tag" ? sql`NOT (c.tags @> ARRAY[${tag}::text])` : sql`c.tags @> ARRAY[${tag}::text]`}`;
        const rows = await queryRows<{ id: string; restricted: boolean }>(
          tx,
          sql`WITH changed AS (
                UPDATE contacts c SET tags = ${
                  input.action === "tag"
                    ? sql`ARRAY(SELECT DISTINCT t FROM unnest(c.tags || ARRAY[${tag}::text]) t ORDER BY t)`
                    : sql`array_remove(c.tags, ${tag}::text)`
                }, updated_at = ${at}::timestamptz
                WHERE ${wouldChange} AND NOT ${contactRestricted(sql`c.id`)} RETURNING c.id
              )
              SELECT id, false AS restricted FROM changed
              UNION ALL SELECT c.id, true FROM contacts c WHERE ${wouldChange} AND ${contactRestricted(sql`c.id`)}`,
        );
        changed = rows.filter((row) => !row.restricted);
        restricted = rows.filter((row) => row.restricted).map((row) => row.id);
        type = "contact.updated";
      } else if (input.action === "delete") {
        changed = await queryRows<{ id: string }>(
          tx,
          sql`UPDATE contacts c SET deleted_at = ${deletedAt}::timestamptz, updated_at = ${at}::timestamptz
              WHERE ${inBatch} AND c.deleted_at IS NULL RETURNING c.id`,
        );
        type = "contact.deleted";
      } else {
        const cutoff = new Date(now.getTime() - this.deps.config.SOFT_DELETE_RETENTION_DAYS * DAY_MS).toISOString();
        // A contact comes back only if no live contact has its email now (the unique index
        // would refuse it) and, among deleted ones sharing an email, only the most recent.
        changed = await queryRows<{ id: string }>(
          tx,
          sql`UPDATE contacts c SET deleted_at = NULL, updated_at = ${at}::timestamptz
              WHERE ${inBatch} AND c.deleted_at IS NOT NULL AND c.deleted_at >= ${cutoff}::timestamptz
                AND (c.email IS NULL OR (
                  NOT EXISTS (SELECT 1 FROM contacts l WHERE l.workspace_id = c.workspace_id AND l.deleted_at IS NULL
                              AND lower(l.email) = lower(c.email))
                  AND NOT EXISTS (SELECT 1 FROM contacts d WHERE d.workspace_id = c.workspace_id AND d.id <> c.id
                              AND d.deleted_at IS NOT NULL AND lower(d.email) = lower(c.email)
                              AND (d.deleted_at, d.id) > (c.deleted_at, c.id))))
              RETURNING c.id`,
        );
        skipped = ids.length - changed.length;
        type = "contact.restored";
      }
      await appendEvents(
        tx,
        changed.map(({ id }) =>
          type === "contact.updated"
            ? { type, workspaceId, actorId, payload: { contactId: id, fields: ["tags"] } }
            : { type, workspaceId, actorId, payload: { contactId: id } },
        ),
      );
      return { changed: changed.length, skipped, restricted };
    });
  }
}

export function contactBulkJobs(deps: ServiceDeps): JobDefinition[] {
  return [
    {
      name: CONTACT_BULK_JOB,
      attempts: 3,
      handler: async (data) => {
        const job = data as BulkJob;
        const progress = await deps.progress.begin(job.jobId, {
          kind: `contacts.bulk.${job.input.action}`,
          scope: { workspaceId: job.input.workspaceId, minRole: "member" },
        });
        try {
          const result = await deps.services.contactBulk.run(
            job.input,
            job.actorId,
            progress,
            job.at ? new Date(job.at) : undefined,
          );
          // The summary goes with the finished snapshot: the client's toast tells what changed and
          // what was left out (restricted), which `done` (contacts walked) cannot.
          const { changed, skipped, restricted, restrictedIds } = result;
          await progress.complete("done", { changed, skipped, restricted, restrictedIds });
          return result;
        } catch (error) {
          await progress.fail("The bulk operation stopped; run it again to finish it.");
          throw error;
        }
      },
    },
  ];
}
