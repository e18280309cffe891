import { createHmac, createSecretKey } from "node:crypto";
import { nextWebhookAttemptDelay, parseRetryAfter, WEBHOOK_FAILING_DISABLE_MS } from "@rapport/core/webhooks";
import { WebhookVerificationError, webhookSecretBytes } from "@rapport/core/webhook-signature";
import {
  queryRows,
  queryRowsPrepared,
  webhookAttempts,
  webhookEndpoints,
  webhookMessages,
  type Executor,
  type WebhookAttemptTrigger,
  type WebhookMessageStatus,
} from "@rapport/db";
import { and, desc, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
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
  arrayLiteral,
  toAttempt,
  USER_AGENT,
} from "./shared";

/**
 * POSTs to one endpoint in flight at once, across every worker process: a slow receiver
 * holds at most this many, and one receiver never gets more than this many connections.
 */
const ENDPOINT_CONCURRENCY = 4;
/**
 * Messages claimed at once per slot a job holds (within the endpoint's rate limit): one
 * statement claims for all its slots, and the next claim is made while the last of these
 * are sent.
 */
const SEND_CHUNK = 25;
/** Sent and not yet recorded: past this, sending waits for the record being written. */
const RECORD_BACKLOG = 500;
/**
 * While lanes are sending, a record waits up to this long for this many attempts: each record
 * is a statement (and a round trip) for Postgres and a query built and read by the worker, so
 * a few attempts each would spend both processes' time on statements instead of rows. Waiting
 * delays only the record (what the log shows, what a crash makes the worker send again), never
 * a POST.
 */
const RECORD_GATHER = 250;
const RECORD_GATHER_MS = 50;
/** A delivery job stops claiming after this long and hands the endpoint to a fresh job. */
const DRAIN_BUDGET_MS = 30_000;
/** Retries of one endpoint falling due this close together share one wake-up job. */
const WAKE_BUCKET_MS = 50;
/** At most this many retries named by one wake-up job. */
export const WAKE_MAX_MESSAGES = 100;

/** What a delivery job's data says: the endpoint to deliver to, and the retries it was queued for. */
export interface DrainRequest {
  endpointId: string;
  /** Retries the job was delayed for: due by `by` on the queue's word, whatever this process's clock says. */
  retries?: { ids: string[]; by: string };
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

/** The `webhook-signature` header value of one message. */
type Signer = (message: { id: string; timestamp: number; body: string }) => string;

/** What sending a message and recording its attempt need of it (a claim returns no more). */
type SendableMessage = Pick<MessageRow, "id" | "body" | "attempts" | "status" | "nextAttemptAt" | "createdAt">;
const SENDABLE_COLUMNS = sql.raw(
  `id, body, attempts, status, next_attempt_at AS "nextAttemptAt", created_at AS "createdAt"`,
);

/** One attempt made, not yet recorded. */
interface Sent {
  message: SendableMessage;
  trigger: WebhookAttemptTrigger;
  /** What the request's headers were made of (requestHeaders). */
  timestamp: number;
  signature: string;
  result: PostResult;
  at: Date;
}

/** What one delivery job did for its endpoint. */
interface DrainOutcome {
  sent: number;
  /** The endpoint's concurrency slots it held (0: others hold them all and deliver what is due). */
  lanes: number;
}

/**
 * Delivery. A delivery job wakes up one endpoint: it takes as many of the endpoint's
 * concurrency slots as are free (shared by every worker) and claims due messages for all of
 * them at once — a conditional UPDATE returning the whole rows that gives the job a short
 * send lease on each, so an attempt is claimed once however many jobs are queued for the
 * endpoint. Its lanes, one per slot, sign and POST them one by one through the SSRF guard
 * within the endpoint's rate limit, and one recorder records the attempts waiting since
 * its last record, with their consequences (retry, delivered, failed, endpoint disabled),
 * in one statement, until nothing is due. Jobs are woken after each commit of new messages, by retries
 * coming due and, as the backstop, by the sweeper.
 */
export class WebhookDelivery {
  private readonly secretKey: SealingKeys;
  /** How long a claim keeps a message from other jobs: the whole job, a POST's timeout and slack. */
  private readonly sendLeaseMs: number;
  private dispatching: Promise<number> | null = null;
  private dispatchAgain = false;

  constructor(
    private readonly deps: ServiceDeps,
    /** Every POST goes through the SSRF guard: addresses checked at connect time, no redirects. */
    private readonly outbound: OutboundClient,
  ) {
    this.secretKey = deps.config.SECRET_SEALING_KEYS;
    this.sendLeaseMs = DRAIN_BUDGET_MS + deps.config.WEBHOOK_TIMEOUT_MS + 30_000;
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

  /** Wakes a delivery job for each of these endpoints (new messages for them just committed). */
  async wake(endpointIds: string[]): Promise<void> {
    await this.deps.queue.enqueueMany<DrainRequest>(
      DELIVER_JOB,
      endpointIds.map((endpointId) => ({ data: { endpointId } })),
    );
  }

  /**
   * Wakes a delivery job for every endpoint with due messages nobody is sending: on a
   * schedule, the backstop for anything a crash or a lost queue left behind. Nothing is handed over here: jobs claim messages themselves, so
   * a wake-up too many costs a slot check and nothing else.
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
          total += await this.wakeDue();
        } while (this.dispatchAgain);
      } finally {
        this.dispatching = null;
      }
      return total;
    })();
    return this.dispatching;
  }

  private async wakeDue(): Promise<number> {
    const now = this.deps.clock.now().toISOString();
    const rows = await queryRows<{ id: string }>(
      this.deps.db,
      sql`SELECT e.id FROM webhook_endpoints e
          WHERE EXISTS (SELECT 1 FROM webhook_messages m
                        WHERE m.endpoint_id = e.id AND m.status = 'pending'
                          AND m.next_attempt_at <= ${now}::timestamptz
                          AND (m.queued_until IS NULL OR m.queued_until < ${now}::timestamptz))`,
    );
    await this.deps.queue.enqueueMany<DrainRequest>(
      DELIVER_JOB,
      rows.map(({ id }) => ({ data: { endpointId: id } })),
    );
    return rows.length;
  }

  /**
   * The delivery job for one endpoint (`token`: the job's id, the name of its claims and
   * slots, the same when the job runs again after its worker died). A job that gets no slot
   * ends at once (the jobs holding the slots look for due messages after letting them go),
   * unless it was queued for retries.
   */
  async drain(request: DrainRequest, token: string): Promise<DrainOutcome> {
    const outcome: DrainOutcome = { sent: 0, lanes: 0 };
    const [endpoint] = await this.deps.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, request.endpointId));
    // Deleted: its messages went with it.
    if (!endpoint) return outcome;
    if (!endpoint.enabled) {
      await this.failPending(endpoint.id);
      return outcome;
    }
    const slotKey = `webhook:${endpoint.id}`;
    // All at once (each is atomic): a job's slots are named after it, so its next run gets them back.
    const slots = (
      await Promise.all(
        Array.from({ length: ENDPOINT_CONCURRENCY }, (_, i) =>
          this.deps.rateLimiter.acquireSlot(slotKey, ENDPOINT_CONCURRENCY, this.sendLeaseMs, `${token}:${i}`),
        ),
      )
    ).filter((slot): slot is string => slot !== null);
    outcome.lanes = slots.length;
    if (slots.length === 0) {
      // Retries are due on the queue's word, which the slot holders' clocks may not share yet: try again shortly.
      if (request.retries)
        await this.deps.queue.enqueue<DrainRequest>(DELIVER_JOB, request, { delayMs: 100 + 200 * Math.random() });
      return outcome;
    }

    const started = Date.now();
    const sign = nodeWebhookSigner(this.secretsOf(endpoint, this.deps.clock.now()));
    const batchSize = Math.max(1, Math.min(SEND_CHUNK * slots.length, endpoint.rateLimitPerSecond));
    let gone = false;
    let rateLimitedForMs: number | null = null;
    /** A claim or a record failed: the job stops and fails (its next run takes its claims back). */
    let failure: { error: unknown } | null = null;
    const sending = () =>
      !gone && failure === null && rateLimitedForMs === null && Date.now() - started < DRAIN_BUDGET_MS;

    // Claimed and not yet sent, shared by the lanes: each takes the next one, so a slow
    // receiver holds up one lane while the others go on, and one claim feeds them all.
    const claimed: SendableMessage[] = [];
    let nothingDue = false;
    // Typed by a cast: set inside closures, which control-flow narrowing does not see.
    let claiming = null as Promise<void> | null;
    const admit = async (rows: SendableMessage[]) => {
      if (rows.length === 0) return;
      const rate = await this.deps.rateLimiter.take(
        `webhook-rate:${endpoint.id}`,
        endpoint.rateLimitPerSecond,
        1,
        rows.length,
      );
      // At the endpoint's rate limit: what is left waits for the next window.
      if (rate.granted < rows.length) {
        rateLimitedForMs = rate.retryAfterMs;
        await this.release(rows.slice(rate.granted), token);
      }
      claimed.push(...rows.slice(0, rate.granted));
    };
    const refill = (): Promise<void> => {
      claiming ??= (async () => {
        try {
          const rows = await this.claim(endpoint.id, token, batchSize);
          if (rows.length === 0) nothingDue = true;
          await admit(rows);
        } catch (error) {
          failure ??= { error };
        } finally {
          claiming = null;
        }
      })();
      return claiming;
    };
    try {
      // Claimed by an earlier run of this very job whose worker died before recording them, and the retries it is for.
      // One after the other: the claim's rows carry this job's name, so a take-back running after it would take them again.
      const own = await this.reclaim(endpoint.id, token);
      const retries = request.retries
        ? await this.claim(endpoint.id, token, WAKE_MAX_MESSAGES, {
            ids: request.retries.ids,
            by: new Date(request.retries.by),
          })
        : [];
      await admit(oldestFirst([...own, ...retries]));
    } catch (error) {
      failure = { error };
    }

    // Attempts made and not yet recorded: one recording at a time takes all that are waiting,
    // so the records grow with the rate of sending instead of costing a transaction per message.
    const unrecorded: Sent[] = [];
    let lanesSending = true;
    let recording = null as Promise<void> | null;
    /** The one record being written (`recording` goes on while attempts are waiting). */
    let record: Promise<void> = Promise.resolve();
    const flush = (): Promise<void> => {
      recording ??= (async () => {
        try {
          while (unrecorded.length > 0 && failure === null) {
            if (lanesSending && unrecorded.length < RECORD_GATHER)
              await new Promise((resolve) => setTimeout(resolve, RECORD_GATHER_MS));
            record = this.record(endpoint, unrecorded.splice(0));
            await record;
          }
        } catch (error) {
          failure ??= { error };
        } finally {
          recording = null;
        }
      })();
      return recording;
    };

    const next = async (): Promise<SendableMessage | null> => {
      while (sending()) {
        // Recording fell behind: sending waits for the record being written, not for all.
        if (unrecorded.length >= RECORD_BACKLOG) await record.catch(() => {});
        const message = claimed.shift();
        if (message) {
          // The next claim is made while the second half of these is sent, so the lanes never wait for it.
          if (claimed.length <= batchSize / 2 && !nothingDue) void refill();
          return message;
        }
        if (nothingDue && !claiming) return null;
        await refill();
      }
      return null;
    };
    const lane = async (slot: string) => {
      try {
        for (let message = await next(); message; message = await next()) {
          const attempt = await this.send(message, endpoint, sign, "scheduled");
          outcome.sent++;
          unrecorded.push(attempt);
          // 410 Gone disables the endpoint (when recorded): nothing more is sent to it.
          if (attempt.result.status === 410) gone = true;
          void flush();
        }
      } finally {
        await this.deps.rateLimiter.releaseSlot(slotKey, slot);
      }
    };
    const lanes = await Promise.allSettled(slots.map(lane));
    lanesSending = false;
    await claiming;
    while (unrecorded.length > 0 && failure === null) await flush();
    await recording;
    // Claimed and left when the lanes stopped (out of time, rate limit, 410).
    await this.release(claimed, token);
    const laneFailure = lanes.find((result) => result.status === "rejected");
    // The job fails and runs again (same claims): what was claimed and not recorded is sent again.
    if (failure) throw failure.error;
    if (laneFailure) throw laneFailure.reason;

    if (!gone && endpoint.enabled) {
      // A job that found the slots taken ended without sending: its messages are due here, now or soon.
      const more = rateLimitedForMs !== null || (await this.hasClaimable(endpoint.id));
      if (more) {
        await this.deps.queue.enqueue<DrainRequest>(
          DELIVER_JOB,
          { endpointId: endpoint.id, ...(request.retries ? { retries: request.retries } : {}) },
          rateLimitedForMs !== null ? { delayMs: rateLimitedForMs + 100 * Math.random() } : {},
        );
      }
    }
    return outcome;
  }

  /** The endpoint a message is for (null: gone). */
  async endpointOf(messageId: string): Promise<string | null> {
    const [row] = await this.deps.db
      .select({ endpointId: webhookMessages.endpointId })
      .from(webhookMessages)
      .where(eq(webhookMessages.id, messageId));
    return row?.endpointId ?? null;
  }

  /** Where nobody sends: pending, due and not claimed (or the claim ran out). */
  private claimable(endpointId: string, now: Date) {
    return and(
      eq(webhookMessages.endpointId, endpointId),
      eq(webhookMessages.status, "pending"),
      lte(webhookMessages.nextAttemptAt, now),
      or(isNull(webhookMessages.queuedUntil), lt(webhookMessages.queuedUntil, now)),
    );
  }

  /**
   * Up to `limit` of the endpoint's due messages, oldest first, each now this job's to send
   * (a send lease): one statement, rows others hold skipped, so a message's attempt is
   * claimed by one job. `only`: just these retries, due by `by`.
   */
  private async claim(
    endpointId: string,
    token: string,
    limit: number,
    only?: { ids: string[]; by: Date },
  ): Promise<SendableMessage[]> {
    const now = this.deps.clock.now();
    const dueBy = only && only.by.getTime() > now.getTime() ? only.by : now;
    // Prepared (one text per shape, the values as parameters): a backlog is claimed many
    // times a second, and an unprepared statement costs Postgres a parse and a plan and the
    // driver a round trip to describe it each time. Only the columns a send needs come back.
    const rows = await queryRowsPrepared<SendableMessage>(
      this.deps.db,
      sql`UPDATE webhook_messages SET queued_until = ${new Date(now.getTime() + this.sendLeaseMs).toISOString()}::timestamptz,
                                      lease_token = ${token}
          WHERE id IN (SELECT id FROM webhook_messages
                       WHERE endpoint_id = ${endpointId}::uuid AND status = 'pending'
                         ${only ? sql`AND id = ANY(${arrayLiteral(only.ids)}::uuid[])` : sql``}
                         AND next_attempt_at <= ${dueBy.toISOString()}::timestamptz
                         AND (queued_until IS NULL OR queued_until < ${now.toISOString()}::timestamptz)
                       ORDER BY next_attempt_at
                       LIMIT ${limit}::int
                       FOR UPDATE SKIP LOCKED)
          RETURNING ${SENDABLE_COLUMNS}`,
    );
    return oldestFirst(rows.map(sendable));
  }

  /** The messages an earlier run of this job claimed and never recorded, claimed afresh. */
  private async reclaim(endpointId: string, token: string): Promise<SendableMessage[]> {
    const now = this.deps.clock.now();
    const rows = await this.deps.db
      .update(webhookMessages)
      .set({ queuedUntil: new Date(now.getTime() + this.sendLeaseMs) })
      .where(
        and(
          eq(webhookMessages.endpointId, endpointId),
          eq(webhookMessages.status, "pending"),
          eq(webhookMessages.leaseToken, token),
          sql`${webhookMessages.queuedUntil} >= ${now.toISOString()}::timestamptz`,
        ),
      )
      .returning({
        id: webhookMessages.id,
        body: webhookMessages.body,
        attempts: webhookMessages.attempts,
        status: webhookMessages.status,
        nextAttemptAt: webhookMessages.nextAttemptAt,
        createdAt: webhookMessages.createdAt,
      });
    return oldestFirst(rows);
  }

  /** Claims not used (out of time, at the rate limit, endpoint gone): free for the next job at once. */
  private async release(messages: SendableMessage[], token: string) {
    if (messages.length === 0) return;
    await this.deps.db
      .update(webhookMessages)
      .set({ queuedUntil: null, leaseToken: null })
      .where(
        and(
          inArray(
            webhookMessages.id,
            messages.map((message) => message.id),
          ),
          eq(webhookMessages.leaseToken, token),
        ),
      );
  }

  private async hasClaimable(endpointId: string): Promise<boolean> {
    const [row] = await this.deps.db
      .select({ id: webhookMessages.id })
      .from(webhookMessages)
      .where(this.claimable(endpointId, this.deps.clock.now()))
      .limit(1);
    return row !== undefined;
  }

  /** A disabled endpoint's pending messages fail (`recover` can send them later); those being sent are left to their record. */
  private async failPending(endpointId: string) {
    const now = this.deps.clock.now();
    await this.deps.db
      .update(webhookMessages)
      .set({ status: "failed", nextAttemptAt: null, queuedUntil: null, leaseToken: null })
      .where(
        and(
          eq(webhookMessages.endpointId, endpointId),
          eq(webhookMessages.status, "pending"),
          or(isNull(webhookMessages.queuedUntil), lt(webhookMessages.queuedUntil, now)),
        ),
      );
  }

  /** Delivery jobs for when these retries fall due (retries close together share one). */
  private async wakeFor(endpointId: string, retries: { id: string; at: Date }[]) {
    const now = this.deps.clock.now().getTime();
    const buckets = new Map<number, string[]>();
    for (const { id, at } of retries) {
      const bucket = Math.ceil(at.getTime() / WAKE_BUCKET_MS) * WAKE_BUCKET_MS;
      buckets.set(bucket, [...(buckets.get(bucket) ?? []), id]);
    }
    await this.deps.queue.enqueueMany<DrainRequest>(
      DELIVER_JOB,
      [...buckets].map(([bucket, ids]) => ({
        data: { endpointId, retries: { ids, by: new Date(bucket).toISOString() } },
        options: { delayMs: Math.max(0, bucket - now) },
      })),
    );
  }

  /** One manual attempt (replay, test), sent and recorded now. */
  private async attemptNow(message: MessageRow, endpoint: EndpointRow): Promise<AttemptRow> {
    const sign = nodeWebhookSigner(this.secretsOf(endpoint, this.deps.clock.now()));
    const attempt = await this.send(message, endpoint, sign, "manual");
    await this.record(endpoint, [attempt]);
    const [recorded] = await this.deps.db
      .select()
      .from(webhookAttempts)
      .where(
        and(
          eq(webhookAttempts.messageId, message.id),
          eq(webhookAttempts.attempt, message.attempts + 1),
          eq(webhookAttempts.trigger, "manual"),
        ),
      )
      .orderBy(desc(webhookAttempts.createdAt))
      .limit(1);
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
    message: SendableMessage,
    endpoint: EndpointRow,
    sign: Signer,
    trigger: WebhookAttemptTrigger,
  ): Promise<Sent> {
    const timestamp = Math.floor(this.deps.clock.now().getTime() / 1_000);
    const signature = sign({ id: message.id, timestamp, body: message.body });
    const headers = requestHeaders(message.id, timestamp, signature);
    const result = await this.post({ url: endpoint.url, headers, body: message.body });
    return { message, trigger, timestamp, signature, result, at: this.deps.clock.now() };
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
   * of failures only; a scheduled attempt's claim ends with it. Then wakes delivery for the
   * retries. `endpoint` is updated to match.
   */
  private async record(endpoint: EndpointRow, attempts: Sent[]): Promise<void> {
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

    const touchesEndpoint =
      disableReason !== null ||
      (failingSince === null ? endpoint.failingSince !== null : !endpoint.failingSince || plans.some(({ ok }) => ok));
    // One statement with the attempts as one JSON array (not a parameter per value): the same
    // text for every record, so it is prepared once, and one JSON.stringify builds the lot —
    // an array literal per column, every value escaped by hand, took ~13 µs an attempt and
    // held the event loop (every lane's next POST) for 3–4 ms per record of 250. The attempts
    // are inserted and their messages updated together (a plan without a status leaves
    // status, schedule and lease alone). Only what differs between attempts is in it, nulls
    // left out: Postgres parses every byte of it (~10 µs an attempt when it held each
    // attempt's request headers whole), and builds the headers as requestHeaders does.
    const attemptsJson = JSON.stringify(
      plans.map(({ message, number, trigger, result, ok, timestamp, signature, plan, at }) => ({
        message_id: message.id,
        attempt: number,
        trigger,
        status_code: result.status,
        duration_ms: result.durationMs,
        webhook_timestamp: timestamp,
        signature,
        response_body: result.body ?? undefined,
        error: result.error ? storableText(result.error, 500) : ok ? undefined : `HTTP ${result.status}`,
        next_attempt_at: plan.nextAttemptAt?.toISOString(),
        created_at: at.toISOString(),
        status: plan.status,
      })),
    );
    // The endpoint's row is locked (KEY SHARE) before any message's: deleting an endpoint (or
    // its workspace) locks it, then its messages; the other way round the two deadlock. An
    // uncorrelated condition is checked once, before the update reads a row; the insert runs
    // after the update. Gone meanwhile: nothing is recorded.
    const recordAttempts = sql`
      WITH endpoint AS (
        SELECT id FROM webhook_endpoints WHERE id = ${endpoint.id}::uuid FOR KEY SHARE
      ), v AS (
        SELECT * FROM json_to_recordset(${attemptsJson}::json)
          AS v(message_id uuid, attempt int, trigger text, status_code int, duration_ms int, webhook_timestamp bigint,
               signature text, response_body text, error text, next_attempt_at timestamptz, created_at timestamptz,
               status text)
      ), inserted AS (
        INSERT INTO webhook_attempts (message_id, endpoint_id, workspace_id, attempt, trigger, status_code, ok,
                                      duration_ms, request_headers, response_body, error, next_attempt_at, created_at)
        SELECT v.message_id, ${endpoint.id}::uuid, ${endpoint.workspaceId}::uuid, v.attempt, v.trigger, v.status_code,
               v.status_code BETWEEN 200 AND 299, v.duration_ms,
               jsonb_build_object('content-type', ${CONTENT_TYPE}::text, 'user-agent', ${USER_AGENT}::text,
                                  'webhook-id', v.message_id::text, 'webhook-timestamp', v.webhook_timestamp::text,
                                  'webhook-signature', v.signature),
               v.response_body, v.error, v.next_attempt_at, v.created_at
        FROM v WHERE EXISTS (SELECT 1 FROM endpoint)
      )
      UPDATE webhook_messages m SET
        attempts = m.attempts + 1,
        last_status_code = v.status_code,
        status = COALESCE(v.status, m.status),
        delivered_at = CASE WHEN v.status = 'delivered' THEN v.created_at ELSE m.delivered_at END,
        next_attempt_at = CASE WHEN v.status IS NOT NULL THEN v.next_attempt_at ELSE m.next_attempt_at END,
        queued_until = CASE WHEN v.status IS NOT NULL THEN NULL ELSE m.queued_until END,
        lease_token = CASE WHEN v.status IS NOT NULL THEN NULL ELSE m.lease_token END
      FROM v WHERE m.id = v.message_id AND EXISTS (SELECT 1 FROM endpoint)`;
    // Nothing changes for the endpoint (the usual success): one statement, one round trip.
    // Prepared, as the claim: the text is the same for every record.
    if (!touchesEndpoint) await queryRowsPrepared(this.deps.db, recordAttempts);
    else
      await this.deps.transaction(async (tx) => {
        // The endpoint's row before any message's: a disable fails all its pending messages, the
        // messages other jobs are recording among them; locked the other way round, they deadlock.
        await tx
          .select({ id: webhookEndpoints.id })
          .from(webhookEndpoints)
          .where(eq(webhookEndpoints.id, endpoint.id))
          .for("no key update");
        await tx.execute(recordAttempts);
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
      });
    // The caller's copy of the endpoint follows (a job's next record starts from it).
    endpoint.failingSince = failingSince;
    if (disableReason) endpoint.enabled = false;
    else {
      const retries = plans.filter(({ plan }) => plan.status === "pending" && plan.nextAttemptAt);
      if (retries.length > 0)
        await this.wakeFor(
          endpoint.id,
          retries.map(({ message, plan }) => ({ id: message.id, at: plan.nextAttemptAt! })),
        );
    }
  }

  /** What becomes of the message after an attempt (no status: unchanged). */
  private planAfter(
    { message, result, trigger, at }: Sent,
    ok: boolean,
    attemptNumber: number,
  ): { status?: WebhookMessageStatus; nextAttemptAt: Date | null } {
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
    return { status: "pending", nextAttemptAt: new Date(at.getTime() + delayMs) };
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
      .set({ status: "failed", nextAttemptAt: null, queuedUntil: null, leaseToken: null })
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

/** Oldest due first (RETURNING keeps no order). */
function oldestFirst(rows: SendableMessage[]): SendableMessage[] {
  return rows.sort(
    (a, b) =>
      (a.nextAttemptAt?.getTime() ?? 0) - (b.nextAttemptAt?.getTime() ?? 0) ||
      a.createdAt.getTime() - b.createdAt.getTime(),
  );
}

/** A claimed row as a message (a driver may hand timestamps back as text). */
function sendable(row: SendableMessage): SendableMessage {
  const date = (value: Date | string | null) => (value === null || value instanceof Date ? value : new Date(value));
  return { ...row, nextAttemptAt: date(row.nextAttemptAt), createdAt: date(row.createdAt)! };
}

const CONTENT_TYPE = "application/json";

/**
 * A delivery's request headers (the receiver's SDK needs the three webhook-* ones). The
 * attempt log stores them as sent: the record statement builds the same object from the
 * timestamp and signature, so what changes here changes there.
 */
function requestHeaders(id: string, timestamp: number, signature: string): Record<string, string> {
  return {
    "content-type": CONTENT_TYPE,
    "user-agent": USER_AGENT,
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature,
  };
}

/**
 * The same header value as webhookSigner (@rapport/core, which runs anywhere), signed the
 * way Node does it cheapest: each secret made a key once, the id, timestamp and body fed to
 * the HMAC as they are and the digest encoded by Node. webhookSigner with Node's HMAC copied the
 * signed content into one array, made a key from the bytes per message and encoded by hand:
 * ~17 µs a message in a busy worker, several times this.
 */
export function nodeWebhookSigner(secrets: readonly string[]): Signer {
  if (secrets.length === 0) throw new WebhookVerificationError("invalid_secret", "No secret to sign with");
  const keys = secrets.map((secret) => createSecretKey(webhookSecretBytes(secret)));
  return ({ id, timestamp, body }) => {
    let header = "";
    for (const key of keys) {
      const mac = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64");
      header += header === "" ? `v1,${mac}` : ` v1,${mac}`;
    }
    return header;
  };
}

/**
 * Free text as the attempts' JSON parameter can carry it: cut to `max` UTF-16 units, where a
 * character cut in half (or any lone surrogate) becomes U+FFFD through the UTF-8 round trip,
 * and U+0000 replaced — Postgres refuses either in json/text, and the whole record with it.
 */
function storableText(text: string, max: number): string {
  return Buffer.from(text.slice(0, max), "utf8").toString("utf8").replaceAll("\u0000", "\uFFFD");
}
