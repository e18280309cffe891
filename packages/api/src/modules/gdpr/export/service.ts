/**
 * GDPR access and portability exports (Art. 15 and 20).
 *
 * A request creates a `gdpr_exports` row (at most one open per subject: a
 * second request returns it) and queues `gdpr.export`, which writes a ZIP
 * (jszip, generated as a Node stream with streamFiles, each JSON file fed a
 * batch of records at a time as bytes — see platform/privacy/export-sources.ts — and deflated by
 * Node's zlib off the event loop — see ./zip.ts) straight into export storage,
 * with backpressure end to end: memory stays bounded by a few batches whatever
 * the size of the workspace. The file is fetched through a signed,
 * single-export link (see ./download.ts) for EXPORT_TTL_DAYS days;
 * `gdpr.exports.purge-expired` deletes it afterwards.
 */
import { Readable } from "node:stream";
import { randomBytes } from "node:crypto";
import { contacts, gdprExports, type Executor, type GdprExportDiscardReason, type GdprExportStatus } from "@rapport/db";
import { hasRole } from "@rapport/core";
import { and, eq, inArray, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import JSZip from "jszip";
import { createLocalStorage, type ExportStorage } from "../../../platform/storage";
import type { JobContext } from "../../../infra/queue";
import { isUniqueViolation, notFound } from "../../../errors";
import { safeErrorMessage } from "../../../logger";
import { recordAudit } from "../../../platform/audit";
import { appendEvents } from "../../../platform/events/outbox";
import type { ProgressScope } from "../../../platform/progress";
import type { ServiceDeps } from "../../../platform/deps";
import { recordOperation, setOperationStatus } from "../../../platform/privacy/operations";
import { createDownloadUrl } from "./download-link";
import { lockErasureScope, lockForCompletion } from "../../../platform/privacy/erasure-scope";
import { buildReadme } from "./readme";
import { nativeDeflate } from "./zip";
import {
  EXPORT_SECTIONS,
  PAGE_SIZE,
  type ExportFile,
  type ExportSectionName,
} from "../../../platform/privacy/export-sources";

export const GDPR_EXPORT_JOB = "gdpr.export";
/**
 * zlib levels 1–3 share zlib's fast strategy and cost about the same on this JSON
 * (~0.45 s for the bench's 86 MB, on the thread pool); 3 is ~5 % smaller than 1, while
 * 6 takes twice as long for ~6 % less (bench: 10k contacts / 200k interactions).
 */
const DEFLATE_LEVEL = 3;
export const GDPR_EXPORT_PURGE_JOB = "gdpr.exports.purge-expired";

export interface ExportStatusView {
  exportId: string;
  subjectKind: "user" | "contact";
  status: GdprExportStatus;
  progress: number;
  createdAt: Date;
  completedAt: Date | null;
  downloadUrl?: string;
  expiresAt?: Date;
  fileSizeBytes?: number;
  /** Why a `discarded` export's file was deleted before its expiry. */
  discardReason?: GdprExportDiscardReason;
}

interface Actor {
  actorId: string;
  ip?: string | null;
  userAgent?: string | null;
}

type ExportRow = typeof gdprExports.$inferSelect;

export class GdprExportService {
  /** ZIPs in a local directory (EXPORT_DIR) behind ExportStorage. */
  private readonly storage: ExportStorage;

  constructor(private readonly deps: ServiceDeps) {
    this.storage = createLocalStorage(deps.config.EXPORT_DIR);
  }

  /** gdpr.requestExport: the calling user's own data. */
  async requestUserExport(actor: Actor, include?: ExportSectionName[]): Promise<ExportStatusView> {
    const row = await this.openOrCreate(
      {
        subjectKind: "user",
        subjectId: actor.actorId,
        workspaceId: null,
        requestedBy: actor.actorId,
        include: include ?? [],
      },
      actor,
    );
    return this.view(row);
  }

  /** gdpr.exportContact: a workspace owner/admin answering a contact's request (role checked by the router). */
  async requestContactExport(actor: Actor, workspaceId: string, contactId: string): Promise<ExportStatusView> {
    const [contact] = await this.deps.db
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)));
    if (!contact) throw notFound("Contact");
    const row = await this.openOrCreate(
      { subjectKind: "contact", subjectId: contactId, workspaceId, requestedBy: actor.actorId, include: [] },
      actor,
    );
    return this.view(row);
  }

  /** gdpr.exportStatus: the requester, or for contact exports an owner/admin of the workspace. */
  async status(userId: string, exportId: string): Promise<ExportStatusView> {
    const row = await this.authorizedRow(userId, exportId);
    if (!row) throw notFound("Export");
    return this.view(row);
  }

  /** The row if `userId` may see and download it, else null (existence is not revealed). */
  async authorizedRow(userId: string, exportId: string): Promise<ExportRow | null> {
    const [row] = await this.deps.db.select().from(gdprExports).where(eq(gdprExports.id, exportId));
    if (!row) return null;
    if (row.subjectKind === "user") return row.requestedBy === userId && row.subjectId === userId ? row : null;
    const role = row.workspaceId ? await this.deps.services.workspaces.roleOf(row.workspaceId, userId) : null;
    return role && hasRole(role, "admin") ? row : null;
  }

  async openFile(row: ExportRow) {
    return row.fileKey ? this.storage.get(row.fileKey) : null;
  }

  private async openOrCreate(
    values: {
      subjectKind: "user" | "contact";
      subjectId: string;
      workspaceId: string | null;
      requestedBy: string;
      include: string[];
    },
    actor: Actor,
  ): Promise<ExportRow> {
    const open = () =>
      this.deps.db
        .select()
        .from(gdprExports)
        .where(
          and(
            eq(gdprExports.subjectKind, values.subjectKind),
            eq(gdprExports.subjectId, values.subjectId),
            values.workspaceId ? eq(gdprExports.workspaceId, values.workspaceId) : isNull(gdprExports.workspaceId),
            inArray(gdprExports.status, ["pending", "in_progress"]),
          ),
        );
    const [existing] = await open();
    if (existing) return existing;
    let row: ExportRow | undefined;
    try {
      row = await this.deps.transaction(async (tx) => {
        const now = this.deps.clock.now();
        // An access request is a data-subject request like any other: it goes to the operations log (due in a month).
        const operation = await recordOperation(tx, {
          workspaceId: values.workspaceId,
          type: values.subjectKind === "user" ? "access_export" : "contact_export",
          subjectKind: values.subjectKind,
          subjectId: values.subjectId,
          reason: null,
          requestedBy: actor.actorId,
          authorizedBy: actor.actorId,
          requestedAt: now,
          status: "pending",
        });
        const [created] = await tx
          .insert(gdprExports)
          .values({ ...values, operationId: operation.id, createdAt: now })
          .returning();
        await recordAudit(tx, {
          action: values.subjectKind === "user" ? "gdpr.export.requested" : "gdpr.contact_export.requested",
          workspaceId: values.workspaceId,
          actorId: actor.actorId,
          targetType: values.subjectKind,
          targetId: values.subjectId,
          ip: actor.ip ?? null,
          userAgent: actor.userAgent ?? null,
          metadata: { exportId: created!.id },
        });
        return created!;
      });
    } catch (error) {
      // Two requests at once: the partial unique index lets one in; the other returns it.
      if (isUniqueViolation(error)) {
        const [winner] = await open();
        if (winner) return winner;
      }
      throw error;
    }
    // Before queueing: a progress watcher opened with the answer finds the export at once.
    await this.deps.progress.begin(row.id, { kind: GDPR_EXPORT_JOB, scope: progressScope(row), state: "queued" });
    await this.deps.queue.enqueue(GDPR_EXPORT_JOB, { exportId: row.id }, { jobId: `gdpr-export-${row.id}` });
    return row;
  }

  private view(row: ExportRow): ExportStatusView {
    const now = this.deps.clock.now();
    const base: ExportStatusView = {
      exportId: row.id,
      subjectKind: row.subjectKind,
      status: row.status,
      progress: row.status === "completed" ? 100 : row.progress,
      createdAt: row.createdAt,
      completedAt: row.completedAt,
    };
    if (row.status === "discarded" && row.discardReason) return { ...base, discardReason: row.discardReason };
    if (row.status !== "completed" || !row.expiresAt) return base;
    const expired = row.expiresAt <= now || !row.fileKey;
    return {
      ...base,
      expiresAt: row.expiresAt,
      ...(row.fileSizeBytes !== null ? { fileSizeBytes: row.fileSizeBytes } : {}),
      ...(expired
        ? {}
        : { downloadUrl: createDownloadUrl(this.deps.config, { exportId: row.id, expiresAt: row.expiresAt }) }),
    };
  }

  // ------------------------------------------------------------------ the job

  /** Builds the ZIP for one export row (the `gdpr.export` job). */
  async run(
    exportId: string,
    ctx: Pick<JobContext, "progress" | "log" | "attempt">,
    maxAttempts = 2,
  ): Promise<{ sizeBytes: number }> {
    const { db, clock, config } = this.deps;
    const [row] = await db.select().from(gdprExports).where(eq(gdprExports.id, exportId));
    if (!row) return { sizeBytes: 0 };
    if (row.status === "completed") return { sizeBytes: row.fileSizeBytes ?? 0 };
    // Conditional: a discarded (or failed) export stays so. The snapshot the export starts reading under
    // decides later whether an erasure committed while it ran (see platform/privacy/erasure-scope.ts).
    const [started] = await db
      .update(gdprExports)
      .set({ status: "in_progress", progress: 0 })
      .where(and(eq(gdprExports.id, exportId), inArray(gdprExports.status, ["pending", "in_progress"])))
      .returning({ snapshot: sql<string>`pg_current_snapshot()::text` });
    if (!started) return { sizeBytes: 0 };
    if (row.operationId) await setOperationStatus(db, row.operationId, "in_progress", clock.now());
    const progress = await this.deps.progress.begin(exportId, {
      kind: GDPR_EXPORT_JOB,
      scope: progressScope(row),
      stage: "counting",
    });
    try {
      const include = new Set<ExportSectionName>(
        row.include.length > 0 ? (row.include as ExportSectionName[]) : EXPORT_SECTIONS,
      );
      include.add("profile");
      const files = this.deps.privacy.exportFiles(
        row.subjectKind === "user"
          ? { kind: "user", userId: row.subjectId }
          : { kind: "contact", workspaceId: row.workspaceId!, contactId: row.subjectId },
        include,
      );
      const counts = await Promise.all(files.map((file) => file.count(db)));
      const total = counts.reduce((sum, n) => sum + n, 0) || 1;
      progress.update({ done: 0, total, stage: "writing" });
      let written = 0;
      let reported = -1;
      // Progress is written in the background (in order), never holding up the stream.
      let progressWrites = Promise.resolve();
      const report = (rows: number) => {
        written += rows;
        progress.update({ done: Math.min(written, total), total });
        const percent = Math.min(99, Math.floor((written / total) * 100));
        if (percent < reported + 5) return;
        reported = percent;
        progressWrites = progressWrites
          .then(async () => {
            await ctx.progress(percent);
            await db.update(gdprExports).set({ progress: percent }).where(eq(gdprExports.id, exportId));
          })
          .catch((error: unknown) => ctx.log.info({ exportId, err: error }, "gdpr export: progress not recorded"));
      };

      const zip = new JSZip();
      const generatedAt = clock.now();
      zip.file(
        "README.txt",
        buildReadme({
          subjectKind: row.subjectKind,
          generatedAt,
          files,
          counts,
          retentionDays: config.EXPORT_TTL_DAYS,
        }),
      );
      const sources = files.map((file) => jsonStream(file, db, report));
      files.forEach((file, i) => zip.file(file.file, sources[i] as unknown as NodeJS.ReadableStream, { binary: true }));
      const zipStream = zip.generateNodeStream({
        type: "nodebuffer",
        streamFiles: true,
        compression: nativeDeflate,
        compressionOptions: { level: DEFLATE_LEVEL },
      }) as unknown as Readable;
      // jszip drops an error of a source it has paused (NodejsStreamInputAdapter), which would leave
      // the export waiting forever: a failing source fails the output, and with it this attempt.
      for (const source of sources) source.once("error", (error) => zipStream.destroy(error));
      const fileKey = `gdpr-export-${row.id}-${randomBytes(8).toString("hex")}.zip`;
      const { sizeBytes } = await this.storage.put(fileKey, zipStream);
      await progressWrites;
      progress.update({ done: total, total, stage: "finishing" });
      const completedAt = clock.now();
      const expiresAt = new Date(completedAt.getTime() + config.EXPORT_TTL_DAYS * 86_400_000);
      const completed = await this.deps.transaction(async (tx) => {
        const noErasureSinceStart = await lockForCompletion(tx, row, started.snapshot);
        const [done] = await tx
          .update(gdprExports)
          .set({
            status: "completed",
            progress: 100,
            fileKey,
            fileSizeBytes: sizeBytes,
            completedAt,
            expiresAt,
            error: null,
          })
          .where(and(eq(gdprExports.id, exportId), eq(gdprExports.status, "in_progress"), noErasureSinceStart))
          .returning({ id: gdprExports.id });
        if (!done) return false;
        if (row.operationId) await setOperationStatus(tx, row.operationId, "completed", completedAt);
        await recordAudit(tx, {
          action: row.subjectKind === "user" ? "gdpr.export.completed" : "gdpr.contact_export.completed",
          workspaceId: row.workspaceId,
          actorId: row.requestedBy,
          targetType: row.subjectKind,
          targetId: row.subjectId,
          metadata: { exportId, sizeBytes, files: Object.fromEntries(files.map((file, i) => [file.file, counts[i]])) },
        });
        // No workspace: the news is the requester's alone (their streams and notifications), whoever the subject.
        if (row.requestedBy)
          await appendEvents(tx, [
            {
              type: "gdpr.export.completed",
              workspaceId: null,
              actorId: null,
              payload: { exportId, userId: row.requestedBy, subjectKind: row.subjectKind },
            },
          ]);
        return true;
      });
      if (!completed) {
        await this.storage.delete(fileKey);
        // Another run of this job (one the queue thought stalled) completed it first: its file and its news stand.
        const [now] = await db
          .select({ status: gdprExports.status })
          .from(gdprExports)
          .where(eq(gdprExports.id, exportId));
        if (now?.status === "completed") {
          ctx.log.info({ exportId }, "gdpr export: completed by another run of the job; this file deleted");
          // Its progress ends as the export did, whatever this run reported after the other finished.
          await progress.complete();
          return { sizeBytes: 0 };
        }
        // An erasure in scope committed while this export was being written (the file may hold the erased
        // person), or the row went with its workspace: nothing may keep the file.
        await db
          .update(gdprExports)
          .set({ status: "discarded", discardReason: "subject_erased", error: null })
          .where(and(eq(gdprExports.id, exportId), eq(gdprExports.status, "in_progress")));
        if (row.operationId) await setOperationStatus(db, row.operationId, "failed", clock.now());
        await progress.fail("The export was discarded: its subject was erased while it was being written");
        ctx.log.info({ exportId }, "gdpr export discarded: an erasure or workspace deletion committed while it ran");
        return { sizeBytes: 0 };
      }
      await ctx.progress(100);
      await progress.complete();
      ctx.log.info({ exportId, sizeBytes }, "gdpr export completed");
      return { sizeBytes };
    } catch (error) {
      const last = ctx.attempt >= maxAttempts;
      await db
        .update(gdprExports)
        .set(last ? { status: "failed", error: safeErrorMessage(error).slice(0, 500) } : { status: "pending" })
        .where(and(eq(gdprExports.id, exportId), eq(gdprExports.status, "in_progress")));
      if (row.operationId) await setOperationStatus(db, row.operationId, last ? "failed" : "pending", clock.now());
      if (last) await progress.fail("The export failed; request a new one");
      else progress.update({ done: 0, stage: "retrying" });
      throw error;
    }
  }

  /**
   * Deletes the files of discarded exports (an erasure discards them in its own transaction, see
   * platform/privacy/erasure-scope.ts). Runs right after an erasure commits, from the erasure events (durably, in case
   * that failed) and from the daily purge.
   */
  async deleteDiscardedFiles(db: Executor = this.deps.db): Promise<{ deleted: number }> {
    const rows = await db
      .select({ id: gdprExports.id, fileKey: gdprExports.fileKey })
      .from(gdprExports)
      .where(and(eq(gdprExports.status, "discarded"), isNotNull(gdprExports.fileKey)));
    for (const row of rows) {
      await this.storage.delete(row.fileKey!);
      await db.update(gdprExports).set({ fileKey: null }).where(eq(gdprExports.id, row.id));
    }
    return { deleted: rows.length };
  }

  /**
   * A workspace is being deleted (inside its transaction): every export file that may hold
   * its data — its contacts' exports and the personal exports of `userIds` (its members and
   * whoever added its records) — is detached from its row; the caller deletes the returned
   * keys from storage before it commits. Personal export rows stay (opaque ids), without a file.
   */
  async detachForWorkspace(tx: Executor, workspaceId: string, userIds: string[]): Promise<string[]> {
    // The erasure lock (see platform/privacy/erasure-scope.ts): an export of this workspace completing now waits, then refuses.
    await lockErasureScope(tx, { kind: "workspace", workspaceId });
    const scope = or(
      eq(gdprExports.workspaceId, workspaceId),
      userIds.length > 0
        ? and(eq(gdprExports.subjectKind, "user"), inArray(gdprExports.subjectId, userIds))
        : undefined,
    );
    const rows = await tx
      .select({ id: gdprExports.id, fileKey: gdprExports.fileKey })
      .from(gdprExports)
      .where(and(isNotNull(gdprExports.fileKey), scope))
      .for("update");
    if (rows.length === 0) return [];
    await tx
      .update(gdprExports)
      .set({ fileKey: null, expiresAt: this.deps.clock.now() })
      .where(
        inArray(
          gdprExports.id,
          rows.map((row) => row.id),
        ),
      );
    return rows.map((row) => row.fileKey!);
  }

  async deleteFiles(keys: string[]): Promise<void> {
    for (const key of keys) await this.storage.delete(key);
  }

  /** Daily: deletes export files past their expiry (the row stays, as a record of the request). */
  async purgeExpired(): Promise<{ deleted: number }> {
    const now = this.deps.clock.now();
    const expired = await this.deps.db
      .select({ id: gdprExports.id, fileKey: gdprExports.fileKey })
      .from(gdprExports)
      .where(
        and(
          isNotNull(gdprExports.fileKey),
          or(lte(gdprExports.expiresAt, now), inArray(gdprExports.status, ["failed", "discarded"])),
        ),
      );
    for (const row of expired) {
      await this.storage.delete(row.fileKey!);
      await this.deps.db.update(gdprExports).set({ fileKey: null }).where(eq(gdprExports.id, row.id));
    }
    return { deleted: expired.length };
  }
}

const [OPEN, BETWEEN_PAGES, CLOSE, EMPTY] = ["[\n", ",\n", "\n]\n", "[]\n"].map((text) => Buffer.from(text));

/** One JSON file, produced a page at a time: `[` records `,` … `]` (one per line), or the single object. */
function jsonStream(file: ExportFile, db: ServiceDeps["db"], report: (rows: number) => void): Readable {
  async function* generate() {
    if (file.single) {
      yield Buffer.from(`${JSON.stringify((await file.read(db)) ?? null, null, 2)}\n`);
      report(1);
      return;
    }
    let first = true;
    for await (const page of file.pages(db, PAGE_SIZE)) {
      if (page.rows === 0) continue;
      yield first ? OPEN : BETWEEN_PAGES;
      yield page.json;
      first = false;
      report(page.rows);
    }
    yield first ? EMPTY : CLOSE;
  }
  return Readable.from(generate(), { objectMode: false, highWaterMark: 64 * 1024 });
}

/** Who may follow an export's progress: exactly who may see its status (`authorizedRow`). */
function progressScope(row: ExportRow): ProgressScope {
  return row.subjectKind === "user" || !row.workspaceId
    ? { userId: row.subjectId }
    : { workspaceId: row.workspaceId, minRole: "admin" };
}
