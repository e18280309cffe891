import { randomBytes } from "node:crypto";
import { nextWebhookAttemptDelay, parseRetryAfter, WEBHOOK_FAILING_DISABLE_MS } from "@rapport/core/webhooks";
import { signWebhook } from "@rapport/core/webhook-signature";
import {
  queryRows,
  webhookAttempts,
  webhookEndpoints,
  webhookMessages,
  type Executor,
  type WebhookAttemptTrigger,
  type WebhookMessageStatus,
} from "@rapport/db";
import { and, eq, sql } from "drizzle-orm";
import { recordAudit } from "../../platform/audit";
import { openSecret, type SealingKeys } from "../../platform/crypto";
import type { ServiceDeps } from "../../platform/deps";
import { appendEvents } from "../../platform/events/outbox";
import { OutboundRequestError, type OutboundClient } from "./outbound/post";
import {
  type AttemptRow,
  DELIVER_JOB,
  type EndpointRow,
  endpointRow,
  type MessageRow,
  messageRow,
  toAttempt,
  USER_AGENT,
} from "./shared";

/** Messages handed to the queue are its own for this long; past it the sweeper queues them again. */
const LEASE_MS = 5 * 60_000;
/** Deliveries to one endpoint running at once in one process: a slow receiver holds at most this many slots. */
const ENDPOINT_CONCURRENCY = 4;
const CLAIM_BATCH = 1_000;

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

/**
 * Delivery: due messages handed to the queue, each attempt signed, POSTed through the
 * SSRF guard and recorded with its consequences (retry, delivered, failed, endpoint disabled).
 */
export class WebhookDelivery {
  private readonly secretKey: SealingKeys;
  private readonly inFlight = new Map<string, number>();
  private dispatching: Promise<number> | null = null;
  private dispatchAgain = false;

  constructor(
    private readonly deps: ServiceDeps,
    /** Every POST goes through the SSRF guard: addresses checked at connect time, no redirects. */
    private readonly outbound: OutboundClient,
  ) {
    this.secretKey = deps.config.SECRET_SEALING_KEYS;
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

  /** Sends the message again now (trigger "manual"), whatever its state; a success marks it delivered. */
  async replay(workspaceId: string, messageId: string) {
    const message = await messageRow(this.deps.db, workspaceId, messageId);
    const endpoint = await endpointRow(this.deps.db, workspaceId, message.endpointId);
    return toAttempt(await this.attempt(message, endpoint, "manual"));
  }

  /** A `webhook.test` message, sent now; the attempt is the answer. */
  async sendTest(workspaceId: string, endpointId: string) {
    const endpoint = await endpointRow(this.deps.db, workspaceId, endpointId);
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
}

function deliverJobId(messageId: string, attempt: number): string {
  return `webhook-${messageId}-${attempt}`;
}
