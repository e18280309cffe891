import { randomUUID } from "node:crypto";
import { matchesGlob } from "@rapport/core";
import type { Db } from "@rapport/db";
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import type { Clock } from "../../clock";
import type { DomainEvent, EventConsumer } from "../../platform/events/types";
import type { Logger } from "../../logger";
import { FreshnessFence, type WorkspaceChanges } from "./fence";
import { CacheKeys, DATA_NAMESPACES, parseLogical, type CacheNamespace } from "./keys";
import { CacheRedis, CacheUnavailableError } from "./redis";
import { parseSnapshot, visibleIn } from "./snapshot";
import { COUNTERS, emptyCounters, LATENCY_BUCKETS_MS, percentileFromBuckets, StatsRecorder, type Counters } from "./stats";

/** The durable consumer's name; the fence reads its cursor at start-up. */
export const CACHE_CONSUMER_NAME = "cache-invalidation";

export interface CacheSettings {
  /** REDIS_PREFIX: the product's key prefix. */
  prefix: string;
  /** Redis for the cache (CACHE_REDIS_URL, else REDIS_URL); unset = memory only. */
  redisUrl: string | undefined;
  timeoutMs: number;
  breakerFailures: number;
  breakerCooldownMs: number;
  /** Bytes of the in-process tier (0 = off). */
  l1MaxBytes: number;
  lockTtlMs: number;
  lockWaitMs: number;
  statsFlushMs: number;
}

export interface CacheManagerOptions {
  settings: CacheSettings;
  /** Database the freshness probe runs on (its own connection where possible). */
  probeDb: Db;
  log: Logger;
  clock: Clock;
}

export type CacheSource = "l1" | "l2" | "compute" | "bypass";

export interface CacheResult<T> {
  value: T;
  /** Served from a cache tier (this request computed nothing and waited on no computation). */
  cached: boolean;
  source: CacheSource;
  computedAt: Date;
}

export interface ComputeContext {
  /** This instance's data version of the workspace when the lookup started. */
  version: number;
  generation: number | null;
}

export type Computation<T> = (ctx: ComputeContext) => Promise<{ value: T; snapshot: string }>;

export interface CacheHealth {
  configured: boolean;
  degraded: boolean;
  degradedSince: Date | null;
  detail: string | null;
}

interface Envelope {
  /** value */
  v: unknown;
  /** pg_snapshot of the data it was computed from */
  s: string;
  /** computed at (epoch ms) */
  t: number;
}

interface LocalEntry {
  value: unknown;
  computedAt: number;
  version: number;
  workspaceId: string;
  size: number;
}

interface PendingChange {
  txs: bigint[];
  eventIds: number[];
}

type ReadScript = (
  genKey: string,
  dataPrefix: string,
  dataSuffix: string,
  lockPrefix: string,
  lockSuffix: string,
  token: string,
  lockTtlMs: string,
) => Promise<[string, string | null, number, number]>;
type BumpScript = (genKey: string, seenKey: string, ...eventIds: string[]) => Promise<[number, number]>;
type StoreScript = (dataKey: string, lockKey: string, json: string, ttlSeconds: string, token: string) => Promise<number>;

// Generations start from the Redis clock in ms, so a generation key lost to
// eviction can never restart at a number an older, still-living key used.
const INIT_GENERATION = `
local function ensure(key)
  local g = redis.call('GET', key)
  if g then return g end
  local t = redis.call('TIME')
  g = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  if redis.call('SET', key, g, 'NX') then return g end
  return redis.call('GET', key)
end
`;
// One round trip for a lookup: the generation, the value under it, and (on a
// miss, when a token is given) the stampede lock. KEYS: none — standalone Redis;
// the key names depend on the generation read here.
const READ_LUA = `${INIT_GENERATION}
local g = ensure(ARGV[1])
local value = redis.call('GET', ARGV[2] .. g .. ARGV[3])
local lock = -2
local acquired = 0
if ARGV[4] ~= '' then
  local lockKey = ARGV[4] .. g .. ARGV[5]
  if (not value) and ARGV[6] ~= '' and redis.call('SET', lockKey, ARGV[6], 'NX', 'PX', tonumber(ARGV[7])) then acquired = 1 end
  lock = redis.call('PTTL', lockKey)
end
return {g, value, lock, acquired}`;
// Idempotent per event: several instances (and the durable consumer) report the
// same change, the generation moves once. No ids = unconditional bump.
const BUMP_LUA = `${INIT_GENERATION}
local added = 0
if #ARGV == 0 then added = 1 else
  for i = 1, #ARGV do added = added + redis.call('ZADD', KEYS[2], 'NX', ARGV[i], ARGV[i]) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -5001)
  redis.call('PEXPIRE', KEYS[2], 86400000)
end
ensure(KEYS[1])
if added > 0 then return {redis.call('INCR', KEYS[1]), 1} end
return {tonumber(redis.call('GET', KEYS[1])), 0}`;
// Store a computed value and release our lock in one round trip.
const STORE_LUA = `redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const LOCK_POLL_MS = 20;
const SWEEP_DELAY_MS = 5_000;
const MAX_PENDING_PER_WORKSPACE = 1_000;
const SEEN_EVENTS = 50_000;

/**
 * The cache: an in-process LRU (bounded by bytes) in front of Redis, keyed by
 * a per-workspace generation, fenced for read-after-commit, safe without Redis.
 *
 * Reading (`getOrCompute`):
 *  1. fence: wait for a freshness probe that started after the call, which
 *     reports (and applies) every change committed before it (see fence.ts);
 *  2. L1: an entry is valid if it was stored under the workspace's current
 *     local version (bumped by every reported change, bus event or manual
 *     invalidation);
 *  3. L2 (one script: read the generation, then the value under it): valid if
 *     the snapshot it was computed from already includes every change this
 *     instance has seen but not yet confirmed as bumped in Redis;
 *  4. miss: one computation per process (single-flight map keyed by version),
 *     and across instances one while a short SET NX PX lock is held; others
 *     poll for the value and compute themselves if the holder dies.
 *
 * Invalidation: a workspace's generation is bumped (idempotently per event) by
 * every instance that sees a change and by the durable `cache-invalidation`
 * consumer; manual invalidation bumps it too and tells the other instances
 * over pub/sub (invalidation only, never values). Old generations expire by
 * TTL or are swept in the background with SCAN + UNLINK.
 */
export class CacheManager {
  readonly keys: CacheKeys;
  readonly redis: CacheRedis;
  readonly fence: FreshnessFence;
  readonly stats = new StatsRecorder();
  readonly instanceId = randomUUID();
  private readonly l1: LRUCache<string, LocalEntry> | null;
  private readonly l1ByWorkspace = new Map<string, Set<string>>();
  private readonly versions = new LRUCache<string, number>({ max: 100_000 });
  private versionClock = 0;
  private readonly pending = new Map<string, PendingChange[]>();
  private readonly overflowed = new Set<string>();
  private readonly seenEvents = new LRUCache<number, true>({ max: SEEN_EVENTS });
  /** Events the fence has already reported (pipelined probes may report one twice). */
  private readonly fencedEvents = new LRUCache<number, true>({ max: SEEN_EVENTS });
  private readonly inflight = new Map<string, Promise<CacheResult<unknown>>>();
  private readonly sweeps = new Map<string, NodeJS.Timeout>();
  private readonly invalidationListeners = new Set<(workspaceId: string) => void>();
  private statsTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(private readonly options: CacheManagerOptions) {
    const { settings } = options;
    this.log = options.log.child({ component: "cache" });
    this.keys = new CacheKeys(settings.prefix);
    this.redis = new CacheRedis({
      url: settings.redisUrl,
      timeoutMs: settings.timeoutMs,
      breakerFailures: settings.breakerFailures,
      breakerCooldownMs: settings.breakerCooldownMs,
      log: this.log,
      onRecover: () => this.recovered(),
    });
    const raw = this.redis.raw;
    if (raw) {
      raw.defineCommand("rapportCacheRead", { numberOfKeys: 0, lua: READ_LUA });
      raw.defineCommand("rapportCacheBump", { numberOfKeys: 2, lua: BUMP_LUA });
      raw.defineCommand("rapportCacheStore", { numberOfKeys: 2, lua: STORE_LUA });
      raw.defineCommand("rapportCacheRelease", { numberOfKeys: 1, lua: RELEASE_LUA });
    }
    this.l1 =
      settings.l1MaxBytes > 0
        ? new LRUCache<string, LocalEntry>({
            maxSize: settings.l1MaxBytes,
            sizeCalculation: (entry) => Math.max(1, entry.size),
            dispose: (entry, key, reason) => {
              const set = this.l1ByWorkspace.get(entry.workspaceId);
              set?.delete(key);
              if (set && set.size === 0) this.l1ByWorkspace.delete(entry.workspaceId);
              if (reason === "evict") this.stats.count(entry.workspaceId, "evictions");
            },
          })
        : null;
    this.fence = new FreshnessFence(options.probeDb, CACHE_CONSUMER_NAME, (changes) => this.applyChanges(changes), this.log);
  }

  async start(): Promise<void> {
    await this.redis.start();
    this.redis.subscribe(this.keys.channel(), (message) => this.onBroadcast(message));
    this.statsTimer = setInterval(() => void this.flushStats(), this.options.settings.statsFlushMs);
    this.statsTimer.unref();
  }

  async close(): Promise<void> {
    if (this.statsTimer) clearInterval(this.statsTimer);
    for (const timer of this.sweeps.values()) clearTimeout(timer);
    await this.flushStats().catch(() => {});
    await this.redis.close();
  }

  health(): CacheHealth {
    return {
      configured: this.redis.configured,
      degraded: this.redis.degraded,
      degradedSince: this.redis.degradedSince,
      detail: this.redis.degraded ? (this.redis.configured ? `Redis unreachable: ${this.redis.lastError ?? "circuit open"}` : "no Redis configured: memory only") : null,
    };
  }

  /** Called with a workspace id after a manual invalidation (here or on another instance). */
  onInvalidate(listener: (workspaceId: string) => void): () => void {
    this.invalidationListeners.add(listener);
    return () => this.invalidationListeners.delete(listener);
  }

  /** This instance's data version of a workspace; grows with every change it learns of. */
  version(workspaceId: string): number {
    let version = this.versions.get(workspaceId);
    if (version === undefined) {
      // Never reuse a number: a forgotten workspace restarts above every entry it may still have.
      version = ++this.versionClock;
      this.versions.set(workspaceId, version);
    }
    return version;
  }

  /** Waits for the freshness fence; false if the probe failed (callers then bypass the cache). */
  async fenced(): Promise<boolean> {
    try {
      await this.fence.sync();
      return true;
    } catch (error) {
      this.log.warn({ err: error }, "freshness probe failed; bypassing the cache");
      return false;
    }
  }

  /** A value if cached and fresh (L1, then L2), else null. */
  async get<T>(namespace: CacheNamespace, workspaceId: string, key: string): Promise<CacheResult<T> | null> {
    const started = performance.now();
    if (!(await this.fenced())) return null;
    const version = this.version(workspaceId);
    const local = this.localGet(namespace, workspaceId, key, version, () => true);
    if (local) {
      this.stats.count(workspaceId, "hitsL1");
      this.stats.latency(workspaceId, performance.now() - started);
      return local as CacheResult<T>;
    }
    const remote = await this.remoteGet(namespace, workspaceId, key, null, () => true);
    if (remote.value) {
      this.stats.count(workspaceId, "hitsL2");
      this.localSet(namespace, workspaceId, key, version, remote.value.value, remote.value.computedAt.getTime(), remote.size);
    } else {
      this.stats.count(workspaceId, "misses");
    }
    this.stats.latency(workspaceId, performance.now() - started);
    return (remote.value as CacheResult<T> | null) ?? null;
  }

  /** Stores a value (both tiers). `snapshot` is the pg_snapshot it reflects (default: the fence's latest). */
  async set<T>(namespace: CacheNamespace, workspaceId: string, key: string, value: T, options: { ttlSeconds: number; snapshot?: string }): Promise<{ stored: boolean }> {
    await this.fenced();
    const version = this.version(workspaceId);
    const snapshot = options.snapshot ?? this.fence.lastSnapshot?.text ?? "1:1:";
    const envelope: Envelope = { v: value, s: snapshot, t: this.options.clock.now().getTime() };
    const json = JSON.stringify(envelope);
    this.localSet(namespace, workspaceId, key, version, value, envelope.t, json.length);
    try {
      const generation = await this.generation(workspaceId);
      await this.redis.run("set", (redis) => redis.set(this.keys.data(namespace, workspaceId, generation, key), json, "EX", options.ttlSeconds));
      return { stored: true };
    } catch (error) {
      this.redisFailed(workspaceId, error);
      return { stored: false };
    }
  }

  /** The workspace's current generation (initialised on first use). */
  async generation(workspaceId: string): Promise<number> {
    const parts = this.keys.dataParts("rec", workspaceId, "-");
    const [generation] = await this.redis.run("generation", (redis) => this.read(redis)(this.keys.generation(workspaceId), parts[0], parts[1], "", "", "", "0"));
    const parsed = Number(generation);
    if (!Number.isSafeInteger(parsed)) throw new CacheUnavailableError("unexpected reply from the cache's Redis");
    return parsed;
  }

  /**
   * The cached value, or compute it once (per process, and across instances
   * while the lock is held) and cache it. `accept` can reject an otherwise
   * valid entry (e.g. computed for another day), which then counts as a miss.
   */
  async getOrCompute<T>(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    compute: Computation<T>,
    options: { ttlSeconds: number; accept?: (value: T) => boolean },
  ): Promise<CacheResult<T>> {
    const started = performance.now();
    const accept = (options.accept ?? (() => true)) as (value: unknown) => boolean;
    if (!(await this.fenced())) {
      this.stats.count(workspaceId, "bypassed");
      const computed = await compute({ version: this.version(workspaceId), generation: null });
      return { value: computed.value, cached: false, source: "bypass", computedAt: this.options.clock.now() };
    }
    const version = this.version(workspaceId);
    const local = this.localGet(namespace, workspaceId, key, version, accept);
    if (local) {
      this.stats.count(workspaceId, "hitsL1");
      this.stats.latency(workspaceId, performance.now() - started);
      return local as CacheResult<T>;
    }
    const flightKey = `${namespace}|${workspaceId}|${key}@${version}`;
    const inflight = this.inflight.get(flightKey);
    if (inflight) {
      this.stats.count(workspaceId, "coalesced");
      const result = await inflight;
      this.stats.count(workspaceId, result.cached ? "hitsL2" : "misses");
      this.stats.latency(workspaceId, performance.now() - started);
      return { ...(result as CacheResult<T>), cached: result.cached };
    }
    const promise = this.load(namespace, workspaceId, key, version, compute as Computation<unknown>, options.ttlSeconds, accept, started);
    this.inflight.set(flightKey, promise);
    try {
      return (await promise) as CacheResult<T>;
    } finally {
      if (this.inflight.get(flightKey) === promise) this.inflight.delete(flightKey);
    }
  }

  private async load(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    version: number,
    compute: Computation<unknown>,
    ttlSeconds: number,
    accept: (value: unknown) => boolean,
    started: number,
  ): Promise<CacheResult<unknown>> {
    // Looks up and, on a miss, takes the stampede lock in the same round trip.
    let token: string | null = randomUUID();
    const remote = await this.remoteGet(namespace, workspaceId, key, token, accept);
    if (remote.value) {
      this.stats.count(workspaceId, "hitsL2");
      this.stats.latency(workspaceId, performance.now() - started);
      this.localSet(namespace, workspaceId, key, version, remote.value.value, remote.value.computedAt.getTime(), remote.size);
      return remote.value;
    }
    this.stats.count(workspaceId, "misses");
    this.stats.latency(workspaceId, performance.now() - started);

    const { generation } = remote;
    if (generation === null) {
      token = null; // Redis unavailable: compute directly
    } else if (!remote.acquired) {
      if (remote.rejected) {
        // A stale value sits under the key (the script only locks absent keys): lock explicitly.
        try {
          const acquired = await this.redis.run("lock", (redis) => redis.set(this.lockKey(namespace, workspaceId, generation, key), token!, "PX", this.options.settings.lockTtlMs, "NX"));
          if (acquired !== "OK") token = null;
        } catch (error) {
          token = null;
          this.redisFailed(workspaceId, error);
        }
      } else {
        token = null;
      }
      if (token === null && remote.lockAlive) {
        const waited = await this.waitForValue(namespace, workspaceId, key, generation, version, accept);
        if (waited) return waited;
      }
    }
    let stored = false;
    try {
      this.stats.count(workspaceId, "computations");
      const computed = await compute({ version, generation });
      const computedAt = this.options.clock.now();
      const json = JSON.stringify({ v: computed.value, s: computed.snapshot, t: computedAt.getTime() } satisfies Envelope);
      if (generation !== null) {
        try {
          // Stored under the generation read *before* computing: if a change bumped it meanwhile, this key is already dead.
          const store = this.redis.raw as unknown as { rapportCacheStore: StoreScript };
          await this.redis.run("store", () =>
            store.rapportCacheStore(this.keys.data(namespace, workspaceId, generation, key), this.lockKey(namespace, workspaceId, generation, key), json, String(ttlSeconds), token ?? ""),
          );
          stored = true;
        } catch (error) {
          this.redisFailed(workspaceId, error);
        }
      }
      this.localSet(namespace, workspaceId, key, version, computed.value, computedAt.getTime(), json.length);
      return { value: computed.value, cached: false, source: "compute", computedAt };
    } finally {
      if (token !== null && generation !== null && !stored) {
        // The computation failed (or the store did): let the next one try at once.
        const lockKey = this.lockKey(namespace, workspaceId, generation, key);
        const release = this.redis.raw as unknown as { rapportCacheRelease: (lockKey: string, token: string) => Promise<number> };
        void this.redis.run("unlock", () => release.rapportCacheRelease(lockKey, token!)).catch(() => {});
      }
    }
  }

  /** Another instance holds the lock: poll briefly for its value; null = compute ourselves. */
  private async waitForValue(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    generation: number,
    version: number,
    accept: (value: unknown) => boolean,
  ): Promise<CacheResult<unknown> | null> {
    this.stats.count(workspaceId, "lockWaits");
    const deadline = performance.now() + this.options.settings.lockWaitMs;
    while (performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const remote = await this.remoteGet(namespace, workspaceId, key, "", accept);
      if (remote.value) {
        this.localSet(namespace, workspaceId, key, version, remote.value.value, remote.value.computedAt.getTime(), remote.size);
        return remote.value;
      }
      // The holder died or gave up (lock gone, no value), the generation moved, or Redis went away.
      if (remote.generation !== generation || !remote.lockAlive) return null;
    }
    return null;
  }

  /**
   * L2 lookup. `lockToken`: null = no lock information; "" = report whether a
   * lock is held; a token = also take the lock if the value is absent.
   */
  private async remoteGet(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    lockToken: string | null,
    accept: (value: unknown) => boolean,
  ): Promise<{ value: CacheResult<unknown> | null; generation: number | null; lockAlive: boolean; acquired: boolean; rejected: boolean; size: number }> {
    const none = { value: null, generation: null, lockAlive: false, acquired: false, rejected: false, size: 0 };
    if (!this.redis.configured) return none;
    const [dataPrefix, dataSuffix] = this.keys.dataParts(namespace, workspaceId, key);
    const [lockPrefix, lockSuffix] = lockToken !== null ? this.keys.lockParts(namespace, workspaceId, key) : ["", ""];
    let reply: [string, string | null, number, number];
    try {
      reply = await this.redis.run("get", (redis) =>
        this.read(redis)(this.keys.generation(workspaceId), dataPrefix, dataSuffix, lockPrefix, lockSuffix, lockToken ?? "", String(this.options.settings.lockTtlMs)),
      );
    } catch (error) {
      this.redisFailed(workspaceId, error);
      return none;
    }
    const generation = Number(reply?.[0]);
    if (!Array.isArray(reply) || !Number.isSafeInteger(generation)) {
      this.redisFailed(workspaceId, new CacheUnavailableError("unexpected reply from the cache's Redis"));
      return none;
    }
    const lockAlive = Number(reply[2]) > 0 || Number(reply[2]) === -1;
    const acquired = Number(reply[3]) === 1;
    const raw = reply[1];
    const miss = { value: null, generation, lockAlive, acquired, rejected: false, size: 0 };
    if (!raw) return miss;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return { ...miss, rejected: true };
    }
    if (!this.reflectsKnownChanges(workspaceId, envelope.s) || !accept(envelope.v)) {
      this.stats.count(workspaceId, "staleRejected");
      return { ...miss, rejected: true };
    }
    return { value: { value: envelope.v, cached: true, source: "l2", computedAt: new Date(envelope.t) }, generation, lockAlive, acquired: false, rejected: false, size: raw.length };
  }

  /** Does a value computed at `snapshotText` include every change this instance knows of but Redis may not? */
  private reflectsKnownChanges(workspaceId: string, snapshotText: string): boolean {
    if (this.overflowed.has(workspaceId)) return false;
    const pending = this.pending.get(workspaceId);
    if (!pending || pending.length === 0) return true;
    let snapshot;
    try {
      snapshot = parseSnapshot(snapshotText);
    } catch {
      return false;
    }
    return pending.every((change) => change.txs.every((tx) => visibleIn(tx, snapshot)));
  }

  private localGet(namespace: CacheNamespace, workspaceId: string, key: string, version: number, accept: (value: unknown) => boolean): CacheResult<unknown> | null {
    const entry = this.l1?.get(`${namespace}|${workspaceId}|${key}`);
    if (!entry || entry.version !== version || !accept(entry.value)) return null;
    return { value: entry.value, cached: true, source: "l1", computedAt: new Date(entry.computedAt) };
  }

  private localSet(namespace: CacheNamespace, workspaceId: string, key: string, version: number, value: unknown, computedAt: number, size: number): void {
    if (!this.l1) return;
    // A change learned of meanwhile makes this value stale; keep the newer one.
    if (version !== this.version(workspaceId)) return;
    const l1Key = `${namespace}|${workspaceId}|${key}`;
    this.l1.set(l1Key, { value, computedAt, version, workspaceId, size: size * 2 + 200 });
    let set = this.l1ByWorkspace.get(workspaceId);
    if (!set) this.l1ByWorkspace.set(workspaceId, (set = new Set()));
    set.add(l1Key);
  }

  /** Drops a workspace's in-process entries and moves its version on. Returns how many entries were dropped. */
  private bumpLocal(workspaceId: string): number {
    this.versions.set(workspaceId, ++this.versionClock);
    const keys = this.l1ByWorkspace.get(workspaceId);
    if (!keys || !this.l1) return 0;
    const count = keys.size;
    for (const key of [...keys]) this.l1.delete(key);
    this.l1ByWorkspace.delete(workspaceId);
    return count;
  }

  /** Changes reported by the fence: invalidate locally now, bump the generation in Redis (idempotently) soon. */
  private applyChanges(changes: Map<string, WorkspaceChanges>): void {
    for (const [workspaceId, change] of changes) {
      const eventIds = change.eventIds.filter((id) => !this.fencedEvents.has(id));
      if (eventIds.length === 0) continue;
      for (const id of eventIds) this.fencedEvents.set(id, true);
      let fresh = false;
      for (const id of eventIds) {
        if (!this.seenEvents.has(id)) {
          this.seenEvents.set(id, true);
          fresh = true;
        }
      }
      if (fresh) this.bumpLocal(workspaceId);
      if (!this.redis.configured) continue;
      const list = this.pending.get(workspaceId) ?? [];
      const entry: PendingChange = { txs: change.txs, eventIds };
      if (list.length >= MAX_PENDING_PER_WORKSPACE) {
        // Redis has been away for a long while: trust no L2 value of this workspace until one unconditional bump succeeds.
        this.overflowed.add(workspaceId);
        this.pending.set(workspaceId, []);
      } else {
        list.push(entry);
        this.pending.set(workspaceId, list);
      }
      void this.confirmBump(workspaceId, entry);
    }
  }

  private async confirmBump(workspaceId: string, entry: PendingChange): Promise<void> {
    try {
      await this.bump(workspaceId, entry.eventIds.length > 2_000 ? [] : entry.eventIds);
      const list = this.pending.get(workspaceId);
      if (list) {
        const index = list.indexOf(entry);
        if (index >= 0) list.splice(index, 1);
        if (list.length === 0) this.pending.delete(workspaceId);
      }
    } catch {
      // Kept pending: L2 values are checked against it until the retry after recovery.
    }
  }

  /** Bumps the generation once for these events (or unconditionally with none). Throws if Redis is unavailable. */
  async bump(workspaceId: string, eventIds: number[]): Promise<number> {
    const bump = this.redis.raw as unknown as { rapportCacheBump: BumpScript } | null;
    if (!bump) throw new CacheUnavailableError("cache Redis not configured");
    const [generation, changed] = await this.redis.run("bump", () =>
      bump.rapportCacheBump(this.keys.generation(workspaceId), this.keys.seen(workspaceId), ...eventIds.map(String)),
    );
    if (changed) this.scheduleSweep(workspaceId);
    return Number(generation);
  }

  /** Redis answers again: bump what was pending, flush statistics. */
  private recovered(): void {
    for (const workspaceId of [...this.overflowed]) {
      this.bump(workspaceId, []).then(
        () => this.overflowed.delete(workspaceId),
        () => {},
      );
    }
    for (const [workspaceId, list] of this.pending) for (const entry of [...list]) void this.confirmBump(workspaceId, entry);
    void this.flushStats();
  }

  /** Bus listener (every instance hears every event): evict this instance's entries early. */
  onEvent(event: DomainEvent): void {
    if (!event.workspaceId || !(event.type.startsWith("contact.") || event.type.startsWith("interaction."))) return;
    if (this.seenEvents.has(event.id)) return;
    this.seenEvents.set(event.id, true);
    this.bumpLocal(event.workspaceId);
  }

  /**
   * Durable consumer: any contact or interaction change bumps its workspace's
   * generation. Throws while Redis is unavailable so the dispatcher retries:
   * a bump must not be lost, or an old entry could outlive its data.
   */
  consumer(): EventConsumer {
    return {
      name: CACHE_CONSUMER_NAME,
      startFrom: "now",
      handle: async (events) => {
        if (!this.redis.configured) return;
        const byWorkspace = new Map<string, number[]>();
        for (const event of events) {
          if (!event.workspaceId || !(event.type.startsWith("contact.") || event.type.startsWith("interaction."))) continue;
          byWorkspace.set(event.workspaceId, [...(byWorkspace.get(event.workspaceId) ?? []), event.id]);
        }
        for (const [workspaceId, ids] of byWorkspace) await this.bump(workspaceId, ids);
      },
    };
  }

  /** Bumps the generation (O(1)), tells the other instances, then sweeps the old keys. */
  async invalidateWorkspace(workspaceId: string): Promise<{ invalidatedKeys: number; status: "ok" | "degraded" }> {
    const local = this.bumpLocal(workspaceId);
    this.notifyInvalidated(workspaceId);
    try {
      const generation = await this.bump(workspaceId, []);
      await this.redis.publish(this.keys.channel(), JSON.stringify({ type: "invalidate", workspaceId, from: this.instanceId }));
      const swept = await this.sweep(workspaceId, generation);
      return { invalidatedKeys: swept, status: "ok" };
    } catch (error) {
      this.redisFailed(workspaceId, error);
      return { invalidatedKeys: local, status: "degraded" };
    }
  }

  /**
   * A deleted workspace: drops everything of it here and tells the other instances to do
   * the same, then removes every Redis key naming it (data of every generation, locks, the
   * generation itself, statistics). Throws while Redis is unavailable, so the durable
   * caller retries; the in-process part is done either way.
   */
  async forgetWorkspace(workspaceId: string): Promise<{ removedKeys: number }> {
    this.forgetLocally(workspaceId);
    // A statistics flush already under way could write the workspace's counters back.
    await this.flushing;
    if (!this.redis.configured) return { removedKeys: 0 };
    await this.redis.publish(this.keys.channel(), JSON.stringify({ type: "forget", workspaceId, from: this.instanceId }));
    let cursor = "0";
    let removed = 0;
    for (let round = 0; round < 100_000; round++) {
      const [next, batch] = await this.redis.run("forget scan", (redis) => redis.scan(cursor, "MATCH", this.keys.everythingOf(workspaceId), "COUNT", 1_000));
      cursor = next;
      if (batch.length > 0) removed += await this.redis.run("forget unlink", (redis) => redis.unlink(...batch));
      if (cursor === "0") break;
    }
    return { removedKeys: removed };
  }

  private forgetLocally(workspaceId: string): void {
    this.bumpLocal(workspaceId);
    this.versions.delete(workspaceId);
    this.pending.delete(workspaceId);
    this.overflowed.delete(workspaceId);
    this.stats.forget(workspaceId);
    const sweep = this.sweeps.get(workspaceId);
    if (sweep) clearTimeout(sweep);
    this.sweeps.delete(workspaceId);
    this.notifyInvalidated(workspaceId);
  }

  /** Deletes one key of the workspace. Anything else is refused by the caller (FORBIDDEN). */
  async deleteKey(workspaceId: string, logicalKey: string): Promise<{ deleted: boolean; status: "ok" | "degraded" } | "forbidden"> {
    const parsed = parseLogical(logicalKey);
    if (!parsed || parsed.workspaceId !== workspaceId) return "forbidden";
    const droppedLocally = this.l1?.delete(`${parsed.namespace}|${workspaceId}|${parsed.rest}`) ?? false;
    try {
      const removed = await this.redis.run("delete", (redis) => redis.unlink(this.keys.root + logicalKey));
      await this.redis
        .publish(this.keys.channel(), JSON.stringify({ type: "delete", workspaceId, key: `${parsed.namespace}|${workspaceId}|${parsed.rest}`, from: this.instanceId }))
        .catch(() => {});
      return { deleted: removed > 0 || droppedLocally, status: "ok" };
    } catch (error) {
      this.redisFailed(workspaceId, error);
      return { deleted: droppedLocally, status: "degraded" };
    }
  }

  /** SCAN-based listing, confined to the workspace's data keys; `cursor` from the previous page. */
  async listKeys(workspaceId: string, options: { pattern?: string; cursor?: string | null; limit: number }) {
    const pattern = options.pattern;
    const keys: { key: string; namespace: CacheNamespace; generation: number; current: boolean; ttlSeconds: number | null }[] = [];
    let cursor = options.cursor ?? "0";
    try {
      const current = await this.generation(workspaceId);
      for (let round = 0; round < 20 && keys.length < options.limit; round++) {
        const [next, batch] = await this.redis.run("scan", (redis) => redis.scan(cursor, "MATCH", this.keys.workspacePattern(workspaceId), "COUNT", 1_000));
        cursor = next;
        for (const full of batch) {
          const parsed = this.keys.parseFull(full);
          if (!parsed || parsed.workspaceId !== workspaceId) continue;
          const logical = full.slice(this.keys.root.length);
          if (pattern && !matchesGlob(pattern, logical)) continue;
          keys.push({ key: logical, namespace: parsed.namespace, generation: parsed.generation, current: parsed.generation === current, ttlSeconds: null });
        }
        if (cursor === "0") break;
      }
      if (keys.length > 0) {
        const ttls = await this.redis.pipeline("ttl", (pipeline) => {
          for (const entry of keys) pipeline.ttl(this.keys.root + entry.key);
        });
        ttls.forEach((ttl, i) => (keys[i]!.ttlSeconds = typeof ttl === "number" && ttl >= 0 ? ttl : null));
      }
      return { keys, nextCursor: cursor === "0" ? null : cursor, status: "ok" as const };
    } catch (error) {
      this.redisFailed(workspaceId, error);
      return { keys: [], nextCursor: null, status: "degraded" as const };
    }
  }

  /** Statistics of one workspace (all instances), plus Redis-wide figures. */
  async workspaceStats(workspaceId: string) {
    await this.flushStats();
    const health = this.health();
    const l1 = { entries: this.l1ByWorkspace.get(workspaceId)?.size ?? 0, bytesAllInstance: this.l1?.calculatedSize ?? 0, maxBytes: this.options.settings.l1MaxBytes };
    const fromCounters = (counters: Counters, buckets: number[], instanceOnly: boolean) => {
      const hits = counters.hitsL1 + counters.hitsL2;
      const lookups = hits + counters.misses;
      return {
        hits,
        misses: counters.misses,
        hitRate: lookups === 0 ? null : hits / lookups,
        hitsL1: counters.hitsL1,
        hitsL2: counters.hitsL2,
        computations: counters.computations,
        coalesced: counters.coalesced,
        lockWaits: counters.lockWaits,
        staleRejected: counters.staleRejected,
        bypassed: counters.bypassed,
        redisErrors: counters.redisErrors,
        getLatency: {
          count: counters.getCount,
          avgMs: counters.getCount === 0 ? null : counters.getMicros / counters.getCount / 1000,
          p95Ms: percentileFromBuckets(buckets, 95),
          bucketsMs: LATENCY_BUCKETS_MS.map((bound, i) => ({ upToMs: Number.isFinite(bound) ? bound : null, count: buckets[i] ?? 0 })),
        },
        evictions: { local: counters.evictions, redis: null as number | null },
        instanceOnly,
      };
    };
    try {
      const hour = Math.floor(Date.now() / 3_600_000);
      const replies = await this.redis.pipeline("stats", (pipeline) =>
        pipeline
          .hgetall(this.keys.stats(workspaceId))
          .hgetall(this.keys.latency(workspaceId))
          .hgetall(this.keys.series(workspaceId, hour - 1))
          .hgetall(this.keys.series(workspaceId, hour))
          .info("memory")
          .info("stats"),
      );
      const value = <T>(i: number) => replies[i] as T;
      const hash = value<Record<string, string>>(0) ?? {};
      const counters = emptyCounters();
      for (const name of COUNTERS) counters[name] = Number(hash[name] ?? 0);
      const latencyHash = value<Record<string, string>>(1) ?? {};
      const buckets = LATENCY_BUCKETS_MS.map((_, i) => Number(latencyHash[String(i)] ?? 0));
      const series = seriesFrom([value<Record<string, string>>(2) ?? {}, value<Record<string, string>>(3) ?? {}]);
      const memory = infoField(value<string>(4), "used_memory");
      const evicted = infoField(value<string>(5), "evicted_keys");
      const generation = await this.generation(workspaceId);
      const counts = await this.countKeys(workspaceId, generation);
      const base = fromCounters(counters, buckets, false);
      return {
        workspaceId,
        ...base,
        evictions: { local: counters.evictions, redis: evicted },
        generation,
        recommendationsCached: counts.recommendations,
        workspaceKeys: counts.workspace,
        keysUnderPrefix: counts.total,
        keyCountApproximate: counts.approximate,
        redisMemoryBytes: memory,
        l1,
        series,
        statsSince: hash.since ? new Date(Number(hash.since)) : null,
        ...health,
      };
    } catch (error) {
      this.redisFailed(workspaceId, error);
      // Redis away: this instance's own counts since it started.
      const totals = this.stats.totals.get(workspaceId) ?? emptyCounters();
      return {
        workspaceId,
        ...fromCounters(totals, LATENCY_BUCKETS_MS.map(() => 0), true),
        generation: null,
        recommendationsCached: null,
        workspaceKeys: null,
        keysUnderPrefix: null,
        keyCountApproximate: false,
        redisMemoryBytes: null,
        l1,
        series: [],
        statsSince: null,
        ...this.health(),
      };
    }
  }

  /** One SCAN pass over the product's prefix: all keys, this workspace's data keys, its current recommendations. */
  private async countKeys(workspaceId: string, generation: number) {
    const prefix = this.options.settings.prefix;
    let cursor = "0";
    let total = 0;
    let workspace = 0;
    let recommendations = 0;
    const deadline = performance.now() + 2_000;
    do {
      const [next, batch] = await this.redis.run("scan", (redis) => redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 2_000));
      cursor = next;
      total += batch.length;
      for (const full of batch) {
        const parsed = this.keys.parseFull(full);
        if (!parsed || parsed.workspaceId !== workspaceId) continue;
        workspace++;
        if (parsed.namespace === "rec" && parsed.generation === generation) recommendations++;
      }
    } while (cursor !== "0" && performance.now() < deadline);
    return { total, workspace, recommendations, approximate: cursor !== "0" };
  }

  /** Writes the counted deltas to Redis (one pipeline). */
  async flushStats(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (!this.redis.configured || this.redis.degraded) return;
    const taken = this.stats.take();
    if (taken.size === 0) return;
    this.flushing = (async () => {
      try {
        await this.redis.pipeline("stats flush", (pipeline) => {
          const now = Date.now();
          for (const [workspaceId, delta] of taken) {
            const statsKey = this.keys.stats(workspaceId);
            pipeline.hsetnx(statsKey, "since", String(now));
            for (const name of COUNTERS) if (delta.counters[name] !== 0) pipeline.hincrby(statsKey, name, delta.counters[name]);
            delta.buckets.forEach((n, i) => n !== 0 && pipeline.hincrby(this.keys.latency(workspaceId), String(i), n));
            for (const [minute, [hits, misses]] of delta.minutes) {
              const seriesKey = this.keys.series(workspaceId, Math.floor(minute / 60));
              if (hits) pipeline.hincrby(seriesKey, `${minute}:h`, hits);
              if (misses) pipeline.hincrby(seriesKey, `${minute}:m`, misses);
              pipeline.pexpire(seriesKey, 26 * 3_600_000);
            }
          }
        });
      } catch {
        this.stats.restore(taken);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  /** Removes keys of older generations (and their locks). Returns how many were removed. */
  async sweep(workspaceId: string, currentGeneration: number): Promise<number> {
    let cursor = "0";
    let removed = 0;
    for (let round = 0; round < 100_000; round++) {
      const [next, batch] = await this.redis.run("sweep scan", (redis) => redis.scan(cursor, "MATCH", this.keys.workspacePattern(workspaceId), "COUNT", 1_000));
      cursor = next;
      const old = batch.filter((full) => {
        const parsed = this.keys.parseFull(full) ?? this.keys.parseLock(full);
        return parsed !== null && parsed.workspaceId === workspaceId && parsed.generation < currentGeneration;
      });
      if (old.length > 0) removed += await this.redis.run("sweep unlink", (redis) => redis.unlink(...old));
      if (cursor === "0") break;
    }
    return removed;
  }

  /** After a change: sweep the workspace's dead generations a little later (one instance at a time). */
  private scheduleSweep(workspaceId: string): void {
    if (this.sweeps.has(workspaceId)) return;
    const timer = setTimeout(() => {
      this.sweeps.delete(workspaceId);
      void (async () => {
        try {
          const claimed = await this.redis.run("sweep lock", (redis) => redis.set(this.keys.sweepLock(workspaceId), this.instanceId, "PX", SWEEP_DELAY_MS * 2, "NX"));
          if (claimed !== "OK") return;
          await this.sweep(workspaceId, await this.generation(workspaceId));
        } catch {
          // TTLs remove what a failed sweep leaves.
        }
      })();
    }, SWEEP_DELAY_MS);
    timer.unref();
    this.sweeps.set(workspaceId, timer);
  }

  private onBroadcast(message: string): void {
    try {
      const parsed = JSON.parse(message) as { type: string; workspaceId: string; key?: string; from: string };
      if (parsed.from === this.instanceId) return;
      if (parsed.type === "invalidate") {
        this.bumpLocal(parsed.workspaceId);
        this.notifyInvalidated(parsed.workspaceId);
      } else if (parsed.type === "forget") {
        this.forgetLocally(parsed.workspaceId);
      } else if (parsed.type === "delete" && parsed.key) {
        this.l1?.delete(parsed.key);
      }
    } catch (error) {
      this.log.warn({ err: error }, "ignored malformed cache broadcast");
    }
  }

  private notifyInvalidated(workspaceId: string): void {
    for (const listener of this.invalidationListeners) {
      try {
        listener(workspaceId);
      } catch (error) {
        this.log.error({ err: error }, "cache invalidation listener failed");
      }
    }
  }

  private redisFailed(workspaceId: string, error: unknown): void {
    if (error instanceof CacheUnavailableError) {
      if (this.redis.configured) this.stats.count(workspaceId, "redisErrors");
      return;
    }
    throw error;
  }

  private lockKey(namespace: CacheNamespace, workspaceId: string, generation: number, key: string): string {
    const [prefix, suffix] = this.keys.lockParts(namespace, workspaceId, key);
    return `${prefix}${generation}${suffix}`;
  }

  private read(redis: Redis): ReadScript {
    const scripted = redis as unknown as { rapportCacheRead: ReadScript };
    return scripted.rapportCacheRead.bind(redis);
  }
}

function infoField(info: string | undefined, field: string): number | null {
  const match = info?.match(new RegExp(`^${field}:(\\d+)`, "m"));
  return match ? Number(match[1]) : null;
}

/** The last 60 minutes, oldest first (minutes without lookups included as zeros). */
function seriesFrom(hashes: Record<string, string>[]) {
  const byMinute = new Map<number, { hits: number; misses: number }>();
  for (const hash of hashes) {
    for (const [field, value] of Object.entries(hash)) {
      const [minute, kind] = field.split(":");
      const slot = byMinute.get(Number(minute)) ?? { hits: 0, misses: 0 };
      if (kind === "h") slot.hits += Number(value);
      else slot.misses += Number(value);
      byMinute.set(Number(minute), slot);
    }
  }
  const now = Math.floor(Date.now() / 60_000);
  return Array.from({ length: 60 }, (_, i) => {
    const minute = now - 59 + i;
    const slot = byMinute.get(minute) ?? { hits: 0, misses: 0 };
    return { startsAt: new Date(minute * 60_000), hits: slot.hits, misses: slot.misses };
  });
}

export { DATA_NAMESPACES };
