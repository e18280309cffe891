import { randomUUID } from "node:crypto";
import type { FreshnessFence } from "./fence";
import type { CacheInvalidation } from "./invalidation";
import type { CacheNamespace } from "./keys";
import { CacheUnavailableError } from "./redis";
import { cacheScripts } from "./scripts";
import { redisFailed, type CacheParts } from "./parts";
import type { CacheFreshness, CacheResult, Computation } from "./types";

const LOCK_POLL_MS = 20;
/** Accepts any stored value (one function for every read, not one per call). */
const ANY_VALUE = () => true;

interface RemoteLookup {
  value: CacheResult<unknown> | null;
  generation: number | null;
  lockAlive: boolean;
  acquired: boolean;
  rejected: boolean;
}

const NONE: RemoteLookup = { value: null, generation: null, lockAlive: false, acquired: false, rejected: false };

/** What is stored in Redis under a data key: `{computedAt ms}|{JSON of the value}`. */
function storedForm(value: unknown, computedAt: number): string {
  return `${computedAt}|${JSON.stringify(value)}`;
}

/**
 * The read path (`getOrCompute`):
 *  1. freshness, per namespace (types.ts): "read-after-commit" waits for a
 *     freshness probe that started after the call, which reports (and applies)
 *     every change committed before it (fence.ts); "event-bounded" asks nothing:
 *     a change is seen once its commit's wake-up (or its event) reaches this
 *     instance — on the committing instance, before the write is answered;
 *  2. L1: an entry is valid if it was stored under the workspace's current
 *     local version (bumped by every change heard of, or manual invalidation);
 *  3. L2: one GET under the generation this instance confirmed for its current
 *     version (local-tier.ts); only when it knows none (first use, after a
 *     manual invalidation elsewhere) one script reads the generation and the
 *     value together. While a change heard of is not confirmed in Redis the
 *     workspace's L2 entries are skipped;
 *  4. miss: one computation per process (single-flight map keyed by version),
 *     and across instances one while a short SET NX PX lock is held; others
 *     poll for the value and compute themselves if the holder dies.
 *
 * Values are stored as `{computedAt ms}|{JSON of the value}`: a read parses
 * nothing but the value.
 */
export class CacheReader {
  private readonly inflight = new Map<string, Promise<CacheResult<unknown>>>();

  constructor(
    private readonly parts: CacheParts,
    private readonly fence: FreshnessFence,
    private readonly invalidation: CacheInvalidation,
    private readonly freshness: Record<CacheNamespace, CacheFreshness>,
  ) {}

  /** The namespace's freshness: true = go on (fenced if it asks for it), false = the fence failed, bypass. */
  private ready(namespace: CacheNamespace): boolean | Promise<boolean> {
    return this.freshness[namespace] === "read-after-commit" ? this.fenced() : true;
  }

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
    if (!(await this.ready(namespace))) return null;
    let version = local.version(workspaceId);
    const hit = local.get(namespace, workspaceId, key, version, ANY_VALUE);
    if (hit) {
      stats.count(workspaceId, "hitsL1");
      stats.latency(workspaceId, performance.now() - started);
      return hit as CacheResult<T>;
    }
    const remote = await this.remoteGet(namespace, workspaceId, key, version, null, ANY_VALUE);
    if (remote.version !== null) version = remote.version;
    if (remote.value) {
      stats.count(workspaceId, "hitsL2");
      local.set(namespace, workspaceId, key, version, remote.value.value, remote.value.computedAt.getTime());
    } else {
      stats.count(workspaceId, "misses");
    }
    stats.latency(workspaceId, performance.now() - started);
    return (remote.value as CacheResult<T> | null) ?? null;
  }

  /** Stores a value (both tiers), under the workspace's state as this instance knows it. */
  async set<T>(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    value: T,
    options: { ttlSeconds: number },
  ): Promise<{ stored: boolean }> {
    const { local, keys, redis, clock } = this.parts;
    await this.ready(namespace);
    let version = local.version(workspaceId);
    const computedAt = clock.now().getTime();
    local.set(namespace, workspaceId, key, version, value, computedAt);
    if (!redis.configured) return { stored: false };
    if (this.invalidation.hasPending(workspaceId)) await this.invalidation.confirmed(workspaceId);
    if (this.invalidation.hasPending(workspaceId)) return { stored: false };
    try {
      let generation = local.generationAt(workspaceId, version);
      if (generation === null) {
        generation = await this.invalidation.generation(workspaceId);
        const adopted = local.adoptGeneration(workspaceId, version, generation);
        if (adopted === null) return { stored: false };
        version = adopted;
        local.set(namespace, workspaceId, key, version, value, computedAt);
      }
      const stored = storedForm(value, computedAt);
      await redis.run("set", (client) =>
        client.set(keys.data(namespace, workspaceId, generation, key), stored, "EX", options.ttlSeconds),
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
    const accept = (options.accept ?? ANY_VALUE) as (value: unknown) => boolean;
    const ready = this.ready(namespace);
    if (ready !== true && !(await ready)) {
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
    // Looks up and, on a miss, takes the stampede lock.
    let token: string | null = randomUUID();
    const remote = await this.remoteGet(namespace, workspaceId, key, version, token, accept);
    // A generation read from Redis moved the local version on: compute for the new one.
    if (remote.version !== null) version = remote.version;
    if (remote.value) {
      stats.count(workspaceId, "hitsL2");
      stats.latency(workspaceId, performance.now() - started);
      local.set(namespace, workspaceId, key, version, remote.value.value, remote.value.computedAt.getTime());
      return remote.value;
    }
    stats.count(workspaceId, "misses");
    stats.latency(workspaceId, performance.now() - started);

    const { generation } = remote;
    if (generation === null) {
      token = null; // Redis unavailable or not to be trusted now: compute directly
    } else if (!remote.acquired) {
      if (remote.rejected) {
        // A value we cannot use sits under the key (the lock is only taken for absent ones): lock explicitly.
        try {
          const acquired = await redis.run("lock", (client) =>
            client.set(this.lockKey(namespace, workspaceId, generation, key), token!, "PX", settings.lockTtlMs, "NX"),
          );
          if (acquired !== "OK") token = null;
        } catch (error) {
          // The SET may still have reached Redis (a timeout says nothing about that): release it.
          this.release(namespace, workspaceId, generation, key, token!);
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
      if (generation !== null) {
        // Serialized only when it goes to Redis: while Redis is away nothing is (a 7 KB string per miss).
        const value = storedForm(computed.value, computedAt.getTime());
        try {
          // Stored under the generation read *before* computing: if a change bumped it meanwhile, this key is already dead.
          await redis.run("store", (client) =>
            cacheScripts(client).rapportCacheStore(
              keys.data(namespace, workspaceId, generation, key),
              this.lockKey(namespace, workspaceId, generation, key),
              value,
              String(ttlSeconds),
              token ?? "",
            ),
          );
          stored = true;
        } catch (error) {
          redisFailed(this.parts, workspaceId, error);
        }
      }
      local.set(namespace, workspaceId, key, version, computed.value, computedAt.getTime());
      return { value: computed.value, cached: false, source: "compute", computedAt };
    } finally {
      if (token !== null && generation !== null && !stored) {
        // The computation failed (or the store did): let the next one try at once.
        this.release(namespace, workspaceId, generation, key, token);
      }
    }
  }

  /**
   * Releases our stampede lock if we still hold it. Sent even while the breaker is open (nobody
   * waits for it, and a lock left behind stalls every caller of the key for lockWaitMs).
   */
  private release(namespace: CacheNamespace, workspaceId: string, generation: number, key: string, token: string) {
    const lockKey = this.lockKey(namespace, workspaceId, generation, key);
    this.parts.redis.bestEffort((client) => cacheScripts(client).rapportCacheRelease(lockKey, token));
  }

  /** `release` for a lock the read script may have taken under a generation we never learned. */
  private releaseCurrent(namespace: CacheNamespace, workspaceId: string, key: string, token: string) {
    const { keys, redis } = this.parts;
    const [lockPrefix, lockSuffix] = keys.lockParts(namespace, workspaceId, key);
    redis.bestEffort((client) =>
      cacheScripts(client).rapportCacheReleaseCurrent(keys.generation(workspaceId), lockPrefix, lockSuffix, token),
    );
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
      const remote = await this.scriptedGet(namespace, workspaceId, key, "", accept);
      if (remote.value) {
        this.parts.local.set(
          namespace,
          workspaceId,
          key,
          version,
          remote.value.value,
          remote.value.computedAt.getTime(),
        );
        return remote.value;
      }
      // The holder died or gave up (lock gone, no value), the generation moved, or Redis went away.
      if (remote.generation !== generation || !remote.lockAlive) return null;
    }
    return null;
  }

  /**
   * L2 lookup at `version`. With the generation known for it: one GET (and, on
   * a miss with a token, one SET NX for the lock). Without: the read script
   * (generation + value + lock in one round trip), whose generation is then
   * adopted — `version` in the answer is the new local version, to compute for.
   * `lockToken`: null = no lock information; a token = also take the lock if the value is absent.
   */
  private async remoteGet(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    version: number,
    lockToken: string | null,
    accept: (value: unknown) => boolean,
  ): Promise<RemoteLookup & { version: number | null }> {
    const { keys, redis, local, settings } = this.parts;
    if (!redis.configured) return { ...NONE, version: null };
    if (this.invalidation.hasPending(workspaceId)) {
      // A change heard of is being confirmed in Redis (one round trip, bounded by the timeout): wait for it.
      await this.invalidation.confirmed(workspaceId);
      if (this.invalidation.hasPending(workspaceId)) return { ...NONE, version: null };
    }
    const generation = local.generationAt(workspaceId, version);
    if (generation === null) {
      const remote = await this.scriptedGet(namespace, workspaceId, key, lockToken, accept);
      if (remote.generation === null) return { ...remote, version: null };
      const adopted = local.adoptGeneration(workspaceId, version, remote.generation);
      if (adopted === null) {
        // A change arrived while the generation was read: not to be trusted for this lookup (and
        // a lock it took would only make others wait).
        if (remote.acquired && lockToken) this.release(namespace, workspaceId, remote.generation, key, lockToken);
        return { ...NONE, version: null };
      }
      return { ...remote, version: adopted };
    }
    const dataKey = keys.data(namespace, workspaceId, generation, key);
    let raw: string | null;
    try {
      raw = await redis.run("get", (client) => client.get(dataKey));
    } catch (error) {
      redisFailed(this.parts, workspaceId, error);
      return { ...NONE, version: null };
    }
    const found = this.decode(workspaceId, raw, accept);
    if (found) return { value: found, generation, lockAlive: false, acquired: false, rejected: false, version: null };
    const miss = { value: null, generation, lockAlive: false, acquired: false, rejected: raw !== null, version: null };
    if (lockToken === null || raw !== null) return miss;
    try {
      const acquired = await redis.run("lock", (client) =>
        client.set(this.lockKey(namespace, workspaceId, generation, key), lockToken, "PX", settings.lockTtlMs, "NX"),
      );
      return acquired === "OK" ? { ...miss, acquired: true } : { ...miss, lockAlive: true };
    } catch (error) {
      // The SET may still have reached Redis: a lock nobody will store under would make every
      // other caller of this key wait for it (lockWaitMs) until it expires. Release it.
      this.release(namespace, workspaceId, generation, key, lockToken);
      redisFailed(this.parts, workspaceId, error);
      return { ...NONE, version: null };
    }
  }

  /**
   * The read script: the generation Redis holds, the value under it and (optionally) the lock.
   * `lockToken`: null = no lock information; "" = report whether a lock is held; a token = also
   * take the lock if the value is absent.
   */
  private async scriptedGet(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    lockToken: string | null,
    accept: (value: unknown) => boolean,
  ): Promise<RemoteLookup> {
    const { keys, redis, settings } = this.parts;
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
      // With a token the script may have taken the lock before the answer was lost.
      if (lockToken) this.releaseCurrent(namespace, workspaceId, key, lockToken);
      redisFailed(this.parts, workspaceId, error);
      return NONE;
    }
    const generation = Number(reply?.[0]);
    if (!Array.isArray(reply) || !Number.isSafeInteger(generation)) {
      redisFailed(this.parts, workspaceId, new CacheUnavailableError("unexpected reply from the cache's Redis"));
      return NONE;
    }
    const lockAlive = Number(reply[2]) > 0 || Number(reply[2]) === -1;
    const acquired = Number(reply[3]) === 1;
    const raw = reply[1];
    const value = this.decode(workspaceId, raw, accept);
    return { value, generation, lockAlive, acquired: value ? false : acquired, rejected: !value && raw !== null };
  }

  /** A stored value, or null if absent, unreadable (e.g. an older format) or not accepted. */
  private decode(
    workspaceId: string,
    raw: string | null,
    accept: (value: unknown) => boolean,
  ): CacheResult<unknown> | null {
    if (raw === null) return null;
    const bar = raw.indexOf("|");
    const computedAt = bar > 0 && bar < 17 ? Number(raw.slice(0, bar)) : Number.NaN;
    if (!Number.isSafeInteger(computedAt)) return null;
    let value: unknown;
    try {
      value = JSON.parse(raw.slice(bar + 1));
    } catch {
      return null;
    }
    if (!accept(value)) {
      this.parts.stats.count(workspaceId, "staleRejected");
      return null;
    }
    return { value, cached: true, source: "l2", computedAt: new Date(computedAt) };
  }

  private lockKey(namespace: CacheNamespace, workspaceId: string, generation: number, key: string): string {
    const [prefix, suffix] = this.parts.keys.lockParts(namespace, workspaceId, key);
    return `${prefix}${generation}${suffix}`;
  }
}
