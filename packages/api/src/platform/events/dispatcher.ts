import { eventConsumers, queryRows, type Database } from "@rapport/db";
import { sql } from "drizzle-orm";
import type { Logger } from "../../logger";
import {
  type CommitPosition,
  committedAfter,
  eventHorizon,
  newestCommittedPosition,
  readCommittedEvents,
} from "./committed";
import type { EventConsumer } from "./types";

const BATCH_SIZE = 500;
const MAX_BACKOFF_MS = 30_000;
const WAKE_COALESCE_MS = 5;

/**
 * Delivers committed outbox events to durable consumers, at least once and in
 * commit order. Every instance may run it: a consumer's cursor row is locked
 * with FOR UPDATE SKIP LOCKED while its batch runs, so one instance at a time
 * owns a consumer and the others move on.
 *
 * Ordering by id alone would skip events: ids are taken at INSERT but become
 * visible at COMMIT, so id 11 can commit before id 10. Each event therefore
 * records its transaction id, and a batch only reads transactions below the
 * horizon of this database (`eventHorizon`: the oldest transaction of THIS
 * database still running, not of the whole server), ordered by (tx_id, id).
 * Nothing that is still in flight can later appear behind the cursor.
 *
 * A pass first reads the newest committed position (two statements) and skips every
 * consumer whose cursor, as this instance last read it, is already there: an idle pass
 * costs two queries, not a transaction per consumer, so a wake-up after a commit rarely
 * waits behind a pass that had nothing to do (under load that wait was most of the
 * time an event took to reach the instances).
 */
export class EventDispatcher {
  private readonly consumers = new Map<string, EventConsumer>();
  private readonly backoffUntil = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  /** Each consumer's cursor as this instance last read or moved it (another instance may have moved it on). */
  private readonly cursors = new Map<string, CommitPosition>();
  private timer: NodeJS.Timeout | null = null;
  private dueAt = 0;
  private running: Promise<void> | null = null;
  private wakeRequested = false;
  private stopped = true;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {}

  register(consumer: EventConsumer): void {
    if (this.consumers.has(consumer.name)) throw new Error(`Duplicate event consumer ${consumer.name}`);
    this.consumers.set(consumer.name, consumer);
  }

  async start(): Promise<void> {
    await this.ensureCursors();
    this.stopped = false;
    this.schedule(0);
  }

  /** Called after a commit that wrote events: deliver soon rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
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
    await this.running;
  }

  /**
   * Delivers until every consumer has passed the newest event committed when
   * drain was called (tests, shutdown). Returns false if that did not happen
   * within the timeout, e.g. because an older transaction is still open.
   * A consumer failure is thrown.
   */
  async drain({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<boolean> {
    await this.ensureCursors();
    await this.running;
    const [target] = await queryRows<{ tx_id: string; id: string | number }>(
      this.database.db,
      sql`SELECT tx_id::text AS tx_id, id FROM domain_events ORDER BY tx_id DESC, id DESC LIMIT 1`,
    );
    if (!target) return true;
    const names = [...this.consumers.keys()];
    const deadline = Date.now() + timeoutMs;
    while (true) {
      await this.tick(true);
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
      this.running = this.tick(false)
        .then((more) => {
          this.running = null;
          const again = more || this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(more ? 0 : again ? WAKE_COALESCE_MS : this.pollMs);
        })
        .catch((error) => {
          this.running = null;
          // The database itself is failing: back off instead of logging every poll.
          this.log.error({ err: error }, "event dispatcher tick failed");
          this.schedule(Math.max(this.pollMs, 5_000));
        });
    }, delay);
    this.timer.unref?.();
  }

  private async ensureCursors(): Promise<void> {
    this.cursors.clear();
    for (const consumer of this.consumers.values()) {
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

  /** One pass over all consumers. Returns true when some consumer may have more. */
  private async tick(ignoreBackoff: boolean): Promise<boolean> {
    let more = false;
    const head = await newestCommittedPosition(this.database.db);
    for (const consumer of this.consumers.values()) {
      if (!ignoreBackoff && (this.backoffUntil.get(consumer.name) ?? 0) > Date.now()) continue;
      const known = this.cursors.get(consumer.name);
      if (known && !committedAfter(head, known)) continue; // nothing committed after its cursor
      try {
        const delivered = await this.runBatch(consumer);
        if (delivered > 0) consumer.committed?.();
        if (delivered === BATCH_SIZE) more = true;
        this.failures.delete(consumer.name);
        this.backoffUntil.delete(consumer.name);
      } catch (error) {
        const failures = (this.failures.get(consumer.name) ?? 0) + 1;
        this.failures.set(consumer.name, failures);
        const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures);
        this.backoffUntil.set(consumer.name, Date.now() + delay);
        this.log.error({ err: error, consumer: consumer.name, retryInMs: delay }, "event consumer failed; will retry");
        if (ignoreBackoff) throw error;
      }
    }
    return more;
  }

  private async runBatch(consumer: EventConsumer): Promise<number> {
    let position: CommitPosition | null = null;
    const delivered = await this.database.db.transaction(
      async (tx) => {
        // The horizon first, in a statement of its own (the read below is a later statement
        // with a newer snapshot, which READ COMMITTED gives; it is asked for explicitly below),
        // and before this transaction holds an xid of its own, which would hold it back.
        const horizon = await eventHorizon(tx);
        const [cursor] = await queryRows<{ last_tx_id: string; last_event_id: string | number }>(
          tx,
          sql`SELECT last_tx_id::text AS last_tx_id, last_event_id FROM event_consumers
            WHERE name = ${consumer.name} FOR UPDATE SKIP LOCKED`,
        );
        if (!cursor) return 0; // another instance holds this consumer
        const after = { txId: cursor.last_tx_id, id: Number(cursor.last_event_id) };
        const rows = await readCommittedEvents(tx, {
          after,
          below: horizon,
          limit: BATCH_SIZE,
        });
        if (rows.length === 0) {
          this.cursors.set(consumer.name, after);
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
        return rows.length;
      },
      { isolationLevel: "read committed" },
    );
    if (position) this.cursors.set(consumer.name, position);
    return delivered;
  }
}
