import { randomUUID } from "node:crypto";
import type { FreshnessFence } from "./fence";
import type { CacheInvalidation } from "./invalidation";
import type { CacheNamespace } from "./keys";
import { CacheUnavailableError } from "./redis";
import { cacheScripts } from "./scripts";
import { redisFailed, type CacheParts } from "./parts";
import type { CacheResult, Computation, Envelope } from "./types";

const LOCK_POLL_MS = 20;

interface RemoteLookup {
  value: CacheResult<unknown> | null;
  generation: number | null;
  lockAlive: boolean;
  acquired: boolean;
  rejected: boolean;
  size: number;
}

/**
 * The read path (`getOrCompute`):
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
 */
export class CacheReader {
  private readonly inflight = new Map<string, Promise<CacheResult<unknown>>>();

  constructor(
    private readonly parts: CacheParts,
    private readonly fence: FreshnessFence,
    private readonly invalidation: CacheInvalidation,
  ) {}

  /** Waits for the freshness fence; false if the probe failed (callers then bypass the cache). */
  async fenced(): Promise<boolean> {
    try {
      await this.fence.sync();
      return true;
    } catch (error) {
      this.parts.log.warn({ err: error }, "freshness probe failed; bypassing the cache");
      return false;
    }
  }

  /** A value if cached and fresh (L1, then L2), else null. */
  async get<T>(namespace: CacheNamespace, workspaceId: string, key: string): Promise<CacheResult<T> | null> {
    const { local, stats } = this.parts;
    const started = performance.now();
    if (!(await this.fenced())) return null;
    const version = local.version(workspaceId);
    const hit = local.get(namespace, workspaceId, key, version, () => true);
    if (hit) {
      stats.count(workspaceId, "hitsL1");
      stats.latency(workspaceId, performance.now() - started);
      return hit as CacheResult<T>;
    }
    const remote = await this.remoteGet(namespace, workspaceId, key, null, () => true);
    if (remote.value) {
      stats.count(workspaceId, "hitsL2");
      local.set(
        namespace,
        workspaceId,
        key,
        version,
        remote.value.value,
        remote.value.computedAt.getTime(),
        remote.size,
      );
    } else {
      stats.count(workspaceId, "misses");
    }
    stats.latency(workspaceId, performance.now() - started);
    return (remote.value as CacheResult<T> | null) ?? null;
  }

  /** Stores a value (both tiers). `snapshot` is the pg_snapshot it reflects (default: the fence's latest). */
  async set<T>(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    value: T,
    options: { ttlSeconds: number; snapshot?: string },
  ): Promise<{ stored: boolean }> {
    const { local, keys, redis, clock } = this.parts;
    await this.fenced();
    const version = local.version(workspaceId);
    const snapshot = options.snapshot ?? this.fence.lastSnapshot?.text ?? "1:1:";
    const envelope: Envelope = { v: value, s: snapshot, t: clock.now().getTime() };
    const json = JSON.stringify(envelope);
    local.set(namespace, workspaceId, key, version, value, envelope.t, json.length);
    try {
      const generation = await this.invalidation.generation(workspaceId);
      await redis.run("set", (client) =>
        client.set(keys.data(namespace, workspaceId, generation, key), json, "EX", options.ttlSeconds),
      );
      return { stored: true };
    } catch (error) {
      redisFailed(this.parts, workspaceId, error);
      return { stored: false };
    }
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
    const { local, stats, clock } = this.parts;
    const started = performance.now();
    const accept = (options.accept ?? (() => true)) as (value: unknown) => boolean;
    if (!(await this.fenced())) {
      stats.count(workspaceId, "bypassed");
      const computed = await compute({ version: local.version(workspaceId), generation: null });
      return { value: computed.value, cached: false, source: "bypass", computedAt: clock.now() };
    }
    const version = local.version(workspaceId);
    const hit = local.get(namespace, workspaceId, key, version, accept);
    if (hit) {
      stats.count(workspaceId, "hitsL1");
      stats.latency(workspaceId, performance.now() - started);
      return hit as CacheResult<T>;
    }
    const flightKey = `${namespace}|${workspaceId}|${key}@${version}`;
    const inflight = this.inflight.get(flightKey);
    if (inflight) {
      stats.count(workspaceId, "coalesced");
      const result = await inflight;
      stats.count(workspaceId, result.cached ? "hitsL2" : "misses");
      stats.latency(workspaceId, performance.now() - started);
      return { ...(result as CacheResult<T>), cached: result.cached };
    }
    const promise = this.load(
      namespace,
      workspaceId,
      key,
      version,
      compute as Computation<unknown>,
      options.ttlSeconds,
      accept,
      started,
    );
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
    const { local, stats, keys, redis, clock, settings } = this.parts;
    // Looks up and, on a miss, takes the stampede lock in the same round trip.
    let token: string | null = randomUUID();
    const remote = await this.remoteGet(namespace, workspaceId, key, token, accept);
    if (remote.value) {
      stats.count(workspaceId, "hitsL2");
      stats.latency(workspaceId, performance.now() - started);
      local.set(
        namespace,
        workspaceId,
        key,
        version,
        remote.value.value,
        remote.value.computedAt.getTime(),
        remote.size,
      );
      return remote.value;
    }
    stats.count(workspaceId, "misses");
    stats.latency(workspaceId, performance.now() - started);

    const { generation } = remote;
    if (generation === null) {
      token = null; // Redis unavailable: compute directly
    } else if (!remote.acquired) {
      if (remote.rejected) {
        // A stale value sits under the key (the script only locks absent keys): lock explicitly.
        try {
          const acquired = await redis.run("lock", (client) =>
            client.set(this.lockKey(namespace, workspaceId, generation, key), token!, "PX", settings.lockTtlMs, "NX"),
          );
          if (acquired !== "OK") token = null;
        } catch (error) {
          token = null;
          redisFailed(this.parts, workspaceId, error);
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
      stats.count(workspaceId, "computations");
      const computed = await compute({ version, generation });
      const computedAt = clock.now();
      const json = JSON.stringify({
        v: computed.value,
        s: computed.snapshot,
        t: computedAt.getTime(),
      } satisfies Envelope);
      if (generation !== null) {
        try {
          // Stored under the generation read *before* computing: if a change bumped it meanwhile, this key is already dead.
          await redis.run("store", (client) =>
            cacheScripts(client).rapportCacheStore(
              keys.data(namespace, workspaceId, generation, key),
              this.lockKey(namespace, workspaceId, generation, key),
              json,
              String(ttlSeconds),
              token ?? "",
            ),
          );
          stored = true;
        } catch (error) {
          redisFailed(this.parts, workspaceId, error);
        }
      }
      local.set(namespace, workspaceId, key, version, computed.value, computedAt.getTime(), json.length);
      return { value: computed.value, cached: false, source: "compute", computedAt };
    } finally {
      if (token !== null && generation !== null && !stored) {
        // The computation failed (or the store did): let the next one try at once.
        const lockKey = this.lockKey(namespace, workspaceId, generation, key);
        void redis.run("unlock", (client) => cacheScripts(client).rapportCacheRelease(lockKey, token!)).catch(() => {});
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
    this.parts.stats.count(workspaceId, "lockWaits");
    const deadline = performance.now() + this.parts.settings.lockWaitMs;
    while (performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const remote = await this.remoteGet(namespace, workspaceId, key, "", accept);
      if (remote.value) {
        this.parts.local.set(
          namespace,
          workspaceId,
          key,
          version,
          remote.value.value,
          remote.value.computedAt.getTime(),
          remote.size,
        );
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
  ): Promise<RemoteLookup> {
    const { keys, redis, settings, stats } = this.parts;
    const none = { value: null, generation: null, lockAlive: false, acquired: false, rejected: false, size: 0 };
    if (!redis.configured) return none;
    const [dataPrefix, dataSuffix] = keys.dataParts(namespace, workspaceId, key);
    const [lockPrefix, lockSuffix] = lockToken !== null ? keys.lockParts(namespace, workspaceId, key) : ["", ""];
    let reply: [string, string | null, number, number];
    try {
      reply = await redis.run("get", (client) =>
        cacheScripts(client).rapportCacheRead(
          keys.generation(workspaceId),
          dataPrefix,
          dataSuffix,
          lockPrefix,
          lockSuffix,
          lockToken ?? "",
          String(settings.lockTtlMs),
        ),
      );
    } catch (error) {
      redisFailed(this.parts, workspaceId, error);
      return none;
    }
    const generation = Number(reply?.[0]);
    if (!Array.isArray(reply) || !Number.isSafeInteger(generation)) {
      redisFailed(this.parts, workspaceId, new CacheUnavailableError("unexpected reply from the cache's Redis"));
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
    if (!this.invalidation.reflectsKnownChanges(workspaceId, envelope.s) || !accept(envelope.v)) {
      stats.count(workspaceId, "staleRejected");
      return { ...miss, rejected: true };
    }
    return {
      value: { value: envelope.v, cached: true, source: "l2", computedAt: new Date(envelope.t) },
      generation,
      lockAlive,
      acquired: false,
      rejected: false,
      size: raw.length,
    };
  }

  private lockKey(namespace: CacheNamespace, workspaceId: string, generation: number, key: string): string {
    const [prefix, suffix] = this.parts.keys.lockParts(namespace, workspaceId, key);
    return `${prefix}${generation}${suffix}`;
  }
}
