import { randomUUID } from "node:crypto";
import {
  gmailConnections,
  gmailContactStats,
  gmailOauthStates,
  gmailRevocations,
  type GmailConnectionStatus,
  type Tx,
} from "@rapport/db";
import { and, asc, eq, gt, isNull, lt, lte, or, sql } from "drizzle-orm";
import { badRequest, DomainError, forbidden, notFound } from "../../errors";
import { recordAudit } from "../../platform/audit";
import type { Actor } from "../../platform/actor";
import { openSecret, sealSecret } from "../../platform/crypto";
import { CONTACT_RESTRICTED_MESSAGE } from "../../platform/privacy/restriction";
import type { ServiceDeps } from "../../platform/deps";
import { appendEvents } from "../../platform/events/outbox";
import { emailFigures } from "../interactions/public";
import {
  classifyGoogleError,
  consentUrl,
  createOAuthClient,
  gmailClient,
  type Credentials,
  type OAuth2Client,
} from "./google";
import { OAuthStateSigner, type StateClaims } from "./oauth-state";
import { GmailSync, gmailSyncJobId, type SyncOutcome } from "./sync";

export type GmailConnection = typeof gmailConnections.$inferSelect;

/** Whose mailbox connection: a connection belongs to one user in one workspace. */
export interface MailboxOwner {
  workspaceId: string;
  userId: string;
}

export const SYNC_JOB = "gmail.sync";

const REVOCATION_RETRY_MS = 5 * 60_000;
const REVOCATION_MAX_ATTEMPTS = 20;

export interface GmailStatus {
  /** Whether this server has a Google OAuth client configured at all. */
  configured: boolean;
  /** Google is the local demo stand-in (`--demo` without Google credentials), not Google. */
  demo: boolean;
  connected: boolean;
  googleEmail: string | null;
  status: GmailConnectionStatus | null;
  lastSyncAt: Date | null;
  lastError: string | null;
  contactsSynced: number;
  interactionsLogged: number;
  syncFrequencyMin: number;
  nextSyncInSec: number | null;
  lastFullSyncAt: Date | null;
  maxEmails: number;
  syncing: boolean;
  /** `jobId` follows the run live on jobs.progress. */
  progress: { processed: number; total: number; etaSec: number | null; jobId: string | null } | null;
  /** Why the last scheduled run did nothing (processing restricted), while that is still the latest news. */
  skipped: string | null;
  /** The owner's send-as addresses as Google lists them (read at connect). */
  sendAsAliases: string[];
  /** Addresses the owner named as their own. Neither list ever becomes a contact. */
  aliases: string[];
  /** Whether a message deleted in Gmail deletes the interaction imported from it. */
  deleteWithMessages: boolean;
}

export interface ContactEmailInsights {
  totalEmails: number;
  lastEmailAt: Date | null;
  lastSubject: string | null;
  emailsPerMonth: { month: string; count: number }[];
  computedAt: Date | null;
}

/** The callback's verdict on a `state`, before anyone is signed in to redeem it. */
export type StateCheck = { ok: true } | { ok: false; reason: "invalid" | "expired" | "used" };

export class GmailService {
  private readonly states: OAuthStateSigner;
  readonly sync: GmailSync;

  constructor(private readonly deps: ServiceDeps) {
    this.states = new OAuthStateSigner(deps.config.JWT_SECRET);
    this.sync = new GmailSync(deps, this);
  }

  get configured(): boolean {
    return Boolean(this.deps.config.GOOGLE_CLIENT_ID && this.deps.config.GOOGLE_CLIENT_SECRET);
  }

  private async oauthClient(): Promise<OAuth2Client> {
    if (!this.configured)
      throw new DomainError("BAD_REQUEST", "Gmail sync is not configured on this server (GOOGLE_CLIENT_ID).");
    return createOAuthClient(this.deps.config);
  }

  seal(secret: string): string {
    return sealSecret(this.deps.config.SECRET_SEALING_KEYS, secret);
  }

  open(sealed: string): string {
    return openSecret(this.deps.config.SECRET_SEALING_KEYS, sealed);
  }

  // ------------------------------------------------------------------ OAuth

  /** Google's consent URL for the caller's mailbox: offline access, read-only scope, PKCE (S256), signed single-use state. */
  async authUrl({ workspaceId, userId }: MailboxOwner): Promise<{ url: string; expiresAt: Date }> {
    const client = await this.oauthClient();
    const now = this.deps.clock.now();
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    const { state, nonce, expiresAt } = this.states.issue(userId, workspaceId, now);
    await this.deps.db.insert(gmailOauthStates).values({
      nonce,
      userId,
      workspaceId,
      codeVerifierSealed: this.seal(codeVerifier),
      expiresAt,
      createdAt: now,
    });
    return { url: await consentUrl(client, state, codeChallenge!), expiresAt };
  }

  /** For the callback page: is this state one we issued, unexpired and unused? Consumes nothing. */
  async checkState(state: string): Promise<StateCheck & { claims?: StateClaims }> {
    const verdict = this.states.verify(state, this.deps.clock.now());
    if (!verdict.ok) return verdict;
    const [row] = await this.deps.db
      .select({ nonce: gmailOauthStates.nonce })
      .from(gmailOauthStates)
      .where(eq(gmailOauthStates.nonce, verdict.claims.n));
    return row ? { ok: true, claims: verdict.claims } : { ok: false, reason: "used" };
  }

  /**
   * Redeems the state (once) and the authorization code: reads the mailbox's address, stores
   * the refresh token sealed, creates or renews the connection and queues its first sync.
   */
  async completeOAuth(
    { workspaceId, userId }: MailboxOwner,
    code: string,
    state: string,
    actor: Actor,
  ): Promise<GmailStatus> {
    const client = await this.oauthClient();
    const now = this.deps.clock.now();
    const verdict = this.states.verify(state, now);
    if (!verdict.ok)
      throw badRequest(
        verdict.reason === "expired"
          ? "This Gmail authorization has expired (10 minutes); connect again."
          : "This Gmail authorization is not valid; connect again.",
        ["state"],
      );
    const { claims } = verdict;
    if (claims.u !== userId || claims.w !== workspaceId)
      throw forbidden("This Gmail authorization was started by another user or in another workspace.");
    // Single use: the row goes now, whatever happens next.
    const [redeemed] = await this.deps.db
      .delete(gmailOauthStates)
      .where(and(eq(gmailOauthStates.nonce, claims.n), gt(gmailOauthStates.expiresAt, now)))
      .returning({ codeVerifierSealed: gmailOauthStates.codeVerifierSealed });
    if (!redeemed) throw badRequest("This Gmail authorization was already used; connect again.", ["state"]);

    let tokens: Credentials;
    try {
      ({ tokens } = await client.getToken({ code, codeVerifier: this.open(redeemed.codeVerifierSealed) }));
    } catch (error) {
      const failure = classifyGoogleError(error, now);
      this.deps.log.warn({ status: failure.status, reason: failure.reason }, "gmail: code exchange refused");
      throw badRequest("Google did not accept this authorization; connect again.", ["code"]);
    }
    if (!tokens.refresh_token)
      throw badRequest("Google granted no offline access (refresh token); connect again.", ["code"]);
    client.setCredentials(tokens);
    let profile: { emailAddress?: string | null };
    const api = await gmailClient(this.deps.config, client);
    try {
      profile = (await api.users.getProfile({ userId: "me" })).data;
    } catch (error) {
      const failure = classifyGoogleError(error, now);
      this.deps.log.warn({ status: failure.status, reason: failure.reason }, "gmail: profile read failed");
      throw new DomainError("BAD_REQUEST", "Google did not let Rapport read the mailbox; connect again.");
    }
    const googleEmail = profile.emailAddress?.toLowerCase();
    if (!googleEmail) throw new DomainError("BAD_REQUEST", "Google did not name the mailbox; connect again.");
    // The owner's send-as aliases are the owner too (never contacts). Best effort: without them only the address counts.
    let aliases: string[] = [];
    try {
      const sendAs = (await api.users.settings.sendAs.list({ userId: "me" })).data.sendAs ?? [];
      aliases = [
        ...new Set(sendAs.flatMap((entry) => (entry.sendAsEmail ? [entry.sendAsEmail.toLowerCase()] : []))),
      ].filter((address) => address !== googleEmail);
    } catch (error) {
      const failure = classifyGoogleError(error, now);
      this.deps.log.info({ status: failure.status, reason: failure.reason }, "gmail: send-as aliases not read");
    }

    const connection = await this.deps.transaction(async (tx) => {
      const [previous] = await tx
        .select()
        .from(gmailConnections)
        .where(and(eq(gmailConnections.workspaceId, workspaceId), eq(gmailConnections.userId, userId)))
        .for("update");
      const sameMailbox = previous?.googleEmail === googleEmail;
      const values = {
        googleEmail,
        refreshTokenSealed: this.seal(tokens.refresh_token!),
        accessTokenSealed: tokens.access_token ? this.seal(tokens.access_token) : null,
        accessTokenExpiresAt: tokens.expiry_date ? new Date(tokens.expiry_date) : null,
        status: "active" as const,
        lastError: null,
        nextSyncAt: now,
        throttledRuns: 0,
        skippedReason: null,
        aliases,
        updatedAt: now,
        // Another mailbox starts from scratch; the same one (a reconnect) continues where it stopped.
        ...(sameMailbox ? {} : { historyId: null, syncCursor: null, fullSyncDue: true }),
      };
      let row: GmailConnection;
      if (previous) {
        // The grant being replaced is revoked at Google too.
        await tx.insert(gmailRevocations).values({ tokenSealed: previous.refreshTokenSealed, nextAttemptAt: now });
        [row] = (await tx
          .update(gmailConnections)
          .set(values)
          .where(eq(gmailConnections.id, previous.id))
          .returning()) as [GmailConnection];
      } else {
        [row] = (await tx
          .insert(gmailConnections)
          .values({
            ...values,
            workspaceId,
            userId,
            syncFrequencyMin: this.deps.config.GMAIL_SYNC_FREQUENCY_MIN,
            createdAt: now,
          })
          .returning()) as [GmailConnection];
      }
      await appendEvents(tx, [
        {
          type: "gmail.connected",
          workspaceId,
          actorId: actor.actorId,
          payload: { connectionId: row.id, userId },
        },
      ]);
      await recordAudit(tx, {
        action: "gmail.connected",
        workspaceId,
        actorId: actor.actorId,
        targetType: "gmail_connection",
        targetId: row.id,
        ip: actor.ip,
        userAgent: actor.userAgent,
      });
      return row;
    });
    await this.enqueueSync(connection.id, "connect");
    return this.toStatus(connection);
  }

  // ------------------------------------------------------------------ status and controls

  private async connectionOf({ workspaceId, userId }: MailboxOwner): Promise<GmailConnection | undefined> {
    const [row] = await this.deps.db
      .select()
      .from(gmailConnections)
      .where(and(eq(gmailConnections.workspaceId, workspaceId), eq(gmailConnections.userId, userId)));
    return row;
  }

  private async requireConnection(owner: MailboxOwner): Promise<GmailConnection> {
    const row = await this.connectionOf(owner);
    if (!row) throw notFound("Gmail connection");
    return row;
  }

  async status(owner: MailboxOwner): Promise<GmailStatus> {
    const row = await this.connectionOf(owner);
    return row
      ? this.toStatus(row)
      : {
          configured: this.configured,
          demo: this.deps.config.GOOGLE_DEMO,
          connected: false,
          googleEmail: null,
          status: null,
          lastSyncAt: null,
          lastError: null,
          contactsSynced: 0,
          interactionsLogged: 0,
          syncFrequencyMin: this.deps.config.GMAIL_SYNC_FREQUENCY_MIN,
          nextSyncInSec: null,
          lastFullSyncAt: null,
          maxEmails: 500,
          syncing: false,
          progress: null,
          skipped: null,
          sendAsAliases: [],
          aliases: [],
          deleteWithMessages: false,
        };
  }

  toStatus(row: GmailConnection): GmailStatus {
    const now = this.deps.clock.now().getTime();
    const syncing = row.leaseUntil !== null && row.leaseUntil.getTime() > now;
    const elapsed = row.progressStartedAt ? (now - row.progressStartedAt.getTime()) / 1000 : 0;
    const remaining = Math.max(0, row.progressTotal - row.progressProcessed);
    return {
      configured: this.configured,
      demo: this.deps.config.GOOGLE_DEMO,
      connected: true,
      googleEmail: row.googleEmail,
      status: row.status,
      lastSyncAt: row.lastSyncAt,
      lastError: row.lastError,
      contactsSynced: row.contactsSynced,
      interactionsLogged: row.interactionsLogged,
      syncFrequencyMin: row.syncFrequencyMin,
      nextSyncInSec:
        row.status === "active" && row.nextSyncAt
          ? Math.max(0, Math.ceil((row.nextSyncAt.getTime() - now) / 1000))
          : null,
      lastFullSyncAt: row.lastFullSyncAt,
      maxEmails: row.maxEmails,
      syncing,
      progress: syncing
        ? {
            processed: row.progressProcessed,
            total: row.progressTotal,
            etaSec: row.progressProcessed > 0 ? Math.round((elapsed / row.progressProcessed) * remaining) : null,
            jobId: row.progressStartedAt ? gmailSyncJobId(row.id, row.progressStartedAt) : null,
          }
        : null,
      skipped:
        row.skippedReason && row.skippedAt && (!row.lastSyncAt || row.skippedAt > row.lastSyncAt)
          ? row.skippedReason
          : null,
      sendAsAliases: row.aliases,
      aliases: row.configuredAliases,
      deleteWithMessages: row.deleteWithMessages,
    };
  }

  async syncNow(owner: MailboxOwner, maxEmails?: number): Promise<GmailStatus> {
    const row = await this.requireConnection(owner);
    if (row.status === "error")
      throw new DomainError("CONFLICT", "Gmail needs to be reconnected before it can sync.", {
        reason: "reconnect_needed",
      });
    const [updated] = await this.deps.db
      .update(gmailConnections)
      .set({
        // A deeper import than before is a full pass (already stored messages are skipped, not duplicated).
        ...(maxEmails !== undefined ? { maxEmails, ...(maxEmails > row.maxEmails ? { fullSyncDue: true } : {}) } : {}),
        updatedAt: this.deps.clock.now(),
      })
      .where(eq(gmailConnections.id, row.id))
      .returning();
    await this.enqueueSync(row.id, "now");
    return this.toStatus(updated!);
  }

  async pause(owner: MailboxOwner): Promise<GmailStatus> {
    const row = await this.requireConnection(owner);
    if (row.status === "error") throw new DomainError("CONFLICT", "Gmail needs to be reconnected first.");
    return this.update(row.id, { status: "paused", nextSyncAt: null });
  }

  async resume(owner: MailboxOwner): Promise<GmailStatus> {
    const row = await this.requireConnection(owner);
    if (row.status === "error") throw new DomainError("CONFLICT", "Gmail needs to be reconnected first.");
    return this.update(row.id, { status: "active", throttledRuns: 0, nextSyncAt: this.deps.clock.now() });
  }

  async setFrequency(owner: MailboxOwner, minutes: number): Promise<GmailStatus> {
    const row = await this.requireConnection(owner);
    return this.update(row.id, {
      syncFrequencyMin: minutes,
      nextSyncAt: row.status === "active" ? this.nextRunAfter(this.deps.clock.now(), minutes) : row.nextSyncAt,
    });
  }

  /**
   * The connection's own settings. Aliases apply from the next sync on (what was imported before
   * stays); deletions are followed from the next incremental sync on.
   */
  async updateSettings(
    owner: MailboxOwner,
    settings: { aliases?: string[] | undefined; deleteWithMessages?: boolean | undefined },
  ): Promise<GmailStatus> {
    const row = await this.requireConnection(owner);
    const own = settings.aliases?.indexOf(row.googleEmail) ?? -1;
    if (own >= 0) throw badRequest("aliases: this is the mailbox's own address, already skipped", ["aliases", own]);
    return this.update(row.id, {
      ...(settings.aliases !== undefined ? { configuredAliases: settings.aliases } : {}),
      ...(settings.deleteWithMessages !== undefined ? { deleteWithMessages: settings.deleteWithMessages } : {}),
    });
  }

  private async update(id: string, values: Partial<GmailConnection>): Promise<GmailStatus> {
    const [row] = await this.deps.db
      .update(gmailConnections)
      .set({ ...values, updatedAt: this.deps.clock.now() })
      .where(eq(gmailConnections.id, id))
      .returning();
    if (!row) throw notFound("Gmail connection");
    return this.toStatus(row);
  }

  /**
   * Ends the connection: the refresh token is revoked at Google and deleted, the schedule
   * stops; the contacts and interactions it imported stay (they are the workspace's records).
   */
  async disconnect({ workspaceId, userId }: MailboxOwner, actor: Actor): Promise<{ disconnected: true }> {
    const revocationIds = await this.deps.transaction(async (tx) => {
      const [row] = await tx
        .select({ id: gmailConnections.id })
        .from(gmailConnections)
        .where(and(eq(gmailConnections.workspaceId, workspaceId), eq(gmailConnections.userId, userId)))
        .for("update");
      if (!row) throw notFound("Gmail connection");
      const ids = await removeConnections(tx, eq(gmailConnections.id, row.id), this.deps.clock.now());
      await appendEvents(tx, [
        { type: "gmail.disconnected", workspaceId, actorId: actor.actorId, payload: { connectionId: row.id, userId } },
      ]);
      await recordAudit(tx, {
        action: "gmail.disconnected",
        workspaceId,
        actorId: actor.actorId,
        targetType: "gmail_connection",
        targetId: row.id,
        ip: actor.ip,
        userAgent: actor.userAgent,
      });
      return ids;
    });
    // Revoked right away when Google answers; otherwise the scheduler's tick retries.
    await this.revokePending(revocationIds);
    return { disconnected: true };
  }

  // ------------------------------------------------------------------ scheduling

  /** The next run `minutes` after `from`, moved by up to ±10% so connections don't fire together. */
  nextRunAfter(from: Date, minutes: number): Date {
    const period = minutes * 60_000;
    const jitter = (Math.random() * 2 - 1) * 0.1 * period;
    return new Date(from.getTime() + period + jitter);
  }

  async enqueueSync(connectionId: string, trigger: string): Promise<void> {
    await this.deps.queue.enqueue(
      SYNC_JOB,
      { connectionId },
      { jobId: `gmail-sync-${connectionId}-${trigger}-${this.deps.clock.now().getTime()}` },
    );
  }

  /**
   * The scheduler's tick: queues a sync for every active connection that is due and not running,
   * retries pending revocations, and forgets expired consent states.
   */
  async runDue(limit = 200): Promise<{ queued: number; revoked: number }> {
    const now = this.deps.clock.now();
    const due = await this.deps.db
      .select({ id: gmailConnections.id, nextSyncAt: gmailConnections.nextSyncAt })
      .from(gmailConnections)
      .where(
        and(
          eq(gmailConnections.status, "active"),
          lte(gmailConnections.nextSyncAt, now),
          or(isNull(gmailConnections.leaseUntil), lt(gmailConnections.leaseUntil, now)),
        ),
      )
      .orderBy(asc(gmailConnections.nextSyncAt))
      .limit(limit);
    for (const row of due) {
      // One job per connection and due time: a tick that runs twice queues it once.
      await this.deps.queue.enqueue(
        SYNC_JOB,
        { connectionId: row.id },
        { jobId: `gmail-sync-${row.id}-due-${row.nextSyncAt!.getTime()}` },
      );
    }
    await this.deps.db.delete(gmailOauthStates).where(lte(gmailOauthStates.expiresAt, now));
    const revoked = await this.revokePending();
    return { queued: due.length, revoked };
  }

  /** Revokes queued refresh tokens at Google (all due ones, or `ids`); each revoked or given up on is deleted. */
  async revokePending(ids?: string[]): Promise<number> {
    if (!this.configured) return 0;
    const now = this.deps.clock.now();
    const rows = await this.deps.db
      .select()
      .from(gmailRevocations)
      .where(
        ids
          ? sql`${gmailRevocations.id} = ANY(${`{${ids.join(",")}}`}::uuid[])`
          : lte(gmailRevocations.nextAttemptAt, now),
      )
      .limit(100);
    let revoked = 0;
    const client = await this.oauthClient();
    for (const row of rows) {
      let done = false;
      try {
        await client.revokeToken(this.open(row.tokenSealed));
        done = true;
      } catch (error) {
        const failure = classifyGoogleError(error, now);
        // Google answers 400 invalid_token for a token already revoked or expired: nothing left to revoke.
        done =
          failure.status === 400 || failure.kind === "invalid_grant" || row.attempts + 1 >= REVOCATION_MAX_ATTEMPTS;
        this.deps.log.warn(
          { status: failure.status, reason: failure.reason, attempts: row.attempts + 1 },
          "gmail: token revocation failed",
        );
      }
      if (done) {
        await this.deps.db.delete(gmailRevocations).where(eq(gmailRevocations.id, row.id));
        revoked++;
      } else {
        await this.deps.db
          .update(gmailRevocations)
          .set({
            attempts: row.attempts + 1,
            nextAttemptAt: new Date(now.getTime() + REVOCATION_RETRY_MS * 2 ** Math.min(row.attempts, 8)),
          })
          .where(eq(gmailRevocations.id, row.id));
      }
    }
    return revoked;
  }

  /** Runs one sync of the connection to its end (the job's body; also what a benchmark calls). */
  syncConnection(connectionId: string): Promise<SyncOutcome> {
    return this.sync.run(connectionId);
  }

  // ------------------------------------------------------------------ enrichment

  /**
   * A contact's stored email figures. Refused (FORBIDDEN) while the contact restricts processing,
   * like analytics.contactRelationship: figures about a person are a use of their data, which
   * Art. 18 stops; their records stay stored and return when the restriction is lifted.
   */
  async contactInsights(workspaceId: string, contactId: string): Promise<ContactEmailInsights> {
    await this.deps.services.contacts.get(workspaceId, contactId);
    if (await this.deps.restrictions.isRestricted("contact", contactId)) throw forbidden(CONTACT_RESTRICTED_MESSAGE);
    const [row] = await this.deps.db
      .select()
      .from(gmailContactStats)
      .where(and(eq(gmailContactStats.workspaceId, workspaceId), eq(gmailContactStats.contactId, contactId)));
    if (!row) return { totalEmails: 0, lastEmailAt: null, lastSubject: null, emailsPerMonth: [], computedAt: null };
    return {
      totalEmails: row.totalEmails,
      lastEmailAt: row.lastEmailAt,
      lastSubject: row.lastSubject,
      emailsPerMonth: row.emailsPerMonth,
      computedAt: row.computedAt,
    };
  }

  /** Recomputes and stores one contact's email figures. */
  async enrichContact(workspaceId: string, contactId: string): Promise<ContactEmailInsights> {
    await this.deps.services.contacts.get(workspaceId, contactId);
    if (await this.deps.restrictions.isRestricted("contact", contactId)) throw forbidden(CONTACT_RESTRICTED_MESSAGE);
    await this.enrich(workspaceId, [contactId]);
    return this.contactInsights(workspaceId, contactId);
  }

  /** Stores the email figures of `contactIds` (after a sync touched them). */
  async enrich(workspaceId: string, contactIds: string[]): Promise<void> {
    const now = this.deps.clock.now();
    for (let i = 0; i < contactIds.length; i += 500) {
      const figures = await emailFigures(this.deps.db, workspaceId, contactIds.slice(i, i + 500), "gmail", now);
      if (figures.length === 0) continue;
      await this.deps.db
        .insert(gmailContactStats)
        .values(
          figures.map((f) => ({
            contactId: f.contactId,
            workspaceId,
            totalEmails: f.totalEmails,
            lastEmailAt: f.lastEmailAt,
            lastSubject: f.lastSubject,
            emailsPerMonth: f.emailsPerMonth,
            computedAt: now,
          })),
        )
        .onConflictDoUpdate({
          target: gmailContactStats.contactId,
          set: {
            totalEmails: sql`excluded.total_emails`,
            lastEmailAt: sql`excluded.last_email_at`,
            lastSubject: sql`excluded.last_subject`,
            emailsPerMonth: sql`excluded.emails_per_month`,
            computedAt: sql`excluded.computed_at`,
          },
        });
    }
  }

  newLeaseToken(): string {
    return randomUUID();
  }
}

/**
 * Deletes connections (inside `tx`), queueing their refresh tokens for revocation at Google.
 * Returns the queued revocations' ids.
 */
export async function removeConnections(tx: Tx, where: ReturnType<typeof eq>, now: Date): Promise<string[]> {
  const removed = await tx
    .delete(gmailConnections)
    .where(where)
    .returning({ token: gmailConnections.refreshTokenSealed });
  if (removed.length === 0) return [];
  const queued = await tx
    .insert(gmailRevocations)
    .values(removed.map((row) => ({ tokenSealed: row.token, nextAttemptAt: now, createdAt: now })))
    .returning({ id: gmailRevocations.id });
  return queued.map((row) => row.id);
}
