import type { Logger } from "../../logger";
import { parseSnapshot, type PgSnapshot } from "./snapshot";

export interface WorkspaceChanges {
  /** Transactions (xid8) that changed the workspace's contacts or interactions. */
  txs: bigint[];
  eventIds: number[];
}

export type ChangeListener = (changes: Map<string, WorkspaceChanges>, snapshot: PgSnapshot) => void;

/** One committed contact/interaction event a probe reports. */
export interface ProbedChange {
  workspaceId: string;
  /** xid8 of its transaction, as text */
  tx: string;
  eventId: number;
}

/**
 * Asks the database what changed: `since` null = everything the cache consumer
 * has not processed yet, else what became visible since that snapshot. Returns
 * the statement's snapshot and the changes (fence-postgres.ts; injectable so
 * that loading the cache loads no database driver).
 */
export type FreshnessProbe = (since: PgSnapshot | null) => Promise<{ snapshot: string; changes: ProbedChange[] }>;

const PROBE_TIMEOUT_MS = 2_000;

/**
 * Read-after-commit for cached values, across instances.
 *
 * Invalidation through the outbox is asynchronous: between a write's commit
 * and its event reaching the cache consumer (a few ms, more under load or if
 * the dispatcher is behind) a cache would serve the old answer. So before a
 * cached value is served, the instance asks Postgres — the one thing that
 * changes synchronously with the commit — which contact/interaction events
 * became visible since it last asked:
 *
 *     events with tx_id not visible in the last applied probe's snapshot
 *     (and visible in this statement's snapshot, implicitly)
 *
 * Every committed change is reported by a probe of each instance. `sync()`
 * resolves after a probe that *started after the call* has been applied, so a
 * read that arrives after a write committed always sees the invalidation
 * first. Probes are coalesced — one in flight at a time, every read that
 * arrives meanwhile waits for the next — so the batch grows with the load
 * (measured: ~25 reads per probe at 2.5k req/s; pipelining a probe per
 * event-loop turn instead made 4× more probes and longer waits). The probe
 * uses its own connection so it never queues behind slow queries. Applying
 * a change is idempotent (event ids are deduplicated by the listener). Every
 * commit's wake-up runs a probe too (CacheManager.onCommit): that is how
 * event-bounded namespaces learn of a change without a probe per read.
 */
export class FreshnessFence {
  private previous: PgSnapshot | null = null;
  /** When the probe whose snapshot is `previous` started (performance.now()). */
  private previousAt = 0;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  probes = 0;
  /** Sum of probe round trips (ms), for diagnostics. */
  probeMillis = 0;

  constructor(
    private readonly ask: FreshnessProbe,
    private readonly onChanges: ChangeListener,
    private readonly log: Logger,
  ) {}

  /** The snapshot of the last applied probe (null before the first). */
  get lastSnapshot(): PgSnapshot | null {
    return this.previous;
  }

  /** Resolves once every change committed before this call has been reported. */
  sync(): Promise<void> {
    if (!this.running) return this.start();
    if (!this.queued) {
      this.queued = this.running
        .catch(() => {})
        .then(() => {
          this.queued = null;
          return this.start();
        });
    }
    return this.queued;
  }

  /**
   * Probes in the background when the last applied probe is older than `maxAgeMs`. A
   * read-after-commit read's probe asks for every change since the previous probe, and
   * writes whose events their commit notices name start none: after a long import that
   * question could outgrow the probe's time limit, and a probe that times out leaves it to
   * grow further. Called on such commits, it keeps the question to about `maxAgeMs` of writes.
   */
  refreshIfOlderThan(maxAgeMs: number): void {
    if (this.running || !this.previous || performance.now() - this.previousAt < maxAgeMs) return;
    this.start().catch((error: unknown) => this.log.debug({ err: error }, "background freshness probe failed"));
  }

  private start(): Promise<void> {
    const run = this.probe().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async probe(): Promise<void> {
    this.probes++;
    const started = performance.now();
    const since = this.previous;
    try {
      let timer: NodeJS.Timeout | undefined;
      const answer = await Promise.race([
        this.ask(since),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`freshness probe: no answer within ${PROBE_TIMEOUT_MS} ms`)),
            PROBE_TIMEOUT_MS,
          );
          timer.unref?.();
        }),
      ]).finally(() => clearTimeout(timer));
      const snapshot = parseSnapshot(answer.snapshot);
      const changes = new Map<string, WorkspaceChanges>();
      for (const change of answer.changes) {
        let entry = changes.get(change.workspaceId);
        if (!entry) changes.set(change.workspaceId, (entry = { txs: [], eventIds: [] }));
        const tx = BigInt(change.tx);
        if (!entry.txs.includes(tx)) entry.txs.push(tx);
        entry.eventIds.push(change.eventId);
      }
      // Apply before releasing the reads: they must see the invalidation.
      if (changes.size > 0) {
        try {
          this.onChanges(changes, snapshot);
        } catch (error) {
          this.log.error({ err: error }, "applying cache invalidations failed");
          throw error;
        }
      }
      this.previous = snapshot;
      this.previousAt = started;
    } finally {
      this.probeMillis += performance.now() - started;
    }
  }
}
