import { eventConsumers, queryRows, queryRowsPrepared, type Database, type Executor } from "@rapport/db";
import { sql } from "drizzle-orm";
import type { Logger } from "../../logger";
import {
  type CommitPosition,
  committedAfter,
  eventHorizonWith,
  newestCommittedPosition,
  readConsumerBatch,
} from "./committed";
import type { DispatcherLease, LeaseCheck } from "./lease";
import { commitNoticeOf } from "./outbox";
import type { CommitNotice, EventConsumer } from "./types";

const BATCH_SIZE = 500;
const MAX_BACKOFF_MS = 30_000;
const WAKE_COALESCE_MS = 5;
/** How often an instance without the lease asks for it, and the holder makes sure it still has it. */
const LEASE_CHECK_MS = 1_000;
/** A lease check that has not answered by then is given up: its connection is replaced and the lease counted lost. */
const LEASE_CHECK_TIMEOUT_MS = 3_000;
/**
 * After this many lease checks in a row that failed (no answer, an error, a session that
 * changed or would not end on its own), the instance runs the batches without the lease, as
 * every instance did before it: when the lease cannot work on any instance (connections
 * refused, a transaction-mode pooler), nobody would. It leaves that mode after as many good ones.
 */
const LEASE_FAILURES = 3;
/**
 * One of the holder's batches going on for longer than this (a handler that never settles)
 * makes it give the lease up for `LEASE_COOLDOWN_MS`, so that another instance runs the
 * consumers (the stuck batch's transaction has long been ended by the server's
 * idle-in-transaction timeout, freeing its consumer's lock). Timed per batch, from when it
 * got its slot: a long catch-up is many batches, each of them short.
 */
const STUCK_RUN_MS = 120_000;
const LEASE_COOLDOWN_MS = 10_000;
/** Failed lease checks are warned of at most this often (with how many there were); the others are debug. */
const LEASE_WARN_EVERY_MS = 60_000;
/** A consumer of some types only, woken by none of them, still runs this often: its cursor keeps up. */
const CATCH_UP_MS = 1_000;
/**
 * A consumer woken again sooner than this after its last batch began waits out the rest
 * (queued, so the commits meanwhile join that one batch). Under a steady stream of commits
 * a batch then carries 50 ms of them rather than one or two: each batch costs five
 * statements, and its cursor update holds the outbox's horizon back for the live feeds.
 */
const BATCH_GAP_MS = 50;
/**
 * A batch whose handler wrote nothing stores its cursor only if the stored one is at least
 * this old. Its transaction is then read-only: no xid, so no WAL flush at commit, no hold on
 * the outbox horizon that every live feed reads below, and no batch end to announce to every
 * instance. Under a steady stream of commits most batches are such (the relay and the cache
 * publish to Redis only, the webhooks consumer without endpoints, the catch-up runs of the
 * consumers of other types): about 30 transactions a second at 100 commits a second. The
 * lane keeps its position in memory meanwhile; what it did not store is what another
 * instance taking over would hand out again, so it is kept to about a second's batches.
 */
const CURSOR_PERSIST_MS = 1_000;

export interface DispatcherOptions {
  /** Only the holder runs batches (none: this instance always does). */
  lease?: DispatcherLease | null;
  leaseCheckMs?: number;
  leaseCheckTimeoutMs?: number;
  /** The holder steps down when one batch has run this long (about twice the transaction idle timeout). */
  stuckRunMs?: number;
  leaseCooldownMs?: number;
  catchUpMs?: number;
  batchGapMs?: number;
  cursorPersistMs?: number;
  /**
   * Called (synchronously) once a batch that moved its consumer's cursor has committed, with
   * its transaction id: the cursor update gave it an xid, which held back the outbox's
   * horizon for every reader until now, and nothing else tells them it ended.
   */
  batchEnded?: (txId: string) => void;
}

/** One consumer's delivery on this instance: its batches run one after another (commit order). */
interface Lane {
  consumer: EventConsumer;
  /** The lane's batches so far, chained; never rejects. */
  tail: Promise<void>;
  /** A run is chained behind `tail` and has not started: it will read whatever a later wake-up is about. */
  queued: boolean;
  failures: number;
  backoffUntil: number;
  /**
   * Its position as this instance last read, delivered or stored it (another instance may have
   * moved the stored cursor on): the next batch reads after the later of this and the stored
   * cursor. One field for both uses, the poll's "is it behind" and the read's start, since
   * they are the same question: whatever this instance delivered needs no batch again. Ahead
   * of `stored` while batches that wrote nothing leave the row alone (`CURSOR_PERSIST_MS`).
   */
  cursor: CommitPosition | null;
  /** The cursor its row held when this instance last read or wrote it. */
  stored: CommitPosition | null;
  /**
   * When one of its batches here last tried to store its cursor (Date.now(); 0: not yet),
   * whether the row was due or not: a poll starts a batch only to store it (`storeDue`) once
   * `CURSOR_PERSIST_MS` has passed since, not at every poll meanwhile.
   */
  storeTriedAt: number;
  /** When a pass or `drain()` last started it (Date.now()). */
  startedAt: number;
  /** When its last run of batches began (Date.now()). */
  ranAt: number;
  /** When the batch running now got its slot (0: none). */
  runningSince: number;
  /** The holder has stepped down once for the batch running now. */
  steppedDownFor: number;
  /** Ends the wait before its next run (the gap since its last) at once: the dispatcher stops. */
  endGap: (() => void) | null;
}

/**
 * How many consumers' batches run at once on a pool of `poolSize` connections: up to a
 * third of it (the requests keep the rest), and two whenever the pool keeps two connections
 * for requests beside them, so that a slow consumer holds back only itself (a pool of 5, the
 * API role's default on 2 CPUs, would otherwise run them one at a time). The requests, the
 * live feeds' reads and the dispatcher's own polls share what is left: never fewer than two
 * from a pool of 3 on.
 */
export function consumerLanes(poolSize: number): number {
  return Math.max(1, Math.min(2, poolSize - 2), Math.floor(poolSize / 3));
}

/**
 * Delivers committed outbox events to durable consumers, at least once and in
 * commit order. With a lease (`DispatcherLease`), only the instance holding it runs the
 * batches; the others wait for it without polling, and take over at their next lease check
 * when the holder goes. Whoever runs them, a batch holds its consumer's transaction-level
 * advisory lock (tried, not waited for), so one instance at a time owns a consumer and
 * the others move on: a former holder that has not noticed it lost the lease, or a
 * dispatcher without one, never runs a consumer's batch beside another's. Not a row lock:
 * `FOR UPDATE` gives the batch's transaction an xid from its first statement, and an open
 * xid holds back the outbox horizon of every reader (live feeds, the other consumers) for
 * the whole batch; an advisory lock takes none, so
 * a batch that writes nothing but its cursor holds the horizon back only for that update.
 *
 * And a batch whose handler wrote nothing mostly does not write its cursor either: it stores
 * it only when the stored one is `CURSOR_PERSIST_MS` old (its transaction then stays
 * read-only: no xid, no WAL flush, no batch end to announce), keeping its position in memory
 * meanwhile (`Lane.cursor`; the next batch reads after the later of the two). A handler
 * that wrote something always commits the cursor with its writes. `drain()` stores every
 * position, and `stop()` what is ahead of the stored cursor, before the lease goes; an
 * instance that loses the lease stores it once each lane's running batch has settled (if
 * the database answers). Only while one instance runs a consumer alone can its position
 * live in memory: another reads from the stored cursor. So wherever they may take turns, a
 * batch stores its cursor whatever it wrote: every batch when the instance runs without
 * the lease (every instance then runs them, each consumer's lock going from one to another
 * from batch to batch), and a batch whose read shows the stored cursor moved since this
 * instance last saw it (another instance ran the consumer meanwhile: a former holder that
 * has not noticed it lost the lease, or the new one). Events are still handed out again
 * after a handover in which the instance that ran the consumer could not store its
 * position (the process gone, the database unreachable when it lost the lease): up to
 * about a second's batches that wrote nothing; and while a former holder and the new one
 * both run a consumer, before either has seen the other's store. Delivery stays at least
 * once, but a consumer that decides when it handles an event rather than from the event
 * alone (the webhooks' endpoints, read at delivery) may, after such a handover, act on up
 * to about a second's events again.
 *
 * Ordering by id alone would skip events: ids are taken at INSERT but become
 * visible at COMMIT, so id 11 can commit before id 10. Each event therefore
 * records its transaction id, and a batch only reads transactions below the
 * horizon of this database (`eventHorizon`: the oldest transaction of THIS
 * database still running, not of the whole server), ordered by (tx_id, id).
 * Nothing that is still in flight can later appear behind the cursor.
 *
 * A pass woken by a commit starts every consumer: the commit wrote events, so all of them
 * are behind (asking the outbox first would cost a statement per commit and tell nothing
 * new under load). A poll reads the newest committed position and starts only the
 * consumers whose cursor, as this instance last read it, is behind it: an idle poll costs
 * one query, not a transaction per consumer. Each consumer then runs in a
 * lane of its own: its batches one after another, each in its own transaction, but
 * independently of the other consumers', up to `concurrency` batches at a time (in
 * the order they asked). So a consumer whose batch is slow (a webhook's snapshots, a
 * notification's recipients) holds back only itself, never the relay to the
 * instances' buses or another consumer.
 */
export class EventDispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly slots: Slots;
  private timer: NodeJS.Timeout | null = null;
  private dueAt = 0;
  private scanning: Promise<void> | null = null;
  private wakeRequested = false;
  /** A commit woke the dispatcher since its last pass began: the next pass starts the consumers without asking the outbox. */
  private woken = false;
  /** The event types those commits named; null when one of them named none (every consumer runs). */
  private wokenTypes: Set<string> | null = null;
  private stopped = true;
  /** Whether this instance runs the batches: always without a lease, while it holds it with one. */
  private leading: boolean;
  private leaseTimer: NodeJS.Timeout | null = null;
  private leaseChecking: Promise<void> | null = null;
  private readonly lease: DispatcherLease | null;
  private readonly leaseCheckMs: number;
  private readonly leaseCheckTimeoutMs: number;
  private readonly stuckRunMs: number;
  private readonly leaseCooldownMs: number;
  /** This instance's session held the lease at its last check. */
  private leaseHeld = false;
  /** The session the last lease check ran on. */
  private leaseSession: number | null = null;
  private leaseFailures = 0;
  private leaseSuccesses = 0;
  /** When a failed check was last warned of, and how many failed since. */
  private leaseWarnedAt = 0;
  private leaseFailuresUnwarned = 0;
  /** The lease cannot be relied on: this instance runs the batches without it. */
  private unleased = false;
  /** Stepped down: it does not take the lease again before then. */
  private cooldownUntil = 0;
  private readonly catchUpMs: number;
  private readonly batchGapMs: number;
  private readonly cursorPersistMs: number;
  private readonly batchEnded: ((txId: string) => void) | null;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly pollMs: number,
    /** Batches (transactions) at once across consumers; each holds a connection while it runs. */
    concurrency = 1,
    options: DispatcherOptions = {},
  ) {
    this.slots = new Slots(concurrency);
    this.lease = options.lease ?? null;
    this.leaseCheckMs = options.leaseCheckMs ?? LEASE_CHECK_MS;
    this.leaseCheckTimeoutMs = options.leaseCheckTimeoutMs ?? LEASE_CHECK_TIMEOUT_MS;
    this.stuckRunMs = options.stuckRunMs ?? STUCK_RUN_MS;
    this.leaseCooldownMs = options.leaseCooldownMs ?? LEASE_COOLDOWN_MS;
    this.catchUpMs = options.catchUpMs ?? CATCH_UP_MS;
    this.batchGapMs = options.batchGapMs ?? BATCH_GAP_MS;
    this.cursorPersistMs = options.cursorPersistMs ?? CURSOR_PERSIST_MS;
    this.batchEnded = options.batchEnded ?? null;
    this.leading = this.lease === null;
  }

  /** Whether this instance runs the consumers' batches now (diagnostics, tests). */
  get isLeading(): boolean {
    return this.leading;
  }

  /** Whether it runs the batches without the lease, which it could not rely on (diagnostics, tests). */
  get isUnleased(): boolean {
    return this.unleased;
  }

  register(consumer: EventConsumer): void {
    if (this.lanes.has(consumer.name)) throw new Error(`Duplicate event consumer ${consumer.name}`);
    this.lanes.set(consumer.name, {
      consumer,
      tail: Promise.resolve(),
      queued: false,
      failures: 0,
      backoffUntil: 0,
      cursor: null,
      stored: null,
      storeTriedAt: 0,
      startedAt: 0,
      ranAt: 0,
      runningSince: 0,
      steppedDownFor: 0,
      endGap: null,
    });
  }

  async start(): Promise<void> {
    await this.ensureCursors();
    // Whatever it held from an earlier run it stored when it stopped: the rows say where to go on.
    for (const lane of this.lanes.values()) this.forgetPosition(lane);
    this.stopped = false;
    if (this.lease) {
      await this.checkLease();
      this.scheduleLeaseCheck();
    }
    this.schedule(0);
  }

  /**
   * Called after a commit that wrote events (this instance's, or another's heard through
   * Redis): deliver soon rather than at the next poll. Without the lease, nothing to do.
   * The events it names (if known) spare the consumers of other types a batch.
   */
  wake(commit?: CommitNotice | null): void {
    if (this.stopped || !this.leading) return;
    if (!this.woken) {
      this.woken = true;
      this.wokenTypes = new Set();
    }
    const events = commit?.events;
    if (!events) this.wokenTypes = null;
    else if (this.wokenTypes) for (const event of events) this.wokenTypes.add(event.type);
    if (this.scanning) {
      this.wakeRequested = true;
      return;
    }
    // A few ms of coalescing: under write load one batch carries many commits
    // instead of one dispatcher transaction per commit.
    if (!this.timer || this.dueAt > Date.now() + WAKE_COALESCE_MS) this.schedule(WAKE_COALESCE_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    await this.scanning;
    await this.leaseChecking;
    for (const lane of this.lanes.values()) lane.endGap?.();
    await Promise.all([...this.lanes.values()].map((lane) => lane.tail));
    // Before the lease goes: the next holder reads the stored cursors. Side by side: a
    // database that does not answer costs one connection timeout, not one per consumer.
    await Promise.all([...this.lanes.values()].map((lane) => this.storeAhead(lane)));
    if (this.lease) {
      this.leading = false;
      // Its batches are done: another instance may take over at once rather than when this
      // one's connection closes. Nothing to give up if it does not hold it.
      if (!this.leaseHeld) return;
      this.leaseHeld = false;
      this.leaseSession = null;
      await this.releaseLease();
    }
  }

  /** Keeps or takes the lease; starts polling on taking it, stops on losing it. */
  private async checkLease(): Promise<void> {
    const lease = this.lease!;
    const now = Date.now();
    if (now < this.cooldownUntil) return;
    const stuck = this.leaseHeld && !this.unleased ? this.stuckLane(now) : null;
    if (stuck) {
      // Renewing the lease would keep every other instance from the consumer for good.
      stuck.steppedDownFor = stuck.runningSince;
      this.log.warn(
        { consumer: stuck.consumer.name, runningForMs: now - stuck.runningSince },
        "an event consumer's batch has not settled; this instance gives the event consumers to another for a while",
      );
      this.leaseHeld = false;
      // Its session ends with the release: the check after the cooldown opens another, which is
      // not the lease's session moving (nor is this one left to idle out meanwhile).
      this.leaseSession = null;
      this.cooldownUntil = now + this.leaseCooldownMs;
      this.lead(false);
      await this.releaseLease();
      return;
    }
    let found: LeaseCheck;
    let timer: NodeJS.Timeout | undefined;
    try {
      found = await Promise.race([
        lease.check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            // A half-open connection answers nothing for as long as the kernel keeps trying.
            lease.reset();
            reject(new Error(`the lease check did not answer within ${this.leaseCheckTimeoutMs} ms`));
          }, this.leaseCheckTimeoutMs);
        }),
      ]);
    } catch (error) {
      // Whatever the session held went with it, or will; a live database hands it to whoever asks next.
      this.leaseHeld = false;
      this.leaseSession = null;
      this.leaseFailed(error);
      return;
    } finally {
      clearTimeout(timer);
    }
    const moved = this.leaseSession !== null && found.session !== this.leaseSession;
    this.leaseSession = found.session;
    this.leaseHeld = found.held;
    if (moved) this.leaseFailed(new Error("the lease's connection is on another session than at the last check"));
    else if (!found.expires)
      this.leaseFailed(
        new Error("the lease's session has no idle_session_timeout in effect: a silent holder would keep it"),
      );
    else {
      this.leaseFailures = 0;
      this.leaseSuccesses++;
      if (this.unleased && this.leaseSuccesses >= LEASE_FAILURES) {
        this.unleased = false;
        // The next failure is news again.
        this.leaseWarnedAt = 0;
        this.log.info("the event dispatcher lease works again");
      }
    }
    this.lead(this.unleased || found.held);
  }

  private leaseFailed(error: unknown): void {
    this.leaseSuccesses = 0;
    this.leaseFailures++;
    this.leaseFailuresUnwarned++;
    const giveUp = !this.unleased && this.leaseFailures >= LEASE_FAILURES;
    const now = Date.now();
    // An outage, or a pooler the lease cannot work through, fails every check of every
    // instance for as long as it lasts: one warning a minute says so.
    if (giveUp || now - this.leaseWarnedAt >= LEASE_WARN_EVERY_MS) {
      this.log.warn(
        { err: error, failures: this.leaseFailures, failedSinceLastWarning: this.leaseFailuresUnwarned },
        "event dispatcher lease check failed",
      );
      this.leaseWarnedAt = now;
      this.leaseFailuresUnwarned = 0;
    } else this.log.debug({ err: error, failures: this.leaseFailures }, "event dispatcher lease check failed");
    if (giveUp) {
      // Each batch still takes its consumer's lock: without the lease the instances only
      // race for them, as they did before it.
      this.unleased = true;
      this.log.warn("the event dispatcher lease does not work; this instance runs the event consumers without it");
    }
    this.lead(this.unleased || this.leaseHeld);
  }

  /**
   * Gives the lease up by ending its session (which frees the lock), waiting a bounded time:
   * an unlock statement on a half-open connection would wait for the kernel.
   */
  private async releaseLease(): Promise<void> {
    await this.lease!.release().catch((error: unknown) => {
      this.log.warn({ err: error }, "event dispatcher lease not released; its session ends when it idles out");
    });
  }

  /** A lane whose batch has run too long, if it has not made the holder step down yet. */
  private stuckLane(now: number): Lane | null {
    for (const lane of this.lanes.values())
      if (
        lane.runningSince > 0 &&
        now - lane.runningSince > this.stuckRunMs &&
        lane.steppedDownFor !== lane.runningSince
      )
        return lane;
    return null;
  }

  private lead(leading: boolean): void {
    if (this.stopped || leading === this.leading) return;
    this.leading = leading;
    if (leading) {
      // Another instance moved the cursors on meanwhile, after handing out again what this
      // one had not stored: the rows say where to go on.
      for (const lane of this.lanes.values()) this.forgetPosition(lane);
      this.log.info("this instance now runs the event consumers");
      this.schedule(0);
    } else {
      // The batches running finish (each holds its consumer's lock); no new pass starts.
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      // The new holder reads the stored cursors: what each lane handled past its own is
      // stored once its batch has settled, or the holder would hand it out again. Not
      // waited for (a stuck batch never settles; storeAhead logs its own failure).
      for (const lane of this.lanes.values()) void lane.tail.then(() => this.storeAhead(lane));
      this.log.info("another instance runs the event consumers now");
    }
  }

  private scheduleLeaseCheck(): void {
    this.leaseTimer = setTimeout(() => {
      this.leaseTimer = null;
      this.leaseChecking = this.checkLease().finally(() => {
        this.leaseChecking = null;
        if (!this.stopped) this.scheduleLeaseCheck();
      });
    }, this.leaseCheckMs);
    this.leaseTimer.unref?.();
  }

  /**
   * Delivers until every consumer has passed the newest event committed when
   * drain was called (tests, shutdown), and the batches passes queued meanwhile have run.
   * Returns false if that did not happen
   * within the timeout, e.g. because an older transaction is still open.
   * A consumer failure is thrown.
   */
  async drain({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<boolean> {
    await this.ensureCursors();
    await this.scanning;
    const [target] = await queryRows<{ tx_id: string; id: string | number }>(
      this.database.db,
      sql`SELECT e.tx_id::text AS tx_id, e.id FROM domain_events AS e ORDER BY e.tx_id DESC, e.id DESC LIMIT 1`,
    );
    if (!target) {
      await this.settled();
      return true;
    }
    const names = [...this.lanes.keys()];
    const deadline = Date.now() + timeoutMs;
    while (true) {
      // Every lane, backing off or not, after what it is already running. Started as a pass
      // starts it: a consumer of some types drained now is not due a catch-up run either.
      const runs = [...this.lanes.values()].map((lane) => {
        lane.startedAt = Date.now();
        const run = lane.tail.then(() => this.deliver(lane, true));
        lane.tail = run.catch(() => {});
        return run;
      });
      const failed = (await Promise.allSettled(runs)).find((run) => run.status === "rejected");
      if (failed) throw failed.reason;
      const [behind] = await queryRows<{ n: number | string }>(
        this.database.db,
        sql`SELECT count(*) AS n FROM event_consumers
            WHERE name IN (${sql.join(
              names.map((name) => sql`${name}`),
              sql`, `,
            )})
              AND (last_tx_id, last_event_id) < (${target.tx_id}::xid8, ${Number(target.id)}::bigint)`,
      );
      if (Number(behind?.n ?? 0) === 0) {
        await this.settled();
        return true;
      }
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * Waits for the pass running now and the batches queued so far: none of them is left to
   * run after `drain()` and hand out what commits next (to a consumer of some types that no
   * commit of them woke, for one).
   */
  private async settled(): Promise<void> {
    await this.scanning;
    await Promise.all([...this.lanes.values()].map((lane) => lane.tail));
  }

  private schedule(delay: number): void {
    if (this.stopped || !this.leading) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.scanning = this.scan()
        .then(() => {
          this.scanning = null;
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(again ? WAKE_COALESCE_MS : this.pollMs);
        })
        .catch((error) => {
          this.scanning = null;
          // The database itself is failing: back off instead of logging every poll.
          this.log.error({ err: error }, "event dispatcher tick failed");
          this.schedule(Math.max(this.pollMs, 5_000));
        });
    }, delay);
    this.timer.unref?.();
  }

  /**
   * Forgets the lane's position: its next batch reads from the stored cursor. Never while it
   * is ahead of it and this instance still runs the consumer (events handed out again).
   */
  private forgetPosition(lane: Lane): void {
    lane.cursor = null;
    lane.stored = null;
    lane.storeTriedAt = 0;
  }

  /**
   * Stores the lane's position if it is ahead of what this instance last stored (`stop()`,
   * losing the lease): one statement, the batches' own, forced, and never moving the cursor
   * backwards, since another instance may have moved it further. Without the consumer's
   * lock: a batch of another instance running beside it moves the cursor only forward too.
   */
  private async storeAhead(lane: Lane): Promise<void> {
    const { cursor, stored } = lane;
    if (!cursor || !stored || !committedAfter(cursor, stored)) return;
    try {
      const txId = await this.storeCursor(this.database.db, lane, cursor, true);
      if (txId === null) return;
      // Not another instance's store, for this lane's next batch (if this instance leads again first).
      if (lane.stored === stored) lane.stored = cursor;
      this.announceBatchEnd(lane, txId);
    } catch (error) {
      this.log.warn(
        { err: error, consumer: lane.consumer.name },
        "event consumer's cursor not stored on stopping or losing the lease; the next holder hands its last events out again",
      );
    }
  }

  /**
   * Moves the consumer's cursor row forward to `position` if the batch's transaction wrote
   * something (it has an xid: its writes and the cursor commit together), if the row was
   * last written `cursorPersistMs` ago or more, or if `force`d. One statement of one text
   * (the conditions are parameters): it is prepared. A row it does not match takes no xid,
   * and the transaction stays read-only. Returns the transaction id when it moved the row.
   */
  private async storeCursor(
    db: Executor,
    lane: Lane,
    position: CommitPosition,
    force: boolean,
  ): Promise<string | null> {
    // Its transaction id in the same statement: the update is what gives a batch that wrote
    // nothing else an xid (the handler's writes, if any, gave it the same one before).
    const [updated] = await queryRowsPrepared<{ tx_id: string }>(
      db,
      sql`UPDATE event_consumers SET last_tx_id = ${position.txId}::xid8, last_event_id = ${position.id}, updated_at = now()
          WHERE name = ${lane.consumer.name}
            AND (last_tx_id, last_event_id) < (${position.txId}::xid8, ${position.id}::bigint)
            AND (pg_current_xact_id_if_assigned() IS NOT NULL
                 OR updated_at <= now() - ${this.cursorPersistMs}::float8 * interval '1 millisecond'
                 OR ${force}::boolean)
          RETURNING pg_current_xact_id()::text AS tx_id`,
    );
    return updated?.tx_id ?? null;
  }

  private announceBatchEnd(lane: Lane, txId: string): void {
    if (!this.batchEnded) return;
    try {
      this.batchEnded(txId);
    } catch (error) {
      this.log.error({ err: error, consumer: lane.consumer.name }, "announcing the end of an event batch failed");
    }
  }

  private async ensureCursors(): Promise<void> {
    for (const lane of this.lanes.values()) {
      const { consumer } = lane;
      if (consumer.startFrom === "now") {
        await this.database.db.execute(sql`
          INSERT INTO event_consumers (name, last_tx_id, last_event_id)
          SELECT ${consumer.name}, coalesce(max(tx_id), '0'::xid8), coalesce(max(id), 0)
          FROM domain_events
          ON CONFLICT (name) DO NOTHING`);
      } else {
        await this.database.db
          .insert(eventConsumers)
          .values({ name: consumer.name, lastTxId: "0", lastEventId: 0 })
          .onConflictDoNothing();
      }
    }
  }

  /**
   * Starts every consumer that is not backing off and is behind: on a poll, behind the
   * newest committed event; woken by commits, one of whose types the commits named (or
   * any, when one did not name its events), or not started for `catchUpMs`. Does not wait
   * for them.
   */
  private async scan(): Promise<void> {
    const woken = this.woken;
    const types = this.wokenTypes;
    this.woken = false;
    this.wokenTypes = null;
    const head = woken ? null : await newestCommittedPosition(this.database.db);
    const now = Date.now();
    for (const lane of this.lanes.values()) {
      if (lane.queued || lane.backoffUntil > now) continue;
      // Nothing committed after its position, and nothing of it left to store (`storeDue`).
      if (head && lane.cursor && !committedAfter(head, lane.cursor) && !this.storeDue(lane, now)) continue;
      const wanted = lane.consumer.types;
      if (woken && wanted && types && now - lane.startedAt < this.catchUpMs && !wanted.some((type) => types.has(type)))
        continue; // nothing it acts on
      lane.startedAt = now;
      lane.queued = true;
      lane.tail = lane.tail
        .then(async () => {
          const wait = lane.ranAt + (lane.consumer.batchGapMs ?? this.batchGapMs) - Date.now();
          if (wait > 0 && !this.stopped)
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, wait);
              lane.endGap = () => {
                clearTimeout(timer);
                resolve();
              };
            });
          lane.endGap = null;
          lane.queued = false;
          lane.ranAt = Date.now();
          await this.deliver(lane, false);
        })
        .catch((error: unknown) => this.log.error({ err: error, consumer: lane.consumer.name }, "event lane failed"));
    }
  }

  /**
   * Runs the consumer's batches until it is caught up (or stopped). A failure backs the
   * consumer off (the next polls skip it) and, when draining, is thrown.
   */
  private async deliver(lane: Lane, draining: boolean): Promise<void> {
    // A run queued behind the batch that failed starts after the back-off was set.
    if (!draining && lane.backoffUntil > Date.now()) return;
    while (draining || !this.stopped) {
      let delivered: number;
      let commit: CommitNotice | null;
      try {
        ({ delivered, commit } = await this.slots.run(async () => {
          // Only the batch itself: waiting for a slot behind other consumers is not being stuck.
          lane.runningSince = Date.now();
          try {
            return await this.runBatch(lane, draining);
          } finally {
            lane.runningSince = 0;
          }
        }));
      } catch (error) {
        lane.failures++;
        const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** lane.failures);
        lane.backoffUntil = Date.now() + delay;
        this.log.error(
          { err: error, consumer: lane.consumer.name, retryInMs: delay },
          "event consumer failed; will retry",
        );
        if (draining) throw error;
        return;
      }
      lane.failures = 0;
      lane.backoffUntil = 0;
      if (delivered > 0) {
        try {
          lane.consumer.committed?.(commit);
        } catch (error) {
          this.log.error({ err: error, consumer: lane.consumer.name }, "event consumer's after-commit hook failed");
        }
      }
      if (delivered < BATCH_SIZE) return;
    }
  }

  /**
   * Whether the lane holds a position ahead of the stored cursor that is due to be stored
   * (`CURSOR_PERSIST_MS`): a batch with no events then stores it, so that a consumer whose
   * commits stopped does not leave its last batches unstored until the next one.
   */
  private storeDue(lane: Lane, now: number): boolean {
    const { cursor, stored } = lane;
    return (
      cursor !== null &&
      stored !== null &&
      committedAfter(cursor, stored) &&
      now - lane.storeTriedAt >= this.cursorPersistMs
    );
  }

  /**
   * One batch. It stores its cursor whatever the handler wrote when `draining` (`drain()`
   * compares the stored ones), when this instance runs without the lease (the next batch
   * may be another instance's, which reads the stored cursor), and when the stored cursor
   * moved since this instance last saw it (another instance ran the consumer meanwhile).
   */
  private async runBatch(lane: Lane, draining: boolean): Promise<{ delivered: number; commit: CommitNotice | null }> {
    const { consumer } = lane;
    let position: CommitPosition | null = null;
    let stored: CommitPosition | null = null;
    let storeTried = false;
    let commit: CommitNotice | null = null;
    let txId: string | null = null;
    const delivered = await this.database.db.transaction(async (tx) => {
      // The horizon first, in a statement before the read and before this transaction holds
      // an xid of its own, which would hold it back. The consumer's lock is tried in the same
      // statement (it takes no xid; every statement is a round trip that, on a loaded host,
      // also hands the CPU to a backend): a horizon from before the lock is only older, so
      // still a safe bound for the read.
      const { horizon, claimed, isolation } = await eventHorizonWith<{ claimed: boolean; isolation: string }>(
        tx,
        sql`pg_try_advisory_xact_lock(hashtext('event_consumers'), hashtext(${consumer.name})) AS claimed,
            current_setting('transaction_isolation') AS isolation`,
      );
      // The read must be a later statement with a newer snapshot, which READ COMMITTED gives:
      // with one snapshot for the whole transaction the cursor read would not see what the
      // previous holder committed (events again), and the horizon, read later than the
      // snapshot, could pass a transaction the snapshot still saw running (events lost). It is
      // every connection's default (set when it connects, not a statement per transaction);
      // anything that changed it is refused here.
      if (isolation !== "read committed")
        throw new Error(`event consumer batches need READ COMMITTED; this connection runs ${isolation}`);
      if (!claimed) return 0; // another instance holds this consumer
      // A later statement than the claim, so its snapshot sees the cursor the previous
      // holder committed before it let go; the cursor and the events after it in one.
      // After the later of the stored cursor and this lane's position, which batches that
      // wrote nothing left ahead of it: otherwise their events would be handed out again.
      const batch = await readConsumerBatch(tx, {
        consumer: consumer.name,
        from: lane.cursor,
        below: horizon,
        limit: BATCH_SIZE,
      });
      if (!batch) return 0;
      const { cursor: after, events: rows } = batch;
      // Another instance stored a cursor since this one last read or wrote it: it ran the
      // consumer, and may run its next batch too, from the stored cursor. Unknown (null)
      // after a start or taking the lease over, when this instance does not share it.
      const moved =
        lane.stored !== null && (lane.stored.txId !== batch.stored.txId || lane.stored.id !== batch.stored.id);
      const force = draining || this.unleased || moved;
      lane.stored = batch.stored;
      if (rows.length === 0) {
        lane.cursor = after;
        // Nothing new; the position the last batches left unstored is stored when it is due.
        if (committedAfter(after, batch.stored) && (force || this.storeDue(lane, Date.now()))) {
          txId = await this.storeCursor(tx, lane, after, force);
          storeTried = true;
          if (txId !== null) stored = after;
        }
        return 0;
      }
      // The consumer works on this transaction: its writes commit with the cursor, and on
      // a single connection (PGlite) a query through the pool here would wait forever.
      await consumer.handle(
        rows.map(({ txId: _txId, ...event }) => event),
        tx,
      );
      const last = rows[rows.length - 1]!;
      const reached = { txId: last.txId, id: Number(last.id) };
      // A handler that wrote nothing leaves the transaction without an xid; unless the stored
      // cursor is due or the store forced, the update matches no row and takes none either
      // (nothing to announce).
      txId = await this.storeCursor(tx, lane, reached, force);
      storeTried = true;
      if (txId !== null) stored = reached;
      // Known once committed: a failed batch leaves the cursor where it was.
      position = reached;
      commit = commitNoticeOf(tx);
      return rows.length;
    });
    if (position) lane.cursor = position;
    if (stored) lane.stored = stored;
    if (storeTried) lane.storeTriedAt = Date.now();
    if (txId !== null) this.announceBatchEnd(lane, txId);
    return { delivered, commit };
  }
}

/** At most `limit` tasks at a time; the others wait in the order they asked. */
class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  private readonly limit: number;

  constructor(limit: number) {
    this.limit = Math.max(1, Math.floor(limit));
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // Handed over: the slot stays taken.
      if (next) next();
      else this.running--;
    }
  }
}
