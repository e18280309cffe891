import { eventConsumers, queryRows, type Database } from "@rapport/db";
import { sql } from "drizzle-orm";
import type { Logger } from "../../logger";
import {
  type CommitPosition,
  committedAfter,
  eventHorizonWith,
  newestCommittedPosition,
  readConsumerBatch,
} from "./committed";
import { commitNoticeOf } from "./outbox";
import type { CommitNotice, EventConsumer } from "./types";

const BATCH_SIZE = 500;
const MAX_BACKOFF_MS = 30_000;
const WAKE_COALESCE_MS = 5;

/** One consumer's delivery on this instance: its batches run one after another (commit order). */
interface Lane {
  consumer: EventConsumer;
  /** The lane's batches so far, chained; never rejects. */
  tail: Promise<void>;
  /** A run is chained behind `tail` and has not started: it will read whatever a later wake-up is about. */
  queued: boolean;
  failures: number;
  backoffUntil: number;
  /** Its cursor as this instance last read or moved it (another instance may have moved it on). */
  cursor: CommitPosition | null;
}

/**
 * Delivers committed outbox events to durable consumers, at least once and in
 * commit order. Every instance may run it: a batch holds its consumer's transaction-level
 * advisory lock (tried, not waited for), so one instance at a time owns a consumer and
 * the others move on. Not a row lock: `FOR UPDATE` gives the batch's transaction an xid
 * from its first statement, and an open xid holds back the outbox horizon of every reader
 * (live feeds, the other consumers) for the whole batch; an advisory lock takes none, so
 * a batch that writes nothing but its cursor holds the horizon back only for that update.
 *
 * Ordering by id alone would skip events: ids are taken at INSERT but become
 * visible at COMMIT, so id 11 can commit before id 10. Each event therefore
 * records its transaction id, and a batch only reads transactions below the
 * horizon of this database (`eventHorizon`: the oldest transaction of THIS
 * database still running, not of the whole server), ordered by (tx_id, id).
 * Nothing that is still in flight can later appear behind the cursor.
 *
 * A pass reads the newest committed position (two statements) and starts every
 * consumer whose cursor, as this instance last read it, is behind it: an idle pass
 * costs two queries, not a transaction per consumer. Each consumer then runs in a
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
  private stopped = true;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly pollMs: number,
    /** Batches (transactions) at once across consumers; each holds a connection while it runs. */
    concurrency = 1,
  ) {
    this.slots = new Slots(concurrency);
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
    });
  }

  async start(): Promise<void> {
    await this.ensureCursors();
    this.stopped = false;
    this.schedule(0);
  }

  /** Called after a commit that wrote events: deliver soon rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
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
    await this.scanning;
    await Promise.all([...this.lanes.values()].map((lane) => lane.tail));
  }

  /**
   * Delivers until every consumer has passed the newest event committed when
   * drain was called (tests, shutdown). Returns false if that did not happen
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
    if (!target) return true;
    const names = [...this.lanes.keys()];
    const deadline = Date.now() + timeoutMs;
    while (true) {
      // Every lane, backing off or not, after what it is already running.
      const runs = [...this.lanes.values()].map((lane) => {
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
      if (Number(behind?.n ?? 0) === 0) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
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

  private async ensureCursors(): Promise<void> {
    for (const lane of this.lanes.values()) {
      lane.cursor = null;
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

  /** Starts every consumer that is behind the newest committed event and not backing off; does not wait for them. */
  private async scan(): Promise<void> {
    const head = await newestCommittedPosition(this.database.db);
    const now = Date.now();
    for (const lane of this.lanes.values()) {
      if (lane.queued || lane.backoffUntil > now) continue;
      if (lane.cursor && !committedAfter(head, lane.cursor)) continue; // nothing committed after its cursor
      lane.queued = true;
      lane.tail = lane.tail
        .then(() => {
          lane.queued = false;
          return this.deliver(lane, false);
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
        ({ delivered, commit } = await this.slots.run(() => this.runBatch(lane)));
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

  private async runBatch(lane: Lane): Promise<{ delivered: number; commit: CommitNotice | null }> {
    const { consumer } = lane;
    let position: CommitPosition | null = null;
    let commit: CommitNotice | null = null;
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
      const batch = await readConsumerBatch(tx, { consumer: consumer.name, below: horizon, limit: BATCH_SIZE });
      if (!batch) return 0;
      const { cursor: after, events: rows } = batch;
      if (rows.length === 0) {
        lane.cursor = after;
        return 0;
      }
      // The consumer works on this transaction: its writes commit with the cursor, and on
      // a single connection (PGlite) a query through the pool here would wait forever.
      await consumer.handle(
        rows.map(({ txId: _txId, ...event }) => event),
        tx,
      );
      const last = rows[rows.length - 1]!;
      await tx.execute(sql`UPDATE event_consumers SET last_tx_id = ${last.txId}::xid8, last_event_id = ${Number(last.id)}, updated_at = now()
                           WHERE name = ${consumer.name}`);
      // Known once committed: a failed batch leaves the cursor where it was.
      position = { txId: last.txId, id: Number(last.id) };
      commit = commitNoticeOf(tx);
      return rows.length;
    });
    if (position) lane.cursor = position;
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
