import { randomBytes } from "node:crypto";
import {
  nextWebhookAttemptDelay,
  parseRetryAfter,
  WEBHOOK_FAILING_DISABLE_MS,
  WEBHOOK_MAX_ENDPOINTS,
  WEBHOOK_PREVIOUS_SECRET_MS,
  WEBHOOK_RECOVER_MAX_MS,
} from "@rapport/core/webhooks";
import {
  queryRows,
  webhookAttempts,
  webhookEndpoints,
  webhookMessages,
  type Executor,
  type WebhookAttemptTrigger,
  type WebhookMessageStatus,
} from "@rapport/db";
import { and, count, desc, eq, sql, type SQL } from "drizzle-orm";
import { badRequest, conflict, notFound } from "../../errors";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import type { Actor } from "../../platform/actor";
import { recordAudit } from "../../platform/audit";
import { openSecret, type SealingKeys, sealSecret } from "../../platform/crypto";
import type { ServiceDeps } from "../../platform/deps";
import { appendEvents } from "../../platform/events/outbox";
import { signWebhook } from "@rapport/core/webhook-signature";
import { DestinationRefusedError } from "./outbound/destination-guard";
import { createOutboundClient, OutboundRequestError, type OutboundClient } from "./outbound/post";

export const DELIVER_JOB = "webhooks.deliver";
export const RECOVER_JOB = "webhooks.recover";

/** Messages handed to the queue are its own for this long; past it the sweeper queues them again. */
const LEASE_MS = 5 * 60_000;
/** Deliveries to one endpoint running at once in one process: a slow receiver holds at most this many slots. */
const ENDPOINT_CONCURRENCY = 4;
const USER_AGENT = "Rapport-Webhooks/1.0 (+https://github.com/rapport)";
const CLAIM_BATCH = 1_000;

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
type MessageRow = typeof webhookMessages.$inferSelect;
type AttemptRow = typeof webhookAttempts.$inferSelect;

export interface NewEndpoint {
  url: string;
  description?: string | null | undefined;
  eventTypes: string[];
  enabled?: boolean | undefined;
  rateLimitPerSecond?: number | undefined;
}

export interface EndpointPatch {
  url?: string | undefined;
  description?: string | null | undefined;
  eventTypes?: string[] | undefined;
  enabled?: boolean | undefined;
  rateLimitPerSecond?: number | undefined;
}

/** What one POST to a receiver came to. `status` 0: no HTTP answer (network error, timeout, refused address). */
interface PostResult {
  status: number;
  /** The first 4 KB of the answer, as text. */
  body: string | null;
  retryAfter: string | null;
  error: string | null;
  durationMs: number;
}

/** What `deliver` did with a queued attempt. */
type DeliverOutcome = "sent" | "stale" | "deferred";

export class WebhookService {
  private readonly secretKey: SealingKeys;
  private readonly inFlight = new Map<string, number>();
  private dispatching: Promise<number> | null = null;
  private dispatchAgain = false;
  /** Every POST goes through the SSRF guard: addresses checked at connect time, no redirects. */
  private readonly outbound: OutboundClient;

  constructor(private readonly deps: ServiceDeps) {
    this.secretKey = deps.config.SECRET_SEALING_KEYS;
    this.outbound = createOutboundClient({
      allowedCidrs: deps.config.WEBHOOK_ALLOWED_CIDRS,
      plainHttpHosts: deps.config.WEBHOOK_PLAIN_HTTP_HOSTS,
      userAgent: USER_AGENT,
    });
  }

  private async post(request: { url: string; headers: Record<string, string>; body: string }): Promise<PostResult> {
    try {
      const response = await this.outbound.post({ ...request, timeoutMs: this.deps.config.WEBHOOK_TIMEOUT_MS });
      const retryAfter = response.headers["retry-after"];
      return {
        status: response.status,
        body: response.body.length > 0 ? response.body : null,
        retryAfter: typeof retryAfter === "string" ? retryAfter : null,
        error: null,
        durationMs: Math.round(response.durationMs),
      };
    } catch (error) {
      if (!(error instanceof OutboundRequestError)) throw error;
      return {
        status: 0,
        body: null,
        retryAfter: null,
        error: error.message,
        durationMs: Math.round(error.durationMs),
      };
    }
  }

  // ---- endpoints -------------------------------------------------------------------------

  async list(workspaceId: string) {
    const rows = await this.deps.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.workspaceId, workspaceId))
      .orderBy(webhookEndpoints.createdAt, webhookEndpoints.id);
    const health = await this.health(workspaceId);
    return rows.map((row) => toEndpoint(row, health.get(row.id)));
  }

  async get(workspaceId: string, endpointId: string) {
    const row = await this.endpointRow(this.deps.db, workspaceId, endpointId);
    return toEndpoint(row, (await this.health(workspaceId, endpointId)).get(row.id));
  }

  async create(workspaceId: string, input: NewEndpoint, actor: Actor) {
    this.assertUrlAllowed(input.url);
    const secret = newSecret();
    const now = this.deps.clock.now();
    const row = await this.deps.transaction(async (tx) => {
      // Serialises creations in one workspace so the limit holds under concurrency.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('webhook_endpoints'), hashtext(${workspaceId}))`);
      const [existing] = await tx
        .select({ n: count() })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.workspaceId, workspaceId));
      if (Number(existing?.n ?? 0) >= WEBHOOK_MAX_ENDPOINTS)
        throw conflict(`A workspace has at most ${WEBHOOK_MAX_ENDPOINTS} webhook endpoints; delete one first.`, {
          limit: WEBHOOK_MAX_ENDPOINTS,
        });
      const [inserted] = await tx
        .insert(webhookEndpoints)
        .values({
          workspaceId,
          url: input.url,
          description: input.description ?? null,
          eventTypes: input.eventTypes,
          enabled: input.enabled ?? true,
          secretSealed: sealSecret(this.secretKey, secret),
          rateLimitPerSecond: input.rateLimitPerSecond ?? 10,
          createdBy: actor.actorId,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await recordAudit(tx, {
        action: "webhook.endpoint_created",
        workspaceId,
        ...actor,
        targetType: "webhook_endpoint",
        targetId: inserted!.id,
      });
      return inserted!;
    });
    return { endpoint: toEndpoint(row, undefined), secret };
  }

  async update(workspaceId: string, endpointId: string, patch: EndpointPatch, actor: Actor) {
    if (patch.url !== undefined) this.assertUrlAllowed(patch.url);
    const now = this.deps.clock.now();
    await this.deps.transaction(async (tx) => {
      const current = await this.endpointRow(tx, workspaceId, endpointId, true);
      const reenabled = patch.enabled === true && !current.enabled;
      await tx
        .update(webhookEndpoints)
        .set({
          ...(patch.url !== undefined && { url: patch.url }),
          ...(patch.description !== undefined && { description: patch.description }),
          ...(patch.eventTypes !== undefined && { eventTypes: patch.eventTypes }),
          ...(patch.rateLimitPerSecond !== undefined && { rateLimitPerSecond: patch.rateLimitPerSecond }),
          ...(patch.enabled !== undefined && { enabled: patch.enabled }),
          // Re-enabling is a fresh start: no reason left, and the five-day clock starts again.
          ...(reenabled && { disabledReason: null, disabledAt: null, failingSince: null }),
          ...(patch.enabled === false &&
            current.enabled && { disabledReason: "disabled by an admin", disabledAt: now }),
          updatedAt: now,
        })
        .where(eq(webhookEndpoints.id, endpointId));
      await recordAudit(tx, {
        action: "webhook.endpoint_updated",
        workspaceId,
        ...actor,
        targetType: "webhook_endpoint",
        targetId: endpointId,
        metadata: { fields: Object.keys(patch).filter((key) => patch[key as keyof EndpointPatch] !== undefined) },
      });
    });
    return this.get(workspaceId, endpointId);
  }

  async remove(workspaceId: string, endpointId: string, actor: Actor) {
    await this.deps.transaction(async (tx) => {
      await this.endpointRow(tx, workspaceId, endpointId, true);
      await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
      await recordAudit(tx, {
        action: "webhook.endpoint_deleted",
        workspaceId,
        ...actor,
        targetType: "webhook_endpoint",
        targetId: endpointId,
      });
    });
    return { deleted: true as const };
  }

  /** A new secret; the current one keeps signing alongside it for 24 h so receivers can switch over. */
  async rotateSecret(workspaceId: string, endpointId: string, actor: Actor) {
    const secret = newSecret();
    const now = this.deps.clock.now();
    const previousSecretExpiresAt = new Date(now.getTime() + WEBHOOK_PREVIOUS_SECRET_MS);
    await this.deps.transaction(async (tx) => {
      const current = await this.endpointRow(tx, workspaceId, endpointId, true);
      await tx
        .update(webhookEndpoints)
        .set({
          secretSealed: sealSecret(this.secretKey, secret),
          previousSecretSealed: current.secretSealed,
          previousSecretExpiresAt,
          secretRotatedAt: now,
          updatedAt: now,
        })
        .where(eq(webhookEndpoints.id, endpointId));
      await recordAudit(tx, {
        action: "webhook.secret_rotated",
        workspaceId,
        ...actor,
        targetType: "webhook_endpoint",
        targetId: endpointId,
      });
    });
    return { secret, previousSecretExpiresAt };
  }

  // ---- the log ---------------------------------------------------------------------------

  async messages(input: {
    workspaceId: string;
    endpointId: string;
    status?: WebhookMessageStatus | undefined;
    cursor?: string | null | undefined;
    limit: number;
  }) {
    await this.endpointRow(this.deps.db, input.workspaceId, input.endpointId);
    const conditions: SQL[] = [
      eq(webhookMessages.workspaceId, input.workspaceId),
      eq(webhookMessages.endpointId, input.endpointId),
    ];
    if (input.status) conditions.push(eq(webhookMessages.status, input.status));
    if (input.cursor) {
      const decoded = decodeCursor(input.cursor, 2);
      if (!decoded || typeof decoded[0] !== "string" || typeof decoded[1] !== "string")
        throw badRequest("cursor: invalid", ["cursor"]);
      const at = new Date(decoded[0]);
      if (Number.isNaN(at.getTime())) throw badRequest("cursor: invalid", ["cursor"]);
      conditions.push(
        sql`(${webhookMessages.createdAt}, ${webhookMessages.id}) < (${at.toISOString()}::timestamptz, ${decoded[1]}::uuid)`,
      );
    }
    const rows = await this.deps.db
      .select()
      .from(webhookMessages)
      .where(and(...conditions))
      .orderBy(desc(webhookMessages.createdAt), desc(webhookMessages.id))
      .limit(input.limit + 1);
    const items = rows.slice(0, input.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toMessage),
      nextCursor: rows.length > input.limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }

  async attempts(workspaceId: string, messageId: string) {
    const message = await this.messageRow(workspaceId, messageId);
    const rows = await this.deps.db
      .select()
      .from(webhookAttempts)
      .where(eq(webhookAttempts.messageId, messageId))
      .orderBy(desc(webhookAttempts.attempt), desc(webhookAttempts.createdAt));
    return { message: { ...toMessage(message), body: message.body }, attempts: rows.map(toAttempt) };
  }

  /** Sends the message again now (trigger "manual"), whatever its state; a success marks it delivered. */
  async replay(workspaceId: string, messageId: string) {
    const message = await this.messageRow(workspaceId, messageId);
    const endpoint = await this.endpointRow(this.deps.db, workspaceId, message.endpointId);
    return toAttempt(await this.attempt(message, endpoint, "manual"));
  }

  /** A `webhook.test` message, sent now; the attempt is the answer. */
  async sendTest(workspaceId: string, endpointId: string) {
    const endpoint = await this.endpointRow(this.deps.db, workspaceId, endpointId);
    const now = this.deps.clock.now();
    const body = JSON.stringify({
      type: "webhook.test",
      timestamp: now.toISOString(),
      data: { endpointId, message: "Test message from Rapport" },
    });
    const [message] = await this.deps.db
      .insert(webhookMessages)
      .values({ workspaceId, endpointId, eventType: "webhook.test", body, createdAt: now, nextAttemptAt: null })
      .returning();
    return toAttempt(await this.attempt(message!, endpoint, "manual"));
  }

  /** Queues a background job that sends again every message of the endpoint that failed since `since`. */
  async recover(workspaceId: string, endpointId: string, since: Date) {
    await this.endpointRow(this.deps.db, workspaceId, endpointId);
    if (since.getTime() < this.deps.clock.now().getTime() - WEBHOOK_RECOVER_MAX_MS)
      throw badRequest("since: at most 14 days back", ["since"]);
    const jobId = await this.deps.queue.enqueue(
      RECOVER_JOB,
      { workspaceId, endpointId, since: since.toISOString() },
      { jobId: `webhook-recover-${workspaceId}-${endpointId}-${randomBytes(6).toString("hex")}` },
    );
    return { jobId };
  }

  async recoverStatus(workspaceId: string, jobId: string) {
    const status = jobId.startsWith(`webhook-recover-${workspaceId}-`) ? await this.deps.queue.status(jobId) : null;
    if (!status) throw notFound("Recovery job");
    return {
      state: status.state,
      progress: status.progress,
      result: status.result as { requeued: number } | undefined,
      failedReason: status.failedReason ?? null,
    };
  }

  /** The recovery job: failed messages since `since` become pending again, a page at a time, with progress. */
  async runRecover(
    input: { workspaceId: string; endpointId: string; since: Date },
    progress: (percent: number) => Promise<void>,
  ) {
    const scope = and(
      eq(webhookMessages.workspaceId, input.workspaceId),
      eq(webhookMessages.endpointId, input.endpointId),
      eq(webhookMessages.status, "failed"),
      sql`${webhookMessages.createdAt} >= ${input.since.toISOString()}::timestamptz`,
    );
    const [total] = await this.deps.db.select({ n: count() }).from(webhookMessages).where(scope);
    const totalCount = Number(total?.n ?? 0);
    let requeued = 0;
    for (;;) {
      const now = this.deps.clock.now();
      const rows = await queryRows<{ id: string }>(
        this.deps.db,
        sql`UPDATE webhook_messages SET status = 'pending', next_attempt_at = ${now.toISOString()}::timestamptz, queued_until = NULL
            WHERE id IN (SELECT id FROM webhook_messages WHERE ${scope} ORDER BY created_at LIMIT 500)
            RETURNING id`,
      );
      if (rows.length === 0) break;
      requeued += rows.length;
      await this.dispatchDue();
      await progress(totalCount === 0 ? 100 : Math.min(99, Math.round((requeued / totalCount) * 100)));
    }
    await progress(100);
    return { requeued };
  }

  // ---- delivery --------------------------------------------------------------------------

  /**
   * Hands every due pending message to the queue, marking it as handed over (a lease) in
   * the same statement, so concurrent sweeps on several instances never queue one twice.
   * Runs after the outbox consumer commits, and on a schedule as the backstop for
   * anything a crash or a lost queue left behind.
   */
  dispatchDue(): Promise<number> {
    if (this.dispatching) {
      this.dispatchAgain = true;
      return this.dispatching;
    }
    this.dispatching = (async () => {
      let total = 0;
      try {
        do {
          this.dispatchAgain = false;
          for (;;) {
            const claimed = await this.claimDue();
            total += claimed;
            if (claimed < CLAIM_BATCH) break;
          }
        } while (this.dispatchAgain);
      } finally {
        this.dispatching = null;
      }
      return total;
    })();
    return this.dispatching;
  }

  private async claimDue(): Promise<number> {
    const now = this.deps.clock.now();
    const leaseUntil = new Date(now.getTime() + LEASE_MS);
    const rows = await queryRows<{ id: string; attempts: number }>(
      this.deps.db,
      sql`UPDATE webhook_messages m SET queued_until = ${leaseUntil.toISOString()}::timestamptz
          FROM (SELECT id FROM webhook_messages
                WHERE status = 'pending' AND next_attempt_at <= ${now.toISOString()}::timestamptz
                  AND (queued_until IS NULL OR queued_until < ${now.toISOString()}::timestamptz)
                ORDER BY next_attempt_at LIMIT ${CLAIM_BATCH}
                FOR UPDATE SKIP LOCKED) due
          WHERE m.id = due.id
          RETURNING m.id, m.attempts`,
    );
    await this.deps.queue.enqueueMany(
      DELIVER_JOB,
      rows.map((row) => ({
        data: { messageId: row.id, attempt: Number(row.attempts) + 1 },
        options: { jobId: deliverJobId(row.id, Number(row.attempts) + 1) },
      })),
    );
    return rows.length;
  }

  /** The delivery job: one scheduled attempt of one message, unless it is no longer due. */
  async deliver(messageId: string, attempt: number): Promise<DeliverOutcome> {
    const [row] = await this.deps.db
      .select({ message: webhookMessages, endpoint: webhookEndpoints })
      .from(webhookMessages)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookMessages.endpointId))
      .where(eq(webhookMessages.id, messageId));
    if (row?.message.status !== "pending" || row.message.attempts + 1 !== attempt) return "stale";
    const { message, endpoint } = row;
    if (!endpoint.enabled) {
      await this.deps.db
        .update(webhookMessages)
        .set({ status: "failed", nextAttemptAt: null, queuedUntil: null })
        .where(and(eq(webhookMessages.id, messageId), eq(webhookMessages.status, "pending")));
      return "stale";
    }
    const busy = this.inFlight.get(endpoint.id) ?? 0;
    const rate =
      busy < ENDPOINT_CONCURRENCY
        ? await this.deps.rateLimiter.hit(`webhook:${endpoint.id}`, endpoint.rateLimitPerSecond, 1)
        : null;
    if (!rate?.allowed) {
      // Not an attempt: this endpoint is at its concurrency or rate limit; try again shortly.
      const waitMs = rate ? Math.max(1, rate.retryAfterSeconds) * 1_000 * Math.random() + 50 : 50 + 200 * Math.random();
      await this.deps.queue.enqueue(
        DELIVER_JOB,
        { messageId, attempt },
        { jobId: `${deliverJobId(messageId, attempt)}-w${randomBytes(4).toString("hex")}`, delayMs: waitMs },
      );
      return "deferred";
    }
    this.inFlight.set(endpoint.id, busy + 1);
    try {
      await this.attempt(message, endpoint, "scheduled");
    } finally {
      const left = (this.inFlight.get(endpoint.id) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(endpoint.id);
      else this.inFlight.set(endpoint.id, left);
    }
    return "sent";
  }

  /**
   * Signs and POSTs the stored body, then records the attempt and its consequences in
   * one transaction: the message delivered, scheduled again or failed for good; the
   * endpoint's failing clock reset or advanced; the endpoint disabled on 410 Gone or
   * after five days of failures only.
   */
  private async attempt(
    message: MessageRow,
    endpoint: EndpointRow,
    trigger: WebhookAttemptTrigger,
  ): Promise<AttemptRow> {
    const started = this.deps.clock.now();
    const secrets = [openSecret(this.secretKey, endpoint.secretSealed)];
    if (
      endpoint.previousSecretSealed &&
      endpoint.previousSecretExpiresAt &&
      endpoint.previousSecretExpiresAt.getTime() > started.getTime()
    )
      secrets.push(openSecret(this.secretKey, endpoint.previousSecretSealed));
    const timestamp = Math.floor(started.getTime() / 1_000);
    const headers = {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      "webhook-id": message.id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": await signWebhook({ id: message.id, timestamp, body: message.body, secrets }),
    };
    const result = await this.post({ url: endpoint.url, headers, body: message.body });
    const now = this.deps.clock.now();
    const ok = result.status >= 200 && result.status < 300;
    const attemptNumber = message.attempts + 1;
    const plan = this.planAfter(message, result, ok, attemptNumber, trigger, now);
    const failingSince = ok ? null : (endpoint.failingSince ?? now);
    const disableReason =
      result.status === 410
        ? "The receiver answered 410 Gone"
        : !ok && endpoint.enabled && now.getTime() - failingSince!.getTime() >= WEBHOOK_FAILING_DISABLE_MS
          ? "Every delivery failed for 5 days"
          : null;

    const recorded = await this.deps.transaction(async (tx) => {
      const [attemptRow] = await tx
        .insert(webhookAttempts)
        .values({
          messageId: message.id,
          endpointId: endpoint.id,
          workspaceId: message.workspaceId,
          attempt: attemptNumber,
          trigger,
          statusCode: result.status,
          ok,
          durationMs: result.durationMs,
          requestHeaders: { ...headers, "webhook-signature": headers["webhook-signature"] },
          responseBody: result.body,
          error: result.error ? result.error.slice(0, 500) : ok ? null : `HTTP ${result.status}`,
          nextAttemptAt: plan.nextAttemptAt,
          createdAt: now,
        })
        .returning();
      await tx
        .update(webhookMessages)
        .set({
          attempts: sql`${webhookMessages.attempts} + 1`,
          lastStatusCode: result.status,
          ...(plan.status && { status: plan.status }),
          ...(plan.status === "delivered" && { deliveredAt: now }),
          ...(plan.status !== undefined && {
            nextAttemptAt: plan.nextAttemptAt,
            queuedUntil: plan.nextAttemptAt ? new Date(plan.nextAttemptAt.getTime() + LEASE_MS) : null,
          }),
        })
        .where(eq(webhookMessages.id, message.id));
      if (ok) {
        if (endpoint.failingSince)
          await tx.update(webhookEndpoints).set({ failingSince: null }).where(eq(webhookEndpoints.id, endpoint.id));
      } else if (!endpoint.failingSince) {
        await tx
          .update(webhookEndpoints)
          .set({ failingSince: now })
          .where(and(eq(webhookEndpoints.id, endpoint.id), sql`${webhookEndpoints.failingSince} IS NULL`));
      }
      if (disableReason) await this.disable(tx, endpoint, disableReason, now);
      return attemptRow!;
    });
    if (plan.status === "pending" && plan.nextAttemptAt && !disableReason) {
      await this.deps.queue.enqueue(
        DELIVER_JOB,
        { messageId: message.id, attempt: attemptNumber + 1 },
        { jobId: deliverJobId(message.id, attemptNumber + 1), delayMs: plan.delayMs },
      );
    }
    return recorded;
  }

  /** What becomes of the message after an attempt (no status: unchanged). */
  private planAfter(
    message: MessageRow,
    result: PostResult,
    ok: boolean,
    attemptNumber: number,
    trigger: WebhookAttemptTrigger,
    now: Date,
  ): { status?: WebhookMessageStatus; nextAttemptAt: Date | null; delayMs?: number } {
    if (ok) return { status: "delivered", nextAttemptAt: null };
    if (result.status === 410) return { status: "failed", nextAttemptAt: null };
    // A manual attempt that failed leaves a message that is still being retried alone; anything else failed.
    if (trigger === "manual")
      return message.status === "pending" && message.nextAttemptAt
        ? { nextAttemptAt: message.nextAttemptAt }
        : { status: "failed", nextAttemptAt: null };
    const retryAfter =
      result.status === 429 || result.status === 503 ? parseRetryAfter(result.retryAfter, now.getTime()) : null;
    const delayMs = nextWebhookAttemptDelay(
      attemptNumber,
      Math.random(),
      retryAfter,
      this.deps.config.WEBHOOK_RETRY_DELAY_SCALE,
    );
    if (delayMs === null) return { status: "failed", nextAttemptAt: null };
    return { status: "pending", nextAttemptAt: new Date(now.getTime() + delayMs), delayMs };
  }

  /** Disables the endpoint (its pending messages fail; `recover` can send them later) and tells the workspace's feed. */
  private async disable(tx: Executor, endpoint: EndpointRow, reason: string, now: Date) {
    const [changed] = await tx
      .update(webhookEndpoints)
      .set({ enabled: false, disabledReason: reason, disabledAt: now, updatedAt: now })
      .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.enabled, true)))
      .returning({ id: webhookEndpoints.id });
    if (!changed) return;
    await tx
      .update(webhookMessages)
      .set({ status: "failed", nextAttemptAt: null, queuedUntil: null })
      .where(and(eq(webhookMessages.endpointId, endpoint.id), eq(webhookMessages.status, "pending")));
    await appendEvents(tx, [
      {
        type: "webhook.endpoint_disabled",
        workspaceId: endpoint.workspaceId,
        actorId: null,
        payload: { endpointId: endpoint.id, reason },
      },
    ]);
    await recordAudit(tx, {
      action: "webhook.endpoint_disabled",
      workspaceId: endpoint.workspaceId,
      targetType: "webhook_endpoint",
      targetId: endpoint.id,
      metadata: { reason },
    });
    this.deps.log.warn(
      { endpointId: endpoint.id, workspaceId: endpoint.workspaceId, reason },
      "webhook endpoint disabled",
    );
  }

  /** The daily retention job: messages (and their attempts) older than WEBHOOK_RETENTION_DAYS are deleted. */
  async purge(): Promise<{ deleted: number }> {
    const cutoff = new Date(this.deps.clock.now().getTime() - this.deps.config.WEBHOOK_RETENTION_DAYS * 86_400_000);
    let deleted = 0;
    for (;;) {
      const rows = await queryRows<{ id: string }>(
        this.deps.db,
        sql`DELETE FROM webhook_messages WHERE id IN (
              SELECT id FROM webhook_messages WHERE created_at < ${cutoff.toISOString()}::timestamptz LIMIT 5000)
            RETURNING id`,
      );
      deleted += rows.length;
      if (rows.length < 5_000) break;
    }
    return { deleted };
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** https (or plain http for a configured host) to an address the SSRF guard allows; the error says why not. */
  private assertUrlAllowed(value: string) {
    try {
      this.outbound.checkUrl(value);
    } catch (error) {
      if (error instanceof DestinationRefusedError) throw badRequest(`url: ${error.message}`, ["url"]);
      throw error;
    }
  }

  private async endpointRow(executor: Executor, workspaceId: string, endpointId: string, lock = false) {
    const query = executor
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, endpointId)));
    const [row] = lock ? await query.for("update") : await query;
    if (!row) throw notFound("Webhook endpoint");
    return row;
  }

  private async messageRow(workspaceId: string, messageId: string) {
    const [row] = await this.deps.db
      .select()
      .from(webhookMessages)
      .where(and(eq(webhookMessages.workspaceId, workspaceId), eq(webhookMessages.id, messageId)));
    if (!row) throw notFound("Webhook message");
    return row;
  }

  private async health(workspaceId: string, endpointId?: string) {
    const since = new Date(this.deps.clock.now().getTime() - 86_400_000);
    const rows = await queryRows<{
      id: string;
      attempts: number | string;
      succeeded: number | string;
      last_status: number | null;
      last_at: Date | string | null;
    }>(
      this.deps.db,
      sql`SELECT e.id,
                 (SELECT count(*) FROM webhook_attempts a WHERE a.endpoint_id = e.id AND a.created_at > ${since.toISOString()}::timestamptz) AS attempts,
                 (SELECT count(*) FROM webhook_attempts a WHERE a.endpoint_id = e.id AND a.created_at > ${since.toISOString()}::timestamptz AND a.ok) AS succeeded,
                 l.status_code AS last_status, l.created_at AS last_at
          FROM webhook_endpoints e
          LEFT JOIN LATERAL (SELECT status_code, created_at FROM webhook_attempts a
                             WHERE a.endpoint_id = e.id ORDER BY a.created_at DESC LIMIT 1) l ON true
          WHERE e.workspace_id = ${workspaceId}::uuid ${endpointId ? sql`AND e.id = ${endpointId}::uuid` : sql``}`,
    );
    return new Map(
      rows.map((row) => {
        const attempts = Number(row.attempts);
        return [
          row.id,
          {
            attempts24h: attempts,
            successRate24h: attempts === 0 ? null : Number(row.succeeded) / attempts,
            lastStatusCode: row.last_status === null ? null : Number(row.last_status),
            lastAttemptAt: row.last_at === null ? null : new Date(row.last_at),
          },
        ];
      }),
    );
  }
}

type Health = {
  attempts24h: number;
  successRate24h: number | null;
  lastStatusCode: number | null;
  lastAttemptAt: Date | null;
};

function newSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

function deliverJobId(messageId: string, attempt: number): string {
  return `webhook-${messageId}-${attempt}`;
}

function toEndpoint(row: EndpointRow, health: Health | undefined) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt,
    rateLimitPerSecond: row.rateLimitPerSecond,
    secretRotatedAt: row.secretRotatedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    health: health ?? { attempts24h: 0, successRate24h: null, lastStatusCode: null, lastAttemptAt: null },
  };
}

function toMessage(row: MessageRow) {
  return {
    id: row.id,
    endpointId: row.endpointId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
    lastStatusCode: row.lastStatusCode,
  };
}

function toAttempt(row: AttemptRow) {
  return {
    id: row.id,
    messageId: row.messageId,
    attempt: row.attempt,
    trigger: row.trigger,
    statusCode: row.statusCode,
    ok: row.ok,
    durationMs: row.durationMs,
    responseBody: row.responseBody,
    error: row.error,
    requestHeaders: row.requestHeaders,
    nextAttemptAt: row.nextAttemptAt,
    createdAt: row.createdAt,
  };
}
