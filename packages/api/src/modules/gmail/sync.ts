import type { gmail_v1 } from "@googleapis/gmail";
import { classifyMessage, decodeEncodedWords, DEFAULT_AUTOMATED_SENDERS } from "@rapport/core";
import { gmailConnections, type GmailSyncCursor } from "@rapport/db";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { safeErrorMessage } from "../../logger";
import type { ServiceDeps } from "../../platform/deps";
import type { ProgressReporter } from "../../platform/progress";
import { appendEvents } from "../../platform/events/outbox";
import type { GmailFailureReason, GmailSyncCounts, GmailSyncMode } from "../../platform/events/types";
import type { ImportedInteraction } from "../interactions/public";
import {
  classifyGoogleError,
  createOAuthClient,
  gmailClient,
  GoogleApiError,
  METADATA_HEADERS,
  type Credentials,
} from "./google";

type GmailConnection = typeof gmailConnections.$inferSelect;

/** What a sync needs from the module's service (sealing, scheduling, enrichment). */
export interface SyncHost {
  seal(secret: string): string;
  open(sealed: string): string;
  nextRunAfter(from: Date, minutes: number): Date;
  newLeaseToken(): string;
  enrich(workspaceId: string, contactIds: string[]): Promise<void>;
}

/** A running sync holds its connection this long, renewed with every stored chunk. */
const LEASE_MS = 10 * 60_000;
const LEASE_RELEASED = { leaseUntil: null, leaseToken: null };
/** Messages whose metadata is read together (progress moves a chunk at a time). */
const CHUNK = 100;
/** Chunks read ahead of what is stored; what is read while a store runs is stored together next. */
const FETCH_AHEAD = 5;
const PAGE_SIZE = 500;
/** A wait Google names that is longer than this ends the run; the next one starts after it. */
const MAX_INLINE_WAIT_MS = 30_000;
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 16_000;
/** Throttled runs in a row before the connection waits a day at most. */
const MAX_THROTTLE_DELAY_MS = 24 * 3_600_000;

export type SyncOutcome =
  | { result: "completed"; mode: GmailSyncMode; counts: GmailSyncCounts }
  | { result: "failed"; mode: GmailSyncMode; reason: GmailFailureReason; counts: GmailSyncCounts }
  | { result: "skipped"; reason: "running" | "not_active" | "restricted" | "gone" };

interface Run {
  connection: GmailConnection;
  leaseToken: string;
  gmail: gmail_v1.Gmail;
  ownAddresses: string[];
  counts: GmailSyncCounts;
  touchedContacts: Set<string>;
  startedMs: number;
  /** Token refreshes being persisted (the client's `tokens` event); awaited before the run ends. */
  tokenSaves: Promise<void>[];
  /** The run's live progress (deps.progress); the columns keep it across restarts. */
  progress: ProgressReporter | null;
  done: number;
  total: number;
}

/** A sync run's job id on the progress channel: the connection and when the run started (gmail.status names it). */
export const gmailSyncJobId = (connectionId: string, startedAt: Date) =>
  `gmail-sync-${connectionId}-${startedAt.getTime()}`;

class LeaseLostError extends Error {
  constructor() {
    super("The sync lost its lease on the connection (disconnected, or taken over after expiry)");
    this.name = "LeaseLostError";
  }
}

/**
 * One sync of one connection: a full import (newest first, up to maxEmails, resumable at the
 * stored page and offset), or an incremental one from the stored historyId (history too old:
 * a full resync). Messages are fetched with bounded concurrency and stored a chunk per
 * transaction (contacts, interactions, their events, the resume position and counts).
 */
export class GmailSync {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly service: SyncHost,
  ) {}

  private now(): Date {
    return this.deps.clock.now();
  }

  async run(connectionId: string): Promise<SyncOutcome> {
    const now = this.now();
    const leaseToken = this.service.newLeaseToken();
    const [connection] = await this.deps.db
      .update(gmailConnections)
      .set({ leaseUntil: new Date(now.getTime() + LEASE_MS), leaseToken })
      .where(
        and(
          eq(gmailConnections.id, connectionId),
          or(isNull(gmailConnections.leaseUntil), lt(gmailConnections.leaseUntil, now)),
        ),
      )
      .returning();
    if (!connection) {
      const [exists] = await this.deps.db
        .select({ id: gmailConnections.id })
        .from(gmailConnections)
        .where(eq(gmailConnections.id, connectionId));
      return { result: "skipped", reason: exists ? "running" : "gone" };
    }
    try {
      if (connection.status !== "active") return { result: "skipped", reason: "not_active" };
      // GDPR Art. 18: a member who restricted processing has their mailbox left alone, visibly.
      if (await this.deps.restrictions.isRestricted("user", connection.userId)) {
        await this.deps.db
          .update(gmailConnections)
          .set({
            skippedReason: "Skipped: you restricted the processing of your data (GDPR Art. 18).",
            skippedAt: now,
            nextSyncAt: this.service.nextRunAfter(now, connection.syncFrequencyMin),
          })
          .where(eq(gmailConnections.id, connectionId));
        return { result: "skipped", reason: "restricted" };
      }
      return await this.runLeased(connection, leaseToken);
    } finally {
      // Whatever ended the run without writing its outcome (a skip, a lost lease, a throw).
      await this.deps.db
        .update(gmailConnections)
        .set(LEASE_RELEASED)
        .where(and(eq(gmailConnections.id, connectionId), eq(gmailConnections.leaseToken, leaseToken)));
    }
  }

  private async runLeased(connection: GmailConnection, leaseToken: string): Promise<SyncOutcome> {
    const auth = await createOAuthClient(this.deps.config);
    const credentials: Credentials = { refresh_token: this.service.open(connection.refreshTokenSealed) };
    if (connection.accessTokenSealed && connection.accessTokenExpiresAt) {
      credentials.access_token = this.service.open(connection.accessTokenSealed);
      credentials.expiry_date = connection.accessTokenExpiresAt.getTime();
    }
    auth.setCredentials(credentials);
    const run: Run = {
      connection,
      leaseToken,
      gmail: await gmailClient(this.deps.config, auth),
      ownAddresses: [connection.googleEmail, ...connection.aliases, ...connection.configuredAliases],
      counts: {
        contactsCreated: 0,
        contactsUpdated: 0,
        interactionsLogged: 0,
        interactionsDeleted: 0,
        emailsProcessed: 0,
        timeTakenSec: 0,
      },
      touchedContacts: new Set(),
      startedMs: Date.now(),
      tokenSaves: [],
      progress: null,
      done: 0,
      total: 0,
    };
    // The client refreshes the access token before it expires; what it gets is kept (sealed).
    auth.on("tokens", (tokens) => {
      run.tokenSaves.push(
        this.saveTokens(connection.id, tokens).catch((error: unknown) => {
          this.deps.log.warn({ err: safeErrorMessage(error) }, "gmail: refreshed token not stored");
        }),
      );
    });
    let mode: GmailSyncMode = connection.fullSyncDue || !connection.historyId ? "full" : "incremental";
    try {
      const startedAt = this.now();
      await this.setProgress(run, { progressProcessed: 0, progressTotal: 0, progressStartedAt: startedAt });
      // The mailbox is its owner's: so is following its sync.
      run.progress = await this.deps.progress.begin(gmailSyncJobId(connection.id, startedAt), {
        kind: "gmail.sync",
        scope: { userId: connection.userId },
        stage: "syncing",
      });
      if (mode === "incremental") {
        const done = await this.incremental(run);
        if (!done) {
          mode = "resync";
          await this.full(run, "resync");
        }
      } else {
        await this.full(run, connection.historyId ? "resync" : "first");
        if (connection.syncCursor?.reason === "resync") mode = "resync";
      }
      await Promise.all(run.tokenSaves);
      await this.service.enrich(connection.workspaceId, [...run.touchedContacts]);
      const outcome = await this.finish(run, mode);
      await run.progress?.complete();
      return outcome;
    } catch (error) {
      await run.progress?.fail("The sync stopped; the Integrations page says why");
      await Promise.all(run.tokenSaves);
      if (run.touchedContacts.size > 0)
        await this.service.enrich(connection.workspaceId, [...run.touchedContacts]).catch(() => {});
      return this.fail(run, mode, error);
    }
  }

  // ---------------------------------------------------------------- Google calls

  /**
   * One Gmail call with retries: 429, 403 rate limits and 5xx wait and try again — the time
   * Google names (Retry-After or "Retry after <date>"), else exponential backoff with full
   * jitter — up to GMAIL_MAX_RETRIES. A named wait beyond MAX_INLINE_WAIT_MS ends the run instead.
   */
  private async call<T>(request: () => Promise<{ data: T }>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await request()).data;
      } catch (error) {
        const failure = classifyGoogleError(error, this.now());
        const retryable = failure.kind === "rate_limited" || failure.kind === "server";
        if (!retryable || attempt >= this.deps.config.GMAIL_MAX_RETRIES) throw failure;
        const named = failure.retryAt ? failure.retryAt.getTime() - this.now().getTime() : null;
        if (named !== null && named > MAX_INLINE_WAIT_MS) throw failure;
        const wait =
          named !== null
            ? Math.max(0, named) + Math.random() * 100
            : Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private async metadata(run: Run, ids: string[]): Promise<(gmail_v1.Schema$Message | null)[]> {
    const results: (gmail_v1.Schema$Message | null)[] = new Array(ids.length).fill(null);
    let next = 0;
    let failure: unknown = null;
    const worker = async () => {
      // After one read fails for good the others stop taking work: nothing outlives the run.
      while (next < ids.length && failure === null) {
        const index = next++;
        try {
          results[index] = await this.call(() =>
            run.gmail.users.messages.get({
              userId: "me",
              id: ids[index]!,
              format: "metadata",
              metadataHeaders: METADATA_HEADERS,
            }),
          );
        } catch (error) {
          // Deleted between listing and reading: nothing to import.
          if (!(error instanceof GoogleApiError && error.kind === "not_found")) failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.config.GMAIL_SYNC_CONCURRENCY, ids.length) }, worker));
    if (failure !== null) throw failure;
    return results;
  }

  // ---------------------------------------------------------------- full and incremental

  private async full(run: Run, reason: "first" | "resync"): Promise<void> {
    // An unfinished full sync continues at its stored page and offset.
    let cursor: GmailSyncCursor;
    if (run.connection.syncCursor) {
      cursor = run.connection.syncCursor;
      await this.setProgress(run, {
        progressProcessed: cursor.processed + cursor.offset,
        progressTotal: cursor.maxEmails,
      });
    } else {
      const profile = await this.call(() => run.gmail.users.getProfile({ userId: "me" }));
      cursor = {
        pageToken: null,
        offset: 0,
        historyId: String(profile.historyId ?? ""),
        processed: 0,
        maxEmails: run.connection.maxEmails,
        reason,
      };
      const total = Math.min(cursor.maxEmails, Number(profile.messagesTotal ?? cursor.maxEmails));
      await this.setProgress(run, { syncCursor: cursor, fullSyncDue: true, progressTotal: total });
    }
    run.connection.syncCursor = cursor;
    const pageSize = Math.min(PAGE_SIZE, cursor.maxEmails);
    while (cursor.processed < cursor.maxEmails) {
      const page = await this.call(() =>
        run.gmail.users.messages.list({
          userId: "me",
          maxResults: pageSize,
          ...(cursor.pageToken ? { pageToken: cursor.pageToken } : {}),
        }),
      );
      const ids = (page.messages ?? []).map((m) => m.id!).filter(Boolean);
      const wanted = ids.slice(0, cursor.maxEmails - cursor.processed);
      await this.importIds(run, wanted, cursor.offset, (offset) => ({ ...cursor, offset }));
      cursor = {
        ...cursor,
        pageToken: page.nextPageToken ?? null,
        offset: 0,
        processed: cursor.processed + wanted.length,
      };
      if (!page.nextPageToken || wanted.length < ids.length) break;
      await this.setProgress(run, { syncCursor: cursor });
    }
    run.connection.historyId = cursor.historyId;
  }

  /**
   * Imports what history says was added since the stored historyId and, when the connection
   * asks for it, deletes the interactions of messages deleted since. Returns false when the
   * stored historyId is too old (Google answers 404): a full resync is due.
   */
  private async incremental(run: Run): Promise<boolean> {
    const ids: string[] = [];
    const seen = new Set<string>();
    const deleted = new Set<string>();
    const followDeletions = run.connection.deleteWithMessages;
    let pageToken: string | undefined;
    let latest = run.connection.historyId!;
    try {
      do {
        const page = await this.call(() =>
          run.gmail.users.history.list({
            userId: "me",
            startHistoryId: run.connection.historyId!,
            historyTypes: followDeletions ? ["messageAdded", "messageDeleted"] : ["messageAdded"],
            maxResults: PAGE_SIZE,
            ...(pageToken ? { pageToken } : {}),
          }),
        );
        for (const record of page.history ?? [])
          for (const added of record.messagesAdded ?? []) {
            const id = added.message?.id;
            if (id && !seen.has(id)) {
              seen.add(id);
              ids.push(id);
            }
          }
        for (const record of page.history ?? [])
          for (const removed of record.messagesDeleted ?? []) if (removed.message?.id) deleted.add(removed.message.id);
        if (page.historyId) latest = String(page.historyId);
        pageToken = page.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (error) {
      if (error instanceof GoogleApiError && error.kind === "not_found") {
        this.deps.log.info({ connectionId: run.connection.id }, "gmail: history too old, full resync");
        await this.setProgress(run, { fullSyncDue: true, syncCursor: null });
        run.connection.syncCursor = null;
        return false;
      }
      throw error;
    }
    // A message added and deleted since the last run is not fetched at all.
    const added = ids.filter((id) => !deleted.has(id));
    await this.setProgress(run, { progressTotal: added.length });
    await this.importIds(run, added, 0, null);
    if (followDeletions && deleted.size > 0) await this.deleteInteractions(run, [...deleted]);
    run.connection.historyId = latest;
    return true;
  }

  /** Deletes the interactions this mailbox imported from `messageIds` (and their events) in one transaction. */
  private async deleteInteractions(run: Run, messageIds: string[]): Promise<void> {
    const { connection } = run;
    await this.deps.transaction(async (tx) => {
      const { deleted, contactIds } = await this.deps.services.interactions.deleteImported(
        tx,
        connection.workspaceId,
        "gmail",
        messageIds,
        connection.userId,
      );
      // The card's count is of the emails the workspace holds from this mailbox.
      const [still] = await tx
        .update(gmailConnections)
        .set({
          interactionsLogged: sql`greatest(0, ${gmailConnections.interactionsLogged} - ${deleted})`,
          leaseUntil: new Date(this.now().getTime() + LEASE_MS),
        })
        .where(and(eq(gmailConnections.id, connection.id), eq(gmailConnections.leaseToken, run.leaseToken)))
        .returning({ id: gmailConnections.id });
      // Disconnected (or taken over): nothing is deleted.
      if (!still) throw new LeaseLostError();
      for (const contactId of contactIds) run.touchedContacts.add(contactId);
      run.counts.interactionsDeleted += deleted;
    });
  }

  /**
   * Fetches and stores `ids` from `start`. Metadata is read a chunk at a time (each with the
   * full request concurrency), up to FETCH_AHEAD chunks ahead of what is stored, while the
   * store writes everything already read in one transaction: when the database is slower
   * than Google, batches grow instead of the reads waiting. `cursorAt(offset)` is the resume
   * position stored with each batch (null: incremental runs resume from their historyId).
   */
  private async importIds(
    run: Run,
    ids: string[],
    start: number,
    cursorAt: ((offset: number) => GmailSyncCursor) | null,
  ): Promise<void> {
    const chunks: { from: number; ids: string[] }[] = [];
    for (let from = start; from < ids.length; from += CHUNK) chunks.push({ from, ids: ids.slice(from, from + CHUNK) });
    const reads: Promise<(gmail_v1.Schema$Message | null)[]>[] = [];
    const read: boolean[] = [];
    let stopped = false;
    const readUpTo = (limit: number) => {
      while (reads.length < Math.min(limit, chunks.length)) {
        const index = reads.length;
        const chunk = chunks[index]!;
        // One chunk after the other; a failed read (or a stopped run) fails every later one unread.
        const previous = reads[index - 1] ?? Promise.resolve([]);
        const next = previous.then(() => {
          if (stopped) throw new LeaseLostError();
          return this.metadata(run, chunk.ids);
        });
        // Reported when its turn comes; until then it must not go unhandled.
        next.then(
          () => (read[index] = true),
          () => {},
        );
        reads.push(next);
      }
    };
    let stored = 0;
    try {
      while (stored < chunks.length) {
        readUpTo(stored + FETCH_AHEAD);
        const batch = [...(await reads[stored]!)];
        let end = stored + 1;
        while (end < reads.length && read[end]) batch.push(...(await reads[end++]!));
        readUpTo(end + FETCH_AHEAD);
        const last = chunks[end - 1]!;
        await this.store(run, batch, cursorAt ? cursorAt(last.from + last.ids.length) : undefined);
        stored = end;
      }
    } finally {
      // A run that ends early leaves no read running behind it.
      stopped = true;
      await Promise.allSettled(reads);
    }
  }

  /** One chunk: its people as contacts, its messages as interactions, the resume position and counts — one transaction. */
  private async store(
    run: Run,
    messages: (gmail_v1.Schema$Message | null)[],
    cursor: GmailSyncCursor | undefined,
  ): Promise<void> {
    const { connection } = run;
    const drafts = messages.flatMap((message) => {
      if (!message?.id) return [];
      const headers = new Map<string, string>();
      for (const header of message.payload?.headers ?? [])
        if (header.name && header.value != null && !headers.has(header.name.toLowerCase()))
          headers.set(header.name.toLowerCase(), header.value);
      const classified = classifyMessage({
        from: headers.get("from"),
        to: headers.get("to"),
        cc: headers.get("cc"),
        labelIds: message.labelIds,
        ownAddresses: run.ownAddresses,
        automatedSenders: this.deps.config.GMAIL_AUTOMATED_SENDERS ?? DEFAULT_AUTOMATED_SENDERS,
      });
      if (classified.skip) return [];
      const internal = Number(message.internalDate);
      const subject = headers.get("subject");
      return [
        {
          id: message.id,
          occurredAt: Number.isFinite(internal) && internal > 0 ? new Date(internal) : this.now(),
          subject: subject ? decodeEncodedWords(subject).slice(0, 500) : null,
          direction: classified.direction,
          participants: classified.participants,
        },
      ];
    });
    const now = this.now();
    await this.deps.transaction(async (tx) => {
      const people = await this.deps.services.contacts.importPeople(
        tx,
        connection.workspaceId,
        drafts.flatMap((d) => d.participants),
        "gmail",
        connection.userId,
      );
      const items: ImportedInteraction[] = drafts.flatMap((draft) => {
        const participants = draft.participants.flatMap((p) => {
          const contactId = people.contactIds.get(p.email);
          return contactId ? [{ contactId, email: p.email, displayName: p.displayName, role: p.role }] : [];
        });
        if (participants.length === 0) return [];
        return [
          {
            externalId: draft.id,
            source: "gmail" as const,
            type: "email" as const,
            direction: draft.direction,
            occurredAt: draft.occurredAt,
            subject: draft.subject,
            participants,
          },
        ];
      });
      const { logged, loggedExternalIds } = await this.deps.services.interactions.importMany(
        tx,
        connection.workspaceId,
        items,
        connection.userId,
      );
      const loggedIds = new Set(loggedExternalIds);
      for (const item of items)
        if (loggedIds.has(item.externalId)) for (const p of item.participants) run.touchedContacts.add(p.contactId);
      run.counts.contactsCreated += people.created;
      run.counts.contactsUpdated += people.updated;
      run.counts.interactionsLogged += logged;
      run.counts.emailsProcessed += messages.length;
      const [still] = await tx
        .update(gmailConnections)
        .set({
          contactsSynced: connection.contactsSynced + run.counts.contactsCreated,
          interactionsLogged: connection.interactionsLogged + run.counts.interactionsLogged,
          progressProcessed: cursor ? cursor.processed + cursor.offset : run.counts.emailsProcessed,
          ...(cursor ? { syncCursor: cursor } : {}),
          leaseUntil: new Date(now.getTime() + LEASE_MS),
        })
        .where(and(eq(gmailConnections.id, connection.id), eq(gmailConnections.leaseToken, run.leaseToken)))
        .returning({ id: gmailConnections.id });
      // Disconnected (or the lease expired and another run took over): this chunk is not stored.
      if (!still) throw new LeaseLostError();
    });
    this.reportProgress(run, {
      progressProcessed: cursor ? cursor.processed + cursor.offset : run.counts.emailsProcessed,
    });
  }

  // ---------------------------------------------------------------- bookkeeping

  private async setProgress(run: Run, values: Partial<GmailConnection>): Promise<void> {
    const [still] = await this.deps.db
      .update(gmailConnections)
      .set(values)
      .where(and(eq(gmailConnections.id, run.connection.id), eq(gmailConnections.leaseToken, run.leaseToken)))
      .returning({ id: gmailConnections.id });
    if (!still) throw new LeaseLostError();
    this.reportProgress(run, values);
  }

  /** What the columns now say, to whoever follows the run live. */
  private reportProgress(run: Run, values: Partial<GmailConnection>): void {
    if (values.progressProcessed !== undefined) run.done = values.progressProcessed;
    if (values.progressTotal !== undefined) run.total = values.progressTotal;
    if (values.progressProcessed !== undefined || values.progressTotal !== undefined)
      run.progress?.update({ done: Math.min(run.done, run.total || run.done), total: run.total || null });
  }

  private async saveTokens(connectionId: string, tokens: Credentials): Promise<void> {
    const values: Partial<GmailConnection> = {};
    if (tokens.access_token) values.accessTokenSealed = this.service.seal(tokens.access_token);
    if (tokens.expiry_date) values.accessTokenExpiresAt = new Date(tokens.expiry_date);
    // Google may rotate the refresh token; the new one replaces the old.
    if (tokens.refresh_token) values.refreshTokenSealed = this.service.seal(tokens.refresh_token);
    if (Object.keys(values).length === 0) return;
    await this.deps.db.update(gmailConnections).set(values).where(eq(gmailConnections.id, connectionId));
  }

  private elapsed(run: Run): GmailSyncCounts {
    return { ...run.counts, timeTakenSec: Math.round((Date.now() - run.startedMs) / 100) / 10 };
  }

  private async finish(run: Run, mode: GmailSyncMode): Promise<SyncOutcome> {
    const counts = this.elapsed(run);
    const now = this.now();
    const { connection } = run;
    await this.deps.transaction(async (tx) => {
      await tx
        .update(gmailConnections)
        .set({
          historyId: connection.historyId,
          syncCursor: null,
          fullSyncDue: false,
          lastSyncAt: now,
          ...(mode !== "incremental" ? { lastFullSyncAt: now } : {}),
          lastError: null,
          throttledRuns: 0,
          skippedReason: null,
          nextSyncAt: this.service.nextRunAfter(now, connection.syncFrequencyMin),
          // With the outcome, not after it: the status never shows a finished run as still
          // syncing, and the next due run is not held off by this one's lease.
          ...LEASE_RELEASED,
          updatedAt: now,
        })
        .where(and(eq(gmailConnections.id, connection.id), eq(gmailConnections.leaseToken, run.leaseToken)));
      await appendEvents(tx, [
        {
          type: "gmail.sync.completed",
          workspaceId: connection.workspaceId,
          actorId: connection.userId,
          payload: { connectionId: connection.id, mode, ...counts },
        },
      ]);
    });
    this.deps.log.info({ connectionId: connection.id, mode, ...counts }, "gmail: sync completed");
    return { result: "completed", mode, counts };
  }

  /**
   * What a failure leaves: everything stored so far stays, and so does the resume position.
   * A revoked grant stops the schedule (the user must reconnect: no retry storm); throttling
   * pushes the next run out, further with each throttled run in a row; other errors retry at
   * the next scheduled run.
   */
  private async fail(run: Run, mode: GmailSyncMode, error: unknown): Promise<SyncOutcome> {
    const counts = this.elapsed(run);
    const now = this.now();
    const { connection } = run;
    if (error instanceof LeaseLostError) {
      this.deps.log.info({ connectionId: connection.id }, "gmail: sync stopped, connection gone or taken over");
      return { result: "failed", mode, reason: "error", counts };
    }
    const failure = error instanceof GoogleApiError ? error : null;
    const reason: GmailFailureReason =
      failure?.kind === "invalid_grant" ? "reconnect_needed" : failure?.kind === "rate_limited" ? "throttled" : "error";
    const throttledRuns = reason === "throttled" ? connection.throttledRuns + 1 : 0;
    const period = connection.syncFrequencyMin * 60_000;
    const delay = Math.min(MAX_THROTTLE_DELAY_MS, period * 2 ** throttledRuns);
    const namedAt = failure?.retryAt?.getTime() ?? 0;
    const nextSyncAt =
      reason === "reconnect_needed"
        ? null
        : new Date(Math.max(now.getTime() + delay * (0.9 + Math.random() * 0.2), namedAt));
    const lastError =
      reason === "reconnect_needed"
        ? "Google access was revoked or has expired: reconnect Gmail."
        : reason === "throttled"
          ? `Google is rate-limiting this mailbox; the sync continues at ${nextSyncAt!.toISOString()}.`
          : `The sync failed (${failure ? failure.message : "internal error"}); it continues where it stopped at the next run.`;
    await this.deps.transaction(async (tx) => {
      await tx
        .update(gmailConnections)
        .set({
          ...(reason === "reconnect_needed"
            ? { status: "error" as const, accessTokenSealed: null, accessTokenExpiresAt: null }
            : {}),
          lastError,
          throttledRuns,
          nextSyncAt,
          ...LEASE_RELEASED,
          updatedAt: now,
        })
        .where(and(eq(gmailConnections.id, connection.id), eq(gmailConnections.leaseToken, run.leaseToken)));
      await appendEvents(tx, [
        {
          type: "gmail.sync.failed",
          workspaceId: connection.workspaceId,
          actorId: connection.userId,
          payload: { connectionId: connection.id, mode, reason, ...counts },
        },
      ]);
    });
    // Never the raw error: Google's errors carry the request (tokens). safeErrorMessage drops quoted values.
    this.deps.log.warn(
      {
        connectionId: connection.id,
        mode,
        reason,
        status: failure?.status,
        googleReason: failure?.reason,
        err: failure ? undefined : safeErrorMessage(error),
        ...counts,
      },
      "gmail: sync failed",
    );
    return { result: "failed", mode, reason, counts };
  }
}
