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
import { and, eq, inArray, sql } from "drizzle-orm";
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
/**
 * POSTs to one endpoint in flight at once, across every worker process: a slow receiver
 * holds at most this many, and one receiver never gets more than this many connections.
 */
const ENDPOINT_CONCURRENCY = 4;
/** Messages of one endpoint per delivery job: the database and queue work is paid once per batch. */
export const DELIVERY_BATCH = 25;
/** A batch stops starting POSTs after this long and hands the rest on, so it never outlives its lease. */
const BATCH_BUDGET_MS = 30_000;
const CLAIM_BATCH = 1_000;

/** One message of a delivery job: the attempt it is for (a job for an attempt already made is stale). */
export interface DeliveryItem {
  id: string;
  attempt: number;
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

/** One attempt made, not yet recorded. */
interface Sent {
  message: MessageRow;
  trigger: WebhookAttemptTrigger;
  headers: Record<string, string>;
  result: PostResult;
  at: Date;
}

/** What `deliver` did with a queued batch. */
interface DeliverOutcome {
  sent: number;
  stale: number;
  /** Handed on to a later job: the endpoint was at its concurrency or rate limit, or the batch ran out of time. */
  deferred: number;
}

/**
 * Delivery: due messages handed to the queue in per-endpoint batches, each attempt signed,
 * POSTed through the SSRF guard and recorded with its consequences (retry, delivered,
 * failed, endpoint disabled).
 */
export class WebhookDelivery {
  private readonly secretKey: SealingKeys;
  private dispatching: Promise<number> | null = null;
  private dispatchAgain = false;

  constructor(
    private readonly deps: ServiceDeps,
    /** Every POST goes through the SSRF guard: addresses checked at connect time, no redirects. */
    private readonly outbound: OutboundClient,
  ) {
    this.secretKey = deps.config.SECRET_SEALING_KEYS;
  }

  /** Sends the message again now (trigger "manual"), whatever its state; a success marks it delivered. */
  async replay(workspaceId: string, messageId: string) {
    const message = await messageRow(this.deps.db, workspaceId, messageId);
    const endpoint = await endpointRow(this.deps.db, workspaceId, message.endpointId);
    return toAttempt(await this.attemptNow(message, endpoint));
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
    return toAttempt(await this.attemptNow(message!, endpoint));
  }

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
    const rows = await queryRows<{
      id: string;
      endpoint_id: string;
      attempts: number;
      next_attempt_at: Date | string;
      created_at: Date | string;
    }>(
      this.deps.db,
      sql`UPDATE webhook_messages m SET queued_until = ${leaseUntil.toISOString()}::timestamptz
          FROM (SELECT id FROM webhook_messages
                WHERE status = 'pending' AND next_attempt_at <= ${now.toISOString()}::timestamptz
                  AND (queued_until IS NULL OR queued_until < ${now.toISOString()}::timestamptz)
                ORDER BY next_attempt_at LIMIT ${CLAIM_BATCH}
                FOR UPDATE SKIP LOCKED) due
          WHERE m.id = due.id
          RETURNING m.id, m.endpoint_id, m.attempts, m.next_attempt_at, m.created_at`,
    );
    // Oldest first within each endpoint (RETURNING keeps no order).
    const ordered = [...rows].sort(
      (a, b) =>
        new Date(a.next_attempt_at).getTime() - new Date(b.next_attempt_at).getTime() ||
        new Date(a.created_at).getTime() - new Date(b.created_at).getTime(),
    );
    const byEndpoint = new Map<string, DeliveryItem[]>();
    for (const row of ordered) {
      const items = byEndpoint.get(row.endpoint_id) ?? [];
      items.push({ id: row.id, attempt: Number(row.attempts) + 1 });
      byEndpoint.set(row.endpoint_id, items);
    }
    const jobs: { data: { endpointId: string; messages: DeliveryItem[] }; options: { jobId: string } }[] = [];
    for (const [endpointId, items] of byEndpoint) {
      for (let i = 0; i < items.length; i += DELIVERY_BATCH) {
        const messages = items.slice(i, i + DELIVERY_BATCH);
        // A claim is unique (its lease); the id keeps a retried enqueue of this very claim from doubling it.
        jobs.push({
          data: { endpointId, messages },
          options: { jobId: `webhook-${messages[0]!.id}-${messages[0]!.attempt}-${leaseUntil.getTime()}` },
        });
      }
    }
    await this.deps.queue.enqueueMany(DELIVER_JOB, jobs);
    return rows.length;
  }

  /**
   * The delivery job: the scheduled attempts of a batch of one endpoint's messages, except
   * those no longer due. It holds one of the endpoint's concurrency slots (shared by every
   * worker) and sends one message at a time, within the endpoint's rate limit; what it
   * cannot send now goes to a later job. Attempts are recorded together at the end.
   */
  async deliver(items: DeliveryItem[]): Promise<DeliverOutcome> {
    const outcome: DeliverOutcome = { sent: 0, stale: 0, deferred: 0 };
    if (items.length === 0) return outcome;
    const wanted = new Map(items.map((item) => [item.id, item.attempt]));
    const rows = await this.deps.db
      .select({ message: webhookMessages, endpoint: webhookEndpoints })
      .from(webhookMessages)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookMessages.endpointId))
      .where(inArray(webhookMessages.id, [...wanted.keys()]));
    const due = rows
      .filter((row) => row.message.status === "pending" && row.message.attempts + 1 === wanted.get(row.message.id))
      .sort(
        (a, b) =>
          items.findIndex((item) => item.id === a.message.id) - items.findIndex((item) => item.id === b.message.id),
      );
    outcome.stale = items.length - due.length;
    // A batch is one endpoint's by construction; group anyway rather than trust it.
    const byEndpoint = new Map<string, { endpoint: EndpointRow; messages: MessageRow[] }>();
    for (const row of due) {
      const group = byEndpoint.get(row.endpoint.id) ?? { endpoint: row.endpoint, messages: [] };
      group.messages.push(row.message);
      byEndpoint.set(row.endpoint.id, group);
    }
    for (const { endpoint, messages } of byEndpoint.values()) {
      const result = await this.deliverToEndpoint(endpoint, messages);
      outcome.sent += result.sent;
      outcome.stale += result.stale;
      outcome.deferred += result.deferred;
    }
    return outcome;
  }

  private async deliverToEndpoint(endpoint: EndpointRow, messages: MessageRow[]): Promise<DeliverOutcome> {
    if (!endpoint.enabled) {
      await this.deps.db
        .update(webhookMessages)
        .set({ status: "failed", nextAttemptAt: null, queuedUntil: null })
        .where(
          and(
            inArray(
              webhookMessages.id,
              messages.map((message) => message.id),
            ),
            eq(webhookMessages.status, "pending"),
          ),
        );
      return { sent: 0, stale: messages.length, deferred: 0 };
    }
    const slotKey = `webhook:${endpoint.id}`;
    const started = Date.now();
    const slot = await this.deps.rateLimiter.acquireSlot(
      slotKey,
      ENDPOINT_CONCURRENCY,
      BATCH_BUDGET_MS + 2 * this.deps.config.WEBHOOK_TIMEOUT_MS,
    );
    if (!slot) {
      // Not an attempt: the endpoint already has all its POSTs in flight; try shortly.
      await this.handOn(endpoint.id, messages, 50 + 200 * Math.random());
      return { sent: 0, stale: 0, deferred: messages.length };
    }
    const sent: Sent[] = [];
    let next = 0;
    try {
      const secrets = this.secretsOf(endpoint, this.deps.clock.now());
      let tokens = 0;
      while (next < messages.length) {
        if (Date.now() - started > BATCH_BUDGET_MS) {
          await this.handOn(endpoint.id, messages.slice(next), 0);
          break;
        }
        if (tokens === 0) {
          const rate = await this.deps.rateLimiter.take(
            `webhook-rate:${endpoint.id}`,
            endpoint.rateLimitPerSecond,
            1,
            messages.length - next,
          );
          tokens = rate.granted;
          if (tokens === 0) {
            // At the endpoint's rate limit: the rest waits for the next window (plus jitter, so batches spread).
            await this.handOn(endpoint.id, messages.slice(next), rate.retryAfterMs + 100 * Math.random());
            break;
          }
        }
        tokens--;
        const message = messages[next++]!;
        const attempt = await this.send(message, endpoint, secrets, "scheduled");
        sent.push(attempt);
        // 410 Gone disables the endpoint: the rest of the batch fails with it rather than being sent.
        if (attempt.result.status === 410) break;
      }
    } finally {
      await this.deps.rateLimiter.releaseSlot(slotKey, slot);
    }
    if (sent.length > 0) await this.record(endpoint, sent);
    return { sent: sent.length, stale: 0, deferred: messages.length - next };
  }

  /** Queues these messages' attempts again after `delayMs` (not an attempt: nothing was sent). */
  private async handOn(endpointId: string, messages: MessageRow[], delayMs: number) {
    if (messages.length === 0) return;
    const first = messages[0]!;
    await this.deps.queue.enqueue(
      DELIVER_JOB,
      { endpointId, messages: messages.map((message) => ({ id: message.id, attempt: message.attempts + 1 })) },
      { jobId: `${deliverJobId(first.id, first.attempts + 1)}-w${randomBytes(4).toString("hex")}`, delayMs },
    );
  }

  /** One manual attempt (replay, test), sent and recorded now. */
  private async attemptNow(message: MessageRow, endpoint: EndpointRow): Promise<AttemptRow> {
    const attempt = await this.send(message, endpoint, this.secretsOf(endpoint, this.deps.clock.now()), "manual");
    const [recorded] = await this.record(endpoint, [attempt]);
    return recorded!;
  }

  /** The current secret, and the previous one while it still signs after a rotation. */
  private secretsOf(endpoint: EndpointRow, now: Date): string[] {
    const secrets = [openSecret(this.secretKey, endpoint.secretSealed)];
    if (
      endpoint.previousSecretSealed &&
      endpoint.previousSecretExpiresAt &&
      endpoint.previousSecretExpiresAt.getTime() > now.getTime()
    )
      secrets.push(openSecret(this.secretKey, endpoint.previousSecretSealed));
    return secrets;
  }

  /** Signs and POSTs the stored body (the same bytes on every attempt). */
  private async send(
    message: MessageRow,
    endpoint: EndpointRow,
    secrets: string[],
    trigger: WebhookAttemptTrigger,
  ): Promise<Sent> {
    const timestamp = Math.floor(this.deps.clock.now().getTime() / 1_000);
    const headers = {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      "webhook-id": message.id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": await signWebhook({ id: message.id, timestamp, body: message.body, secrets }),
    };
    const result = await this.post({ url: endpoint.url, headers, body: message.body });
    return { message, trigger, headers, result, at: this.deps.clock.now() };
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

  /**
   * Records attempts to one endpoint and their consequences in one transaction: each
   * message delivered, scheduled again or failed for good; the endpoint's failing clock
   * reset (any success) or started; the endpoint disabled on 410 Gone or after five days
   * of failures only. Then queues the retries.
   */
  private async record(endpoint: EndpointRow, attempts: Sent[]): Promise<AttemptRow[]> {
    const plans = attempts.map((attempt) => {
      const ok = attempt.result.status >= 200 && attempt.result.status < 300;
      const number = attempt.message.attempts + 1;
      return { ...attempt, ok, number, plan: this.planAfter(attempt, ok, number) };
    });
    // The failing clock after these attempts, in the order they were made.
    let failingSince = endpoint.failingSince;
    for (const { ok, at } of plans) failingSince = ok ? null : (failingSince ?? at);
    const last = plans[plans.length - 1]!;
    const disableReason = plans.some(({ result }) => result.status === 410)
      ? "The receiver answered 410 Gone"
      : !last.ok && endpoint.enabled && last.at.getTime() - failingSince!.getTime() >= WEBHOOK_FAILING_DISABLE_MS
        ? "Every delivery failed for 5 days"
        : null;

    const recorded = await this.deps.transaction(async (tx) => {
      const rows = await tx
        .insert(webhookAttempts)
        .values(
          plans.map(({ message, trigger, headers, result, ok, number, plan, at }) => ({
            messageId: message.id,
            endpointId: endpoint.id,
            workspaceId: message.workspaceId,
            attempt: number,
            trigger,
            statusCode: result.status,
            ok,
            durationMs: result.durationMs,
            requestHeaders: headers,
            responseBody: result.body,
            error: result.error ? result.error.slice(0, 500) : ok ? null : `HTTP ${result.status}`,
            nextAttemptAt: plan.nextAttemptAt,
            createdAt: at,
          })),
        )
        .returning();
      // Every message in one statement; a plan without a status leaves status, schedule and lease alone.
      const values = plans.map(
        ({ message, result, plan, at }) =>
          sql`(${message.id}::uuid, ${result.status}::int, ${plan.status ?? null}::text, ${plan.status !== undefined}::boolean,
               ${plan.nextAttemptAt?.toISOString() ?? null}::timestamptz,
               ${plan.nextAttemptAt ? new Date(plan.nextAttemptAt.getTime() + LEASE_MS).toISOString() : null}::timestamptz,
               ${at.toISOString()}::timestamptz)`,
      );
      await tx.execute(
        sql`UPDATE webhook_messages m SET
              attempts = m.attempts + 1,
              last_status_code = v.status_code,
              status = CASE WHEN v.planned THEN v.status ELSE m.status END,
              delivered_at = CASE WHEN v.status = 'delivered' THEN v.at ELSE m.delivered_at END,
              next_attempt_at = CASE WHEN v.planned THEN v.next_attempt_at ELSE m.next_attempt_at END,
              queued_until = CASE WHEN v.planned THEN v.queued_until ELSE m.queued_until END
            FROM (VALUES ${sql.join(values, sql`, `)}) AS v(id, status_code, status, planned, next_attempt_at, queued_until, at)
            WHERE m.id = v.id`,
      );
      if (failingSince === null) {
        if (endpoint.failingSince)
          await tx.update(webhookEndpoints).set({ failingSince: null }).where(eq(webhookEndpoints.id, endpoint.id));
      } else if (!endpoint.failingSince || plans.some(({ ok }) => ok)) {
        await tx
          .update(webhookEndpoints)
          .set({ failingSince })
          .where(
            endpoint.failingSince
              ? eq(webhookEndpoints.id, endpoint.id)
              : and(eq(webhookEndpoints.id, endpoint.id), sql`${webhookEndpoints.failingSince} IS NULL`),
          );
      }
      if (disableReason) await this.disable(tx, endpoint, disableReason, last.at);
      return rows;
    });
    if (!disableReason) {
      const retries = plans.filter(({ plan }) => plan.status === "pending" && plan.nextAttemptAt);
      await this.deps.queue.enqueueMany(
        DELIVER_JOB,
        retries.map(({ message, number, plan }) => ({
          data: { endpointId: endpoint.id, messages: [{ id: message.id, attempt: number + 1 }] },
          options: { jobId: deliverJobId(message.id, number + 1), delayMs: plan.delayMs },
        })),
      );
    }
    // The attempts in the order they were made (RETURNING keeps no order).
    const byMessage = new Map(recorded.map((row) => [`${row.messageId}:${row.attempt}`, row]));
    return plans.map(({ message, number }) => byMessage.get(`${message.id}:${number}`)!);
  }

  /** What becomes of the message after an attempt (no status: unchanged). */
  private planAfter(
    { message, result, trigger, at }: Sent,
    ok: boolean,
    attemptNumber: number,
  ): { status?: WebhookMessageStatus; nextAttemptAt: Date | null; delayMs?: number } {
    if (ok) return { status: "delivered", nextAttemptAt: null };
    if (result.status === 410) return { status: "failed", nextAttemptAt: null };
    // A manual attempt that failed leaves a message that is still being retried alone; anything else failed.
    if (trigger === "manual")
      return message.status === "pending" && message.nextAttemptAt
        ? { nextAttemptAt: message.nextAttemptAt }
        : { status: "failed", nextAttemptAt: null };
    const retryAfter =
      result.status === 429 || result.status === 503 ? parseRetryAfter(result.retryAfter, at.getTime()) : null;
    const delayMs = nextWebhookAttemptDelay(
      attemptNumber,
      Math.random(),
      retryAfter,
      this.deps.config.WEBHOOK_RETRY_DELAY_SCALE,
    );
    if (delayMs === null) return { status: "failed", nextAttemptAt: null };
    return { status: "pending", nextAttemptAt: new Date(at.getTime() + delayMs), delayMs };
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
