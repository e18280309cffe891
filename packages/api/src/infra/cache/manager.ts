import { randomUUID } from "node:crypto";
import type { Db } from "@rapport/db";
import type { Clock } from "../../clock";
import type { CommitNotice, DomainEvent } from "../../platform/events/types";
import type { Logger } from "../../logger";
import { CacheAdmin, cacheHealth } from "./admin";
import { FreshnessFence, type FreshnessProbe } from "./fence";
import { CacheInvalidation } from "./invalidation";
import { CacheKeys, type CacheNamespace } from "./keys";
import { LocalTier } from "./local-tier";
import { CacheReader } from "./read-path";
import { CacheRedis } from "./redis";
import { defineCacheScripts } from "./scripts";
import { StatsRecorder } from "./stats";
import type { CacheParts } from "./parts";
import type { CacheFreshness, CacheHealth, CacheResult, CacheSettings, Computation } from "./types";

export type { CacheHealth, CacheResult, Computation } from "./types";

/**
 * What each namespace's reads may see (types.ts). Recommendations tolerate the time a
 * commit's wake-up takes to reach another instance (bench:cache reports it) and so
 * never wait for Postgres on a read; the warm-up's list of top
 * contacts is read rarely and stays read-after-commit.
 */
const DEFAULT_FRESHNESS: Record<CacheNamespace, CacheFreshness> = {
  rec: "event-bounded",
  top: "read-after-commit",
};

/** How old the fence's last probe may get while commits name their changes (see refreshIfOlderThan). */
const FENCE_REFRESH_MS = 1_000;

/** The cache module's durable consumer; the fence reads its cursor at start-up. */
export const CACHE_CONSUMER_NAME = "cache-invalidation";

export interface CacheManagerOptions {
  settings: CacheSettings;
  /** Database the freshness probe runs on (its own connection where possible). */
  probeDb?: Db;
  /** Or the probe itself (benchmarks, tests); default: Postgres through `probeDb`. */
  probe?: FreshnessProbe;
  /** Per namespace, overriding DEFAULT_FRESHNESS. */
  freshness?: Partial<Record<CacheNamespace, CacheFreshness>>;
  log: Logger;
  clock: Clock;
}

/**
 * The cache: an in-process LRU (bounded by bytes, local-tier.ts) in front of
 * Redis, keyed by a per-workspace generation, fenced for read-after-commit
 * (fence.ts), safe without Redis. This class wires the parts together and is
 * what the rest of the server calls:
 *  - read-path.ts: get / set / getOrCompute (fence, L1, L2, single flight, stampede lock);
 *  - invalidation.ts: generations, bumps per event, pub/sub, sweeping old generations;
 *  - admin.ts: forgetting a workspace, listing and deleting keys, statistics;
 *  - scripts.ts: the Redis scripts all of them run.
 */
export class CacheManager {
  readonly keys: CacheKeys;
  readonly redis: CacheRedis;
  readonly fence: FreshnessFence;
  readonly stats = new StatsRecorder();
  readonly instanceId = randomUUID();
  private readonly local: LocalTier;
  private readonly invalidation: CacheInvalidation;
  private readonly reader: CacheReader;
  private readonly admin: CacheAdmin;
  private statsTimer: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(private readonly options: CacheManagerOptions) {
    const { settings } = options;
    const log = options.log.child({ component: "cache" });
    this.log = log;
    this.keys = new CacheKeys(settings.prefix);
    this.redis = new CacheRedis({
      url: settings.redisUrl,
      timeoutMs: settings.timeoutMs,
      breakerFailures: settings.breakerFailures,
      breakerCooldownMs: settings.breakerCooldownMs,
      log,
      onRecover: () => this.recovered(),
    });
    if (this.redis.raw) defineCacheScripts(this.redis.raw);
    this.local = new LocalTier(settings.l1MaxBytes, (workspaceId) => this.stats.count(workspaceId, "evictions"));
    const parts: CacheParts = {
      settings,
      clock: options.clock,
      log,
      keys: this.keys,
      redis: this.redis,
      local: this.local,
      stats: this.stats,
      instanceId: this.instanceId,
    };
    this.invalidation = new CacheInvalidation(parts);
    this.fence = new FreshnessFence(
      options.probe ?? lazyPostgresProbe(options.probeDb),
      (changes) => this.invalidation.applyChanges(changes),
      log,
    );
    this.reader = new CacheReader(parts, this.fence, this.invalidation, {
      ...DEFAULT_FRESHNESS,
      ...options.freshness,
    });
    this.admin = new CacheAdmin(parts, this.invalidation);
  }

  async start(): Promise<void> {
    await this.redis.start();
    this.redis.subscribe(this.keys.channel(), (message) => this.invalidation.onBroadcast(message));
    this.statsTimer = setInterval(() => void this.flushStats(), this.options.settings.statsFlushMs);
    this.statsTimer.unref();
  }

  async close(): Promise<void> {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.invalidation.close();
    await this.flushStats().catch(() => {});
    await this.redis.close();
  }

  health(): CacheHealth {
    return cacheHealth(this.redis);
  }

  // ------------------------------------------------------------ read path

  /** This instance's data version of a workspace; grows with every change it learns of. */
  version(workspaceId: string): number {
    return this.local.version(workspaceId);
  }

  /** Waits for the freshness fence; false if the probe failed (callers then bypass the cache). */
  fenced(): Promise<boolean> {
    return this.reader.fenced();
  }

  /** A value if cached and fresh (L1, then L2), else null. */
  get<T>(namespace: CacheNamespace, workspaceId: string, key: string): Promise<CacheResult<T> | null> {
    return this.reader.get(namespace, workspaceId, key);
  }

  /** Stores a value (both tiers), under the workspace's state as this instance knows it. */
  set<T>(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    value: T,
    options: { ttlSeconds: number },
  ): Promise<{ stored: boolean }> {
    return this.reader.set(namespace, workspaceId, key, value, options);
  }

  /** The cached value, or compute it once (per process, and across instances while the lock is held) and cache it. */
  getOrCompute<T>(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    compute: Computation<T>,
    options: { ttlSeconds: number; accept?: (value: T) => boolean },
  ): Promise<CacheResult<T>> {
    return this.reader.getOrCompute(namespace, workspaceId, key, compute, options);
  }

  // --------------------------------------------------------- invalidation

  /** The workspace's current generation (initialised on first use). */
  generation(workspaceId: string): Promise<number> {
    return this.invalidation.generation(workspaceId);
  }

  /** Called with a workspace id after a manual invalidation (here or on another instance). */
  onInvalidate(listener: (workspaceId: string) => void): () => void {
    return this.invalidation.onInvalidate(listener);
  }

  /** Bumps the generation once for these events (or unconditionally with none). Throws if Redis is unavailable. */
  bump(workspaceId: string, eventIds: number[]): Promise<number> {
    return this.invalidation.bump(workspaceId, eventIds);
  }

  /** Bus listener (every instance hears every event): evict this instance's entries early. */
  onEvent(event: DomainEvent): void {
    this.invalidation.onEvent(event);
  }

  /**
   * Some instance just committed a write (runtime's commit wake-up: this process, before
   * the writer answers, or Redis), so that an event-bounded read sees the change without
   * waiting for its outbox event, which the dispatcher delivers only after its pass over
   * the durable consumers. A wake-up that names its events is applied at once (local
   * entries dropped, the Redis bump pending, like a bus event); one that does not (a
   * consumer's commit, a large batch) makes the fence's probe ask Postgres what changed
   * (probes coalesce: one in flight, one queued). If the wake-up is lost, the event still
   * invalidates.
   */
  onCommit(commit: CommitNotice): void {
    const probes = Boolean(this.options.probe ?? this.options.probeDb);
    if (commit.events) {
      this.invalidation.applyCommitted(commit.events);
      if (probes) this.fence.refreshIfOlderThan(FENCE_REFRESH_MS);
      return;
    }
    if (!probes) return;
    this.fence.sync().catch((error: unknown) => {
      this.log.warn({ err: error }, "could not ask what a commit changed; its event will invalidate instead");
    });
  }

  /** Called for every change this instance learns of (commit wake-up or probe, bus event), once per event: diagnostics, benchmarks. */
  onChange(listener: (workspaceId: string, eventIds: readonly number[]) => void): () => void {
    return this.invalidation.onChange(listener);
  }

  /**
   * Any contact or interaction change among `events` bumps its workspace's
   * generation. Throws while Redis is unavailable so the durable consumer retries:
   * a bump must not be lost, or an old entry could outlive its data.
   */
  bumpForEvents(events: DomainEvent[]): Promise<void> {
    return this.invalidation.bumpForEvents(events);
  }

  /** Bumps the generation (O(1)), tells the other instances, then sweeps the old keys. */
  invalidateWorkspace(workspaceId: string): Promise<{ invalidatedKeys: number; status: "ok" | "degraded" }> {
    return this.invalidation.invalidateWorkspace(workspaceId);
  }

  /** Removes keys of older generations (and their locks). Returns how many were removed. */
  sweep(workspaceId: string, currentGeneration: number): Promise<number> {
    return this.invalidation.sweep(workspaceId, currentGeneration);
  }

  // ---------------------------------------------------------------- admin

  /** A deleted workspace: drops everything of it, here, on the other instances and in Redis. */
  forgetWorkspace(workspaceId: string): Promise<{ removedKeys: number }> {
    return this.admin.forgetWorkspace(workspaceId);
  }

  /** Deletes one key of the workspace. Anything else is refused by the caller (FORBIDDEN). */
  deleteKey(
    workspaceId: string,
    logicalKey: string,
  ): Promise<{ deleted: boolean; status: "ok" | "degraded" } | "forbidden"> {
    return this.admin.deleteKey(workspaceId, logicalKey);
  }

  /** SCAN-based listing, confined to the workspace's data keys; `cursor` from the previous page. */
  listKeys(workspaceId: string, options: { pattern?: string; cursor?: string | null; limit: number }) {
    return this.admin.listKeys(workspaceId, options);
  }

  /** Statistics of one workspace (all instances), plus Redis-wide figures. */
  workspaceStats(workspaceId: string) {
    return this.admin.workspaceStats(workspaceId);
  }

  /** Writes the counted deltas to Redis (one pipeline). */
  flushStats(): Promise<void> {
    return this.admin.flushStats();
  }

  /** Redis answers again: bump what was pending, flush statistics. */
  private recovered(): void {
    this.invalidation.recovered();
    void this.flushStats();
  }
}

/** The Postgres probe, imported on first use: loading the cache loads no database driver. */
function lazyPostgresProbe(db: Db | undefined): FreshnessProbe {
  let probe: FreshnessProbe | null = null;
  return async (since) => {
    if (!db) throw new Error("the freshness fence needs a database (probeDb) or a probe");
    probe ??= (await import("./fence-postgres")).postgresProbe(db, CACHE_CONSUMER_NAME);
    return probe(since);
  };
}
