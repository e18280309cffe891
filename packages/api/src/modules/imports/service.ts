import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { Transform, type Readable } from "node:stream";
import {
  guessMapping,
  headerKey,
  IMPORT_MAX_ROWS,
  readImportRow,
  type ImportCellProblem,
  type ImportedContact,
  type ImportField,
  type ImportMapping,
  type ImportOptions,
} from "@rapport/core/schemas";
import {
  type DuplicateReason,
  emailMatchProbe,
  type KeyedContact,
  keyContact,
  likelyDuplicatesAmong,
} from "@rapport/core";
import { contactImports, contactImportTemplates, contactMailboxMatches, queryRows, type Executor } from "@rapport/db";
import { and, desc, eq, sql } from "drizzle-orm";
import { conflict, DomainError, notFound } from "../../errors";
import type { JobContext } from "../../infra/queue";
import type { Actor } from "../../platform/actor";
import type { ServiceDeps } from "../../platform/deps";
import { appendEvents } from "../../platform/events/outbox";
import { phoneCountryOf } from "../../platform/phone-country";
import { contactRestricted } from "../../platform/privacy/restriction";
import { suppressedAddresses } from "../../platform/privacy/suppression";
import type { ProgressReporter } from "../../platform/progress";
import { createLocalStorage, type ExportStorage } from "../../platform/storage";
import { readRows, type ImportFormat } from "./reader";

export const IMPORT_RUN_JOB = "imports.run";
export const IMPORT_PURGE_JOB = "imports.purge-uploads";
/** Enough for 100,000 wide rows; a bigger body is refused while it streams. */
export const IMPORT_MAX_BYTES = 64 * 1024 * 1024;
const PREVIEW_ROWS = 10;
/** Rows per transaction: one statement per kind of write, progress after each. */
const BATCH_ROWS = 1_000;
/** An upload never started is deleted after this long. */
const UPLOAD_TTL_MS = 24 * 3_600_000;
/** Problems shown in `get` (the downloadable report has them all). */
const PROBLEMS_SHOWN = 100;

const REASONS = {
  exists: "a contact with this email already exists (skipped, as chosen)",
  erased: "this person was erased from the workspace and is not imported again",
  restricted: "the existing contact's processing is restricted (GDPR Art. 18): not changed",
  raced: "a contact with this email was created while the import ran",
} as const;

/** A flagged row's reason names the rules that matched, never the values. */
const FLAG_RULES: Record<DuplicateReason["kind"], string> = {
  email: "the same mailbox",
  phone: "the same phone number",
  name: "a similar name at the same company",
};
/** Problems of an "import nothing" check held before they are written to the report. */
const PROBLEMS_BUFFERED = 2_000;

interface StoredOptions extends ImportOptions {
  actorId: string;
  /**
   * When the run was started: rows are compared for possible duplicates with the contacts
   * created before it (not with those the import itself creates). Absent on runs queued
   * before it was recorded: nothing is flagged.
   */
  existingBefore?: string;
}

interface RowEntry {
  rowNumber: number;
  contact: ImportedContact | null;
  problems: { field: string; message: string }[];
}

interface ProblemRow {
  row: number;
  field: string;
  reason: string;
  contactId: string | null;
  /** "skipped": the row was not imported; "flagged": it was, and may duplicate `contactId`. */
  outcome: "skipped" | "flagged";
}

/** An existing contact a row being created probably duplicates (the best match). */
interface PossibleDuplicate {
  contactId: string;
  name: string;
  company: string | null;
  reasons: DuplicateReason["kind"][];
}

interface ImportSummary {
  id: string;
  status: string;
  format: ImportFormat;
  totalRows: number | null;
  processedRows: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  flagged: number;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/**
 * Contact imports from CSV or XLSX: the file is uploaded once (streamed to import
 * storage), previewed with a mapping, then run as a job that reads it twice as a
 * stream (count and check, then write) in transactions of BATCH_ROWS rows. Each
 * batch records how far it got, so a retried job resumes where the last one committed.
 */
export class ImportService {
  private readonly storage: ExportStorage;

  constructor(private readonly deps: ServiceDeps) {
    this.storage = createLocalStorage(join(deps.config.DATA_DIR, "imports"));
  }

  /** Streams the body to storage (refused beyond IMPORT_MAX_BYTES) and records the upload. */
  async upload(workspaceId: string, actor: Actor, format: ImportFormat, body: Readable): Promise<{ importId: string }> {
    const importId = randomUUID();
    await this.deps.db.insert(contactImports).values({ id: importId, workspaceId, createdBy: actor.actorId, format });
    let bytes = 0;
    const limited = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > IMPORT_MAX_BYTES)
          callback(
            new DomainError("PAYLOAD_TOO_LARGE", `The file is larger than ${IMPORT_MAX_BYTES / 1024 / 1024} MB.`),
          );
        else callback(null, chunk);
      },
    });
    body.on("error", (error) => limited.destroy(error));
    try {
      await this.storage.put(fileKey(importId), body.pipe(limited));
      if (bytes === 0) throw new DomainError("BAD_REQUEST", "The file is empty.");
    } catch (error) {
      await this.storage.delete(fileKey(importId));
      await this.deps.db.delete(contactImports).where(eq(contactImports.id, importId));
      throw error;
    }
    return { importId };
  }

  /** The file's headers, a mapping (given, from a template, or guessed) and its first rows checked cell by cell. */
  async preview(input: { workspaceId: string; importId: string; mapping?: ImportMapping; templateId?: string }) {
    const job = await this.find(input.workspaceId, input.importId);
    const file = await this.storage.get(fileKey(job.id));
    if (!file) throw conflict("This upload has been used or has expired; upload the file again.");
    const rows: string[][] = [];
    let headers: string[] | null = null;
    try {
      for await (const cells of readRows(file, job.format)) {
        if (!headers) headers = cells.map((cell) => cell.trim());
        else rows.push(cells);
        if (rows.length >= PREVIEW_ROWS) break;
      }
    } catch {
      throw new DomainError("BAD_REQUEST", `The file could not be read as ${job.format.toUpperCase()}.`);
    }
    if (!headers) throw new DomainError("BAD_REQUEST", "The file is empty.");
    let mapping: ImportMapping;
    if (input.mapping) {
      mapping = headers.map((_, i) => input.mapping![i] ?? null);
    } else if (input.templateId) {
      const [template] = await this.deps.db
        .select()
        .from(contactImportTemplates)
        .where(
          and(
            eq(contactImportTemplates.workspaceId, input.workspaceId),
            eq(contactImportTemplates.id, input.templateId),
          ),
        );
      if (!template) throw notFound("Mapping template");
      mapping = guessMapping(headers, template.mapping as Record<string, ImportField>);
    } else mapping = guessMapping(headers);
    const checkedRows = rows.map((cells) => readImportRow(cells, mapping));
    const candidates = checkedRows.flatMap((checked, index) =>
      checked.contact ? [{ row: index + 2, contact: checked.contact }] : [],
    );
    const duplicates = await possibleDuplicates(
      this.deps.db,
      input.workspaceId,
      this.deps.clock.now().toISOString(),
      candidates,
    );
    return {
      importId: job.id,
      format: job.format,
      status: job.status,
      headers,
      mapping,
      rows: rows.map((cells, index) => {
        const checked = checkedRows[index]!;
        return {
          rowNumber: index + 2,
          cells: headers!.map((_, column) => ({
            value: (cells[column] ?? "").slice(0, 200),
            problem: problemOfColumn(checked.problems, mapping, column),
          })),
          /** An existing contact this row looks like (imported as a new contact unless its email matches one). */
          possibleDuplicate: duplicates.get(index + 2) ?? null,
        };
      }),
    };
  }

  /** Queues the run; its progress is the job `importId` (jobs.get / jobs.progress). */
  async start(workspaceId: string, importId: string, options: ImportOptions, actor: Actor) {
    const stored: StoredOptions = {
      ...options,
      actorId: actor.actorId,
      existingBefore: this.deps.clock.now().toISOString(),
    };
    const [job] = await this.deps.db
      .update(contactImports)
      .set({ status: "queued", options: stored })
      .where(
        and(
          eq(contactImports.workspaceId, workspaceId),
          eq(contactImports.id, importId),
          eq(contactImports.status, "uploaded"),
        ),
      )
      .returning({ id: contactImports.id });
    if (!job) {
      await this.find(workspaceId, importId);
      throw conflict("This import has already been started.");
    }
    await this.deps.progress.begin(importId, {
      kind: "contacts.import",
      scope: { workspaceId, minRole: "member" },
      state: "queued",
    });
    await this.deps.queue.enqueue(IMPORT_RUN_JOB, { importId }, { jobId: `import-${importId}` });
    return { importId, jobId: importId };
  }

  async get(workspaceId: string, importId: string) {
    const job = await this.find(workspaceId, importId);
    const problems = await this.problems(importId, PROBLEMS_SHOWN);
    return { ...summary(job), problems };
  }

  async list(workspaceId: string) {
    const rows = await this.deps.db
      .select()
      .from(contactImports)
      .where(eq(contactImports.workspaceId, workspaceId))
      .orderBy(desc(contactImports.createdAt))
      .limit(20);
    return rows.map(summary);
  }

  /** The report: every skipped row with its reasons, in file order, in pages the caller writes out. */
  async streamReport(
    workspaceId: string,
    importId: string,
    write: (problems: ProblemRow[]) => Promise<void>,
  ): Promise<ImportSummary> {
    const job = await this.find(workspaceId, importId);
    let after = { row: 0, field: "" };
    for (;;) {
      const page = await queryRows<ProblemRecord>(
        this.deps.db,
        sql`SELECT row_number AS row, field, reason, contact_id, outcome FROM contact_import_problems
            WHERE import_id = ${importId}::uuid AND (row_number, field) > (${after.row}::int, ${after.field}::text)
            ORDER BY row_number, field LIMIT 2000`,
      );
      if (page.length === 0) break;
      await write(page.map(problemRow));
      const last = page[page.length - 1]!;
      after = { row: last.row, field: last.field };
    }
    return summary(job);
  }

  /** The job: checks the whole file, then writes it batch by batch. Never throws for the file's content. */
  async run(importId: string, ctx: Pick<JobContext, "log">): Promise<unknown> {
    const [job] = await this.deps.db.select().from(contactImports).where(eq(contactImports.id, importId));
    if (!job || job.status === "completed" || job.status === "failed" || !job.options) return { skipped: true };
    const options = job.options as StoredOptions;
    const progress = await this.deps.progress.begin(importId, {
      kind: "contacts.import",
      scope: { workspaceId: job.workspaceId, minRole: "member" },
      stage: "checking",
    });
    await this.deps.db.update(contactImports).set({ status: "running" }).where(eq(contactImports.id, importId));
    try {
      const checked = await this.check(job.id, job.format, options, progress);
      if (typeof checked === "string") return await this.finishFailed(importId, progress, checked);
      if (checked.badRows > 0) {
        // "Import nothing": the report (written as the check went) names every bad row; no contact was written.
        await this.deps.db
          .update(contactImports)
          .set({ totalRows: checked.total, skippedCount: checked.badRows })
          .where(eq(contactImports.id, importId));
        return await this.finishFailed(
          importId,
          progress,
          `${checked.badRows.toLocaleString("en")} row(s) have problems; nothing was imported.`,
        );
      }
      await this.deps.db
        .update(contactImports)
        .set({ totalRows: checked.total })
        .where(eq(contactImports.id, importId));
      await this.write(job.id, job.workspaceId, job.format, options, job.processedRows, checked.total, progress);
      await this.deps.db
        .update(contactImports)
        .set({ status: "completed", finishedAt: this.deps.clock.now() })
        .where(eq(contactImports.id, importId));
      await this.storage.delete(fileKey(importId));
      await progress.complete();
      const [done] = await this.deps.db.select().from(contactImports).where(eq(contactImports.id, importId));
      ctx.log.info({ importId, rows: checked.total }, "contact import completed");
      return summary(done!);
    } catch (error) {
      if (error instanceof UnreadableFile) return await this.finishFailed(importId, progress, error.message);
      throw error;
    }
  }

  /**
   * Pass 1: counts the rows (for progress and the size limit); "import nothing" also checks
   * every row, writing the bad ones to the report as it goes (a file of bad rows is not held
   * in memory; a retry writes the same rows again, which the report's key absorbs).
   */
  private async check(
    importId: string,
    format: ImportFormat,
    options: StoredOptions,
    progress: ProgressReporter,
  ): Promise<string | { total: number; badRows: number }> {
    const file = await this.openFile(importId);
    let total = -1;
    let problems: ProblemRow[] = [];
    let badRows = 0;
    // "Skip and report": the write pass checks each row as it goes; here the rows are only counted.
    const rows =
      options.badRows === "abort"
        ? this.entries(file, format, options.mapping, new Map<string, number>())
        : this.dataRows(file, format);
    for await (const entry of rows) {
      total = entry.rowNumber - 1;
      if (total > IMPORT_MAX_ROWS)
        return `The file has more than ${IMPORT_MAX_ROWS.toLocaleString("en")} rows; split it and import each part.`;
      if ("problems" in entry && entry.problems.length > 0) {
        badRows++;
        for (const p of entry.problems) problems.push(skippedRow(entry.rowNumber, p.field, p.message, null));
        if (problems.length >= PROBLEMS_BUFFERED) {
          await insertProblems(this.deps.db, importId, problems);
          problems = [];
        }
      }
      if (total % 5_000 === 0) progress.update({ done: 0, total: null, stage: "checking" });
    }
    if (total <= 0) return "The file has no rows under its header.";
    await insertProblems(this.deps.db, importId, problems);
    return { total, badRows };
  }

  /** Pass 2: every row after `resumeAfter` (rows a previous attempt committed), BATCH_ROWS per transaction. */
  private async write(
    importId: string,
    workspaceId: string,
    format: ImportFormat,
    options: StoredOptions,
    resumeAfter: number,
    total: number,
    progress: ProgressReporter,
  ): Promise<void> {
    const file = await this.openFile(importId);
    const seen = new Map<string, number>();
    let batch: RowEntry[] = [];
    let position = 0;
    progress.update({ done: resumeAfter, total, stage: "importing" });
    const flush = async () => {
      if (batch.length === 0) return;
      const entries = batch;
      batch = [];
      await this.writeBatch(importId, workspaceId, options, entries, position);
      progress.update({ done: position, total, stage: "importing" });
    };
    for await (const entry of this.entries(file, format, options.mapping, seen)) {
      position = entry.rowNumber - 1;
      if (position <= resumeAfter) continue;
      batch.push(entry);
      if (batch.length >= BATCH_ROWS) await flush();
    }
    await flush();
  }

  /** The file's data rows checked, with duplicates of an earlier row's email as problems. */
  private async *entries(
    file: Readable,
    format: ImportFormat,
    mapping: ImportMapping,
    seen: Map<string, number>,
  ): AsyncGenerator<RowEntry> {
    for await (const { rowNumber, cells } of this.dataRows(file, format)) {
      const checked = readImportRow(cells, mapping);
      if (checked.problems) {
        yield { rowNumber, contact: null, problems: checked.problems };
        continue;
      }
      const email = checked.contact.email;
      if (email) {
        const first = seen.get(email);
        if (first !== undefined) {
          yield {
            rowNumber,
            contact: null,
            problems: [{ field: "email", message: `duplicates the email of row ${first}` }],
          };
          continue;
        }
        seen.set(detached(email), rowNumber);
      }
      yield { rowNumber, contact: checked.contact, problems: [] };
    }
  }

  /** The file's rows under its header, numbered as a spreadsheet shows them (the header is row 1). */
  private async *dataRows(
    file: Readable,
    format: ImportFormat,
  ): AsyncGenerator<{ rowNumber: number; cells: string[] }> {
    let rowNumber = 0;
    try {
      for await (const cells of readRows(file, format)) {
        rowNumber++;
        if (rowNumber > 1) yield { rowNumber, cells };
      }
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new UnreadableFile(`The file could not be read as ${format.toUpperCase()} (near row ${rowNumber + 1}).`);
    }
  }

  /**
   * One batch in one transaction: erased people skipped, existing contacts (by email,
   * locked) skipped, filled or overwritten as chosen, the rest inserted; the events, the
   * report's rows and the import's counters and position with them.
   */
  private async writeBatch(
    importId: string,
    workspaceId: string,
    options: StoredOptions,
    entries: RowEntry[],
    position: number,
  ): Promise<void> {
    await this.deps.transaction(async (tx) => {
      const problems: ProblemRow[] = [];
      for (const entry of entries)
        for (const p of entry.problems) problems.push(skippedRow(entry.rowNumber, p.field, p.message, null));
      const valid = entries.filter((entry) => entry.contact !== null) as (RowEntry & { contact: ImportedContact })[];
      const emails = valid.flatMap((entry) => (entry.contact.email ? [entry.contact.email] : []));
      const suppressed = await suppressedAddresses(tx, this.deps.config.GDPR_SUPPRESSION_KEY, workspaceId, emails);
      const existing = new Map<string, ExistingContact>();
      const candidates = emails.filter((email) => !suppressed.has(email));
      if (candidates.length > 0) {
        // `= ANY (ARRAY(…))`: the unique index probed once per address. Written `IN (SELECT …)`
        // it was planned as a hash join over every contact of the workspace, once per batch.
        const rows = await queryRows<ExistingContact>(
          tx,
          sql`SELECT c.id, lower(c.email) AS email, c.name, c.company, c.title, c.phone, c.tags,
                     ${contactRestricted(sql`c.id`)} AS restricted
              FROM contacts c
              WHERE c.workspace_id = ${workspaceId}::uuid AND c.deleted_at IS NULL AND c.email IS NOT NULL
                AND lower(c.email) = ANY (ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(candidates)}::jsonb)))
              FOR UPDATE OF c`,
        );
        for (const row of rows) existing.set(row.email, row);
      }
      const inserts: { row: number; contact: ImportedContact }[] = [];
      const updates: { id: string; fields: string[]; next: ContactValues }[] = [];
      let unchanged = 0;
      let skipped = new Set(problems.map((p) => p.row)).size;
      for (const { rowNumber, contact } of valid) {
        const email = contact.email ?? null;
        if (email && suppressed.has(email)) {
          problems.push(skippedRow(rowNumber, "email", REASONS.erased, null));
          skipped++;
          continue;
        }
        const match = email ? existing.get(email) : undefined;
        if (!match) {
          inserts.push({ row: rowNumber, contact });
          continue;
        }
        if (options.existing === "skip" || match.restricted) {
          problems.push(
            skippedRow(rowNumber, "email", match.restricted ? REASONS.restricted : REASONS.exists, match.id),
          );
          skipped++;
          continue;
        }
        const change = merged(match, contact, options.existing);
        if (change.fields.length === 0) unchanged++;
        else updates.push({ id: match.id, ...change });
      }
      const now = this.deps.clock.now().toISOString();
      // Before the insert, so that the batch's own rows are not among the candidates.
      const duplicates = options.existingBefore
        ? await possibleDuplicates(tx, workspaceId, options.existingBefore, inserts)
        : new Map<number, PossibleDuplicate>();
      let created: { id: string; email: string | null }[] = [];
      if (inserts.length > 0) {
        const input = JSON.stringify(
          inserts.map(({ contact }) => ({
            email: contact.email ?? null,
            name: contact.name,
            company: contact.company ?? null,
            title: contact.title ?? null,
            phone: contact.phone ?? null,
            tags: contact.tags ?? [],
          })),
        );
        created = await queryRows<{ id: string; email: string | null }>(
          tx,
          sql`INSERT INTO contacts (workspace_id, email, name, company, title, phone, tags, source, created_by, created_at, updated_at)
              SELECT ${workspaceId}::uuid, i.email, i.name, i.company, i.title, i.phone,
                     ARRAY(SELECT jsonb_array_elements_text(i.tags)), 'import', ${options.actorId}::uuid,
                     ${now}::timestamptz, ${now}::timestamptz
              FROM jsonb_to_recordset(${input}::jsonb) AS i(email text, name text, company text, title text, phone text, tags jsonb)
              ON CONFLICT DO NOTHING
              RETURNING id, lower(email) AS email`,
        );
        if (created.length < inserts.length) {
          // Created by someone else since the lookup above (the unique index decided).
          const made = new Set(created.map((row) => row.email));
          for (const { row, contact } of inserts)
            if (contact.email && !made.has(contact.email)) {
              problems.push(skippedRow(row, "email", REASONS.raced, null));
              duplicates.delete(row);
              skipped++;
            }
        }
      }
      if (updates.length > 0) {
        const input = JSON.stringify(updates.map(({ id, next }) => ({ id, ...next })));
        await queryRows(
          tx,
          sql`UPDATE contacts c SET name = i.name, company = i.company, title = i.title, phone = i.phone,
                     tags = ARRAY(SELECT jsonb_array_elements_text(i.tags)), updated_at = ${now}::timestamptz
              FROM jsonb_to_recordset(${input}::jsonb) AS i(id uuid, name text, company text, title text, phone text, tags jsonb)
              WHERE c.id = i.id`,
        );
      }
      await appendEvents(tx, [
        ...created.map((row) => ({
          type: "contact.created" as const,
          workspaceId,
          actorId: options.actorId,
          payload: { contactId: row.id, source: "import" },
        })),
        ...updates.map((update) => ({
          type: "contact.updated" as const,
          workspaceId,
          actorId: options.actorId,
          payload: { contactId: update.id, fields: update.fields },
        })),
      ]);
      for (const [row, duplicate] of duplicates) problems.push(flaggedRow(row, duplicate));
      await insertProblems(tx, importId, problems);
      await tx
        .update(contactImports)
        .set({
          processedRows: position,
          flaggedCount: sql`${contactImports.flaggedCount} + ${duplicates.size}`,
          createdCount: sql`${contactImports.createdCount} + ${created.length}`,
          updatedCount: sql`${contactImports.updatedCount} + ${updates.length}`,
          unchangedCount: sql`${contactImports.unchangedCount} + ${unchanged}`,
          skippedCount: sql`${contactImports.skippedCount} + ${skipped}`,
        })
        .where(eq(contactImports.id, importId));
    });
  }

  private async finishFailed(importId: string, progress: ProgressReporter, message: string) {
    await this.deps.db
      .update(contactImports)
      .set({ status: "failed", error: message, finishedAt: this.deps.clock.now() })
      .where(eq(contactImports.id, importId));
    await this.storage.delete(fileKey(importId));
    await progress.fail(message);
    return { failed: message };
  }

  private async openFile(importId: string): Promise<Readable> {
    const file = await this.storage.get(fileKey(importId));
    if (!file) throw new UnreadableFile("The uploaded file is gone; upload it again.");
    return file;
  }

  private async problems(importId: string, limit: number): Promise<ProblemRow[]> {
    const rows = await queryRows<ProblemRecord>(
      this.deps.db,
      sql`SELECT row_number AS row, field, reason, contact_id, outcome FROM contact_import_problems
          WHERE import_id = ${importId}::uuid ORDER BY row_number, field LIMIT ${limit}`,
    );
    return rows.map(problemRow);
  }

  private async find(workspaceId: string, importId: string) {
    const [job] = await this.deps.db
      .select()
      .from(contactImports)
      .where(and(eq(contactImports.workspaceId, workspaceId), eq(contactImports.id, importId)));
    if (!job) throw notFound("Import");
    return job;
  }

  /** Uploads never started within a day: the file (personal data) is deleted, the row marked failed. */
  async purgeUploads(): Promise<{ purged: number }> {
    const cutoff = new Date(this.deps.clock.now().getTime() - UPLOAD_TTL_MS);
    const stale = await queryRows<{ id: string }>(
      this.deps.db,
      sql`UPDATE contact_imports SET status = 'failed', error = 'The upload expired before it was imported.',
                 finished_at = ${this.deps.clock.now().toISOString()}::timestamptz
          WHERE status = 'uploaded' AND created_at < ${cutoff.toISOString()}::timestamptz
          RETURNING id`,
    );
    for (const { id } of stale) await this.storage.delete(fileKey(id));
    return { purged: stale.length };
  }

  // Mapping templates -------------------------------------------------------------

  async listTemplates(workspaceId: string) {
    return this.deps.db
      .select({
        id: contactImportTemplates.id,
        name: contactImportTemplates.name,
        mapping: contactImportTemplates.mapping,
        updatedAt: contactImportTemplates.updatedAt,
      })
      .from(contactImportTemplates)
      .where(eq(contactImportTemplates.workspaceId, workspaceId))
      .orderBy(sql`lower(${contactImportTemplates.name})`);
  }

  /** Saves (or replaces, by name) a mapping, keyed by header so it fits any file with those headers. */
  async saveTemplate(workspaceId: string, name: string, headers: string[], mapping: ImportMapping, actor: Actor) {
    const byHeader: Record<string, ImportField> = {};
    headers.forEach((header, i) => {
      const field = mapping[i];
      if (field) byHeader[headerKey(header)] = field;
    });
    const now = this.deps.clock.now();
    const [saved] = await queryRows<{ id: string }>(
      this.deps.db,
      sql`INSERT INTO contact_import_templates (workspace_id, name, mapping, created_by, created_at, updated_at)
          VALUES (${workspaceId}::uuid, ${name}, ${JSON.stringify(byHeader)}::jsonb, ${actor.actorId}::uuid,
                  ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)
          ON CONFLICT (workspace_id, lower(name)) DO UPDATE SET mapping = EXCLUDED.mapping, updated_at = EXCLUDED.updated_at
          RETURNING id`,
    );
    return { id: saved!.id, name, mapping: byHeader };
  }

  async deleteTemplate(workspaceId: string, templateId: string) {
    const deleted = await this.deps.db
      .delete(contactImportTemplates)
      .where(and(eq(contactImportTemplates.workspaceId, workspaceId), eq(contactImportTemplates.id, templateId)))
      .returning({ id: contactImportTemplates.id });
    if (deleted.length === 0) throw notFound("Mapping template");
    return { deleted: true };
  }
}

class UnreadableFile extends Error {}

/**
 * A copy of `text` that refers to nothing else. A parsed cell can be a slice of the parser's
 * whole input chunk: kept as is (every address of the file, to find repeated ones) it would
 * keep every chunk of the file, the whole file's text, alive until the import ends.
 */
const detached = (text: string) => Buffer.from(text, "utf16le").toString("utf16le");

const fileKey = (importId: string) => `import-${importId}`;

interface ContactValues {
  name: string;
  company: string | null;
  title: string | null;
  phone: string | null;
  tags: string[];
}

interface ExistingContact extends ContactValues {
  id: string;
  email: string;
  restricted: boolean;
}

const MERGED_FIELDS = ["name", "company", "title", "phone", "tags"] as const;

/**
 * What an existing contact becomes. "fill": only its empty fields take the row's value;
 * "overwrite": every mapped field with a value in the row replaces it. An empty cell never
 * clears anything (an import adds what it knows).
 */
function merged(
  current: ContactValues,
  row: ImportedContact,
  mode: "fill" | "overwrite",
): { fields: string[]; next: ContactValues } {
  const next: ContactValues = { ...current, tags: current.tags ?? [] };
  const fields: string[] = [];
  for (const field of MERGED_FIELDS) {
    const value = row[field];
    if (value === undefined || value === null) continue;
    if (field === "tags") {
      const tags = value as string[];
      if (tags.length === 0) continue;
      if (mode === "fill" && next.tags.length > 0) continue;
      if (JSON.stringify(tags) === JSON.stringify(next.tags)) continue;
      next.tags = tags;
      fields.push(field);
      continue;
    }
    const empty = current[field] === null || current[field] === "";
    if (mode === "fill" && !empty) continue;
    if (current[field] === value) continue;
    (next as unknown as Record<string, unknown>)[field] = value;
    fields.push(field);
  }
  return { fields, next };
}

async function insertProblems(db: Executor, importId: string, problems: ProblemRow[]): Promise<void> {
  for (let i = 0; i < problems.length; i += 5_000) {
    const input = JSON.stringify(problems.slice(i, i + 5_000));
    await queryRows(
      db,
      sql`INSERT INTO contact_import_problems (import_id, row_number, field, reason, contact_id, outcome)
          SELECT ${importId}::uuid, p.row, p.field, p.reason, p."contactId", p.outcome
          FROM jsonb_to_recordset(${input}::jsonb) AS p(row int, field text, reason text, "contactId" uuid, outcome text)
          ON CONFLICT DO NOTHING`,
    );
  }
}

const skippedRow = (row: number, field: string, reason: string, contactId: string | null): ProblemRow => ({
  row,
  field,
  reason,
  contactId,
  outcome: "skipped",
});

function flaggedRow(row: number, duplicate: PossibleDuplicate): ProblemRow {
  return {
    row,
    // The strongest evidence names the field.
    field: (["email", "phone", "name"] as const).find((kind) => duplicate.reasons.includes(kind)) ?? "name",
    reason: `imported; possibly the same person as an existing contact (${duplicate.reasons.map((kind) => FLAG_RULES[kind]).join(", ")})`,
    contactId: duplicate.contactId,
    outcome: "flagged",
  };
}

interface ProblemRecord {
  row: number;
  field: string;
  reason: string;
  contact_id: string | null;
  outcome: "skipped" | "flagged";
}

const problemRow = (p: ProblemRecord): ProblemRow => ({
  row: p.row,
  field: p.field,
  reason: p.reason,
  contactId: p.contact_id,
  outcome: p.outcome,
});

/** Candidates of one rule per row at most: enough to find the best, bounded for a very common key. */
const CANDIDATES_PER_RULE = 20;

/**
 * The existing contacts (created before `before`, live, not restricted) that rows about to
 * be created probably are: the best per row, keyed by row number. One statement for the
 * whole batch: the database narrows each row to the contacts sharing its number's last six
 * digits, its folded company and the first two letters of its folded name (both indexed,
 * migration 0025) or its address's mailbox (`emailMatchProbe`, indexed, migration 0029);
 * the rules in `@rapport/core` decide, as for the contact form's check.
 * Duplicates among the file's own rows are left to the workspace's duplicates scan.
 */
async function possibleDuplicates(
  db: Executor,
  workspaceId: string,
  before: string,
  rows: { row: number; contact: ImportedContact }[],
): Promise<Map<number, PossibleDuplicate>> {
  const probes = rows.flatMap(({ row, contact }) => {
    const digits = contact.phone?.replace(/\D/g, "") ?? "";
    const tail = digits.length >= 6 ? digits.slice(-6) : null;
    const company = contact.company?.trim() ? contact.company : null;
    const email = contact.email ? emailMatchProbe(contact.email) : null;
    return tail || company || email
      ? [{ n: row, tail, name: contact.name, company, mailbox: email?.mailbox, domains: email?.domains.join(",") }]
      : [];
  });
  const found = new Map<number, PossibleDuplicate>();
  if (probes.length === 0) return found;
  // One row per candidate contact, with the rows it was found for: a company's first contacts
  // are candidates of most rows of a batch, and are sent and read once, not once per row.
  const candidates = await queryRows<{
    id: string;
    name: string;
    email: string | null;
    phone: string | null;
    company: string | null;
    rows: string;
  }>(
    db,
    sql`WITH i AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(probes)}::jsonb)
                     AS i(n int, tail text, name text, company text, mailbox text, domains text))
        SELECT d.id, d.name, d.email, d.phone, d.company, string_agg(d.n::text, ',') AS rows FROM (
          SELECT i.n, c.id, c.name, c.email, c.phone, c.company FROM i
          CROSS JOIN LATERAL (
            SELECT c.id, c.name, c.email, c.phone, c.company FROM contacts c
            WHERE c.workspace_id = ${workspaceId}::uuid AND c.deleted_at IS NULL AND c.phone IS NOT NULL
              AND right(regexp_replace(c.phone, '[^0-9]', '', 'g'), 6) = i.tail
              AND c.created_at < ${before}::timestamptz
            LIMIT ${CANDIDATES_PER_RULE}) c
          WHERE i.tail IS NOT NULL
          UNION
          SELECT i.n, c.id, c.name, c.email, c.phone, c.company FROM i
          CROSS JOIN LATERAL (
            SELECT c.id, c.name, c.email, c.phone, c.company FROM contacts c
            WHERE c.workspace_id = ${workspaceId}::uuid AND c.deleted_at IS NULL AND c.company IS NOT NULL
              AND search_fold(c.company) = search_fold(i.company)
              AND left(search_fold(c.name), 2) = left(search_fold(i.name), 2)
              AND c.created_at < ${before}::timestamptz
            LIMIT ${CANDIDATES_PER_RULE}) c
          WHERE i.company IS NOT NULL
          UNION
          SELECT i.n, c.id, c.name, c.email, c.phone, c.company FROM i
          CROSS JOIN LATERAL (
            SELECT c.id, c.name, c.email, c.phone, c.company FROM contacts c
            WHERE c.workspace_id = ${workspaceId}::uuid AND c.deleted_at IS NULL AND c.email IS NOT NULL
              AND ${contactMailboxMatches(sql`c.email`, { domains: sql`string_to_array(i.domains, ',')`, mailbox: sql`i.mailbox` })}
              AND c.created_at < ${before}::timestamptz
            LIMIT ${CANDIDATES_PER_RULE}) c
          WHERE i.mailbox IS NOT NULL
        ) d
        WHERE NOT ${contactRestricted(sql`d.id`)}
        GROUP BY d.id, d.name, d.email, d.phone, d.company`,
  );
  if (candidates.length === 0) return found;
  const phoneCountry = probes.some((probe) => probe.tail) ? await phoneCountryOf(db, workspaceId) : undefined;
  // Each contact keyed once however many rows it is a candidate for, not once per row it is
  // compared with.
  const byRow = new Map<number, KeyedContact[]>();
  const contacts = new Map<string, (typeof candidates)[number]>();
  for (const candidate of candidates) {
    contacts.set(candidate.id, candidate);
    const keyed = keyContact(candidate, phoneCountry);
    for (const n of candidate.rows.split(",")) {
      const row = Number(n);
      const list = byRow.get(row);
      if (list) list.push(keyed);
      else byRow.set(row, [keyed]);
    }
  }
  for (const { row, contact } of rows) {
    const list = byRow.get(row);
    if (!list) continue;
    const [best] = likelyDuplicatesAmong(
      {
        name: contact.name,
        email: contact.email ?? null,
        phone: contact.phone ?? null,
        company: contact.company ?? null,
      },
      list,
      1,
      phoneCountry,
    );
    const match = best && contacts.get(best.contactId);
    if (!best || !match) continue;
    // Same address: that is "match by email" (an update), not a possible duplicate.
    if (contact.email && match.email?.toLowerCase() === contact.email) continue;
    found.set(row, {
      contactId: match.id,
      name: match.name,
      company: match.company,
      reasons: best.reasons.map((reason) => reason.kind),
    });
  }
  return found;
}

function problemOfColumn(problems: ImportCellProblem[] | null, mapping: ImportMapping, column: number): string | null {
  const field = mapping[column];
  if (!problems || !field) return null;
  return problems.find((p) => p.field === field)?.message ?? null;
}

function summary(job: typeof contactImports.$inferSelect): ImportSummary {
  return {
    id: job.id,
    status: job.status,
    format: job.format,
    totalRows: job.totalRows,
    processedRows: job.processedRows,
    created: job.createdCount,
    updated: job.updatedCount,
    unchanged: job.unchangedCount,
    skipped: job.skippedCount,
    flagged: job.flaggedCount,
    error: job.error,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  };
}
