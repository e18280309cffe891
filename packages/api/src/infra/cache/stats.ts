/**
 * Cache statistics, per workspace, added up across instances in Redis.
 *
 * Updating is cheap: each instance counts in memory and flushes the deltas
 * once a second in one pipeline of HINCRBYs (counters, a fixed latency
 * histogram, per-minute hit/miss buckets for the chart). If Redis is down the
 * deltas wait in memory (bounded: counters and a fixed number of buckets).
 */
export const COUNTERS = [
  "hitsL1",
  "hitsL2",
  "misses",
  "computations",
  "coalesced",
  "lockWaits",
  "staleRejected",
  "redisErrors",
  "bypassed",
  "evictions",
  "getCount",
  "getMicros",
] as const;
export type Counter = (typeof COUNTERS)[number];

/** Upper bounds (ms) of the latency buckets; the last one is open-ended. */
export const LATENCY_BUCKETS_MS = [
  0.1,
  0.25,
  0.5,
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  250,
  500,
  1_000,
  2_500,
  Number.POSITIVE_INFINITY,
] as const;

export type Counters = Record<Counter, number>;

export function emptyCounters(): Counters {
  return Object.fromEntries(COUNTERS.map((name) => [name, 0])) as Counters;
}

interface Pending {
  counters: Counters;
  buckets: number[];
  /** minute epoch → [hits, misses] */
  minutes: Map<number, [number, number]>;
}

function bucketOf(ms: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (ms <= LATENCY_BUCKETS_MS[i]!) return i;
  return LATENCY_BUCKETS_MS.length - 1;
}

/** The p-th percentile's bucket upper bound from a histogram (ms); null without samples. */
export function percentileFromBuckets(buckets: number[], p: number): number | null {
  const total = buckets.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= rank) {
      const bound = LATENCY_BUCKETS_MS[i]!;
      return Number.isFinite(bound) ? bound : LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 2]!;
    }
  }
  return null;
}

export class StatsRecorder {
  private pending = new Map<string, Pending>();
  /** Everything this instance counted since start (never flushed away; for diagnostics and benchmarks). */
  readonly totals = new Map<string, Counters>();

  /** When this process started counting (the figures' start when there is no Redis to add them up in). */
  readonly since: Date;

  constructor(private readonly now: () => number = Date.now) {
    this.since = new Date(now());
  }

  count(workspaceId: string, counter: Counter, n = 1): void {
    this.entry(workspaceId).counters[counter] += n;
    const total = this.totals.get(workspaceId) ?? emptyCounters();
    total[counter] += n;
    this.totals.set(workspaceId, total);
    if (counter === "hitsL1" || counter === "hitsL2" || counter === "misses") {
      const minute = Math.floor(this.now() / 60_000);
      const entry = this.entry(workspaceId);
      let slot = entry.minutes.get(minute);
      if (!slot) {
        if (entry.minutes.size >= 180) entry.minutes.delete(entry.minutes.keys().next().value!);
        entry.minutes.set(minute, (slot = [0, 0]));
      }
      slot[counter === "misses" ? 1 : 0] += n;
    }
  }

  /** A cache get took `ms` (fence + L1 + L2, not the computation). */
  latency(workspaceId: string, ms: number): void {
    this.count(workspaceId, "getCount");
    this.count(workspaceId, "getMicros", Math.round(ms * 1000));
    this.entry(workspaceId).buckets[bucketOf(ms)]! += 1;
  }

  /** Takes the unflushed deltas (give them back with `restore` if the flush fails). */
  take(): Map<string, Pending> {
    const taken = this.pending;
    this.pending = new Map();
    return taken;
  }

  restore(taken: Map<string, Pending>): void {
    for (const [workspaceId, delta] of taken) {
      const entry = this.entry(workspaceId);
      for (const name of COUNTERS) entry.counters[name] += delta.counters[name];
      delta.buckets.forEach((n, i) => (entry.buckets[i]! += n));
      for (const [minute, [h, m]] of delta.minutes) {
        const slot = entry.minutes.get(minute) ?? [0, 0];
        entry.minutes.set(minute, [slot[0] + h, slot[1] + m]);
      }
    }
  }

  /** Drops everything counted for a workspace that no longer exists (nothing of it is flushed again). */
  forget(workspaceId: string): void {
    this.pending.delete(workspaceId);
    this.totals.delete(workspaceId);
  }

  /** Unflushed deltas of one workspace (what Redis does not know yet). */
  unflushed(workspaceId: string): Pending | undefined {
    return this.pending.get(workspaceId);
  }

  private entry(workspaceId: string): Pending {
    let entry = this.pending.get(workspaceId);
    if (!entry) {
      entry = { counters: emptyCounters(), buckets: LATENCY_BUCKETS_MS.map(() => 0), minutes: new Map() };
      this.pending.set(workspaceId, entry);
    }
    return entry;
  }
}
