import { matchesGlob } from "@rapport/core";
import type { CacheInvalidation } from "./invalidation";
import { parseLogical, type CacheNamespace } from "./keys";
import type { CacheRedis } from "./redis";
import { COUNTERS, emptyCounters, LATENCY_BUCKETS_MS, percentileFromBuckets, type Counters } from "./stats";
import { redisFailed, type CacheParts } from "./parts";
import type { CacheHealth } from "./types";

/**
 * Without Redis configured the cache lives in this process's memory: that is how it is set up
 * (the embedded default), not a fault. Degraded means a configured Redis is not answering.
 */
export function cacheHealth(redis: CacheRedis): CacheHealth {
  if (!redis.configured) return { configured: false, degraded: false, degradedSince: null, detail: null };
  return {
    configured: true,
    degraded: redis.degraded,
    degradedSince: redis.degradedSince,
    detail: redis.degraded ? `Redis unreachable: ${redis.lastError ?? "circuit open"}` : null,
  };
}

/**
 * What the cache admin pages and workspace deletion do with the cache: forget
 * a workspace, delete or list its keys, read its statistics (and flush this
 * instance's counted deltas to Redis, where all instances' figures add up).
 */
export class CacheAdmin {
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly parts: CacheParts,
    private readonly invalidation: CacheInvalidation,
  ) {}

  /**
   * A deleted workspace: drops everything of it here and tells the other instances to do
   * the same, then removes every Redis key naming it (data of every generation, locks, the
   * generation itself, statistics). Throws while Redis is unavailable, so the durable
   * caller retries; the in-process part is done either way.
   */
  async forgetWorkspace(workspaceId: string): Promise<{ removedKeys: number }> {
    const { keys, redis, instanceId } = this.parts;
    this.invalidation.forgetLocally(workspaceId);
    // A statistics flush already under way could write the workspace's counters back.
    await this.flushing;
    if (!redis.configured) return { removedKeys: 0 };
    await redis.publish(keys.channel(), JSON.stringify({ type: "forget", workspaceId, from: instanceId }));
    let cursor = "0";
    let removed = 0;
    for (let round = 0; round < 100_000; round++) {
      const [next, batch] = await redis.run("forget scan", (client) =>
        client.scan(cursor, "MATCH", keys.everythingOf(workspaceId), "COUNT", 1_000),
      );
      cursor = next;
      if (batch.length > 0) removed += await redis.run("forget unlink", (client) => client.unlink(...batch));
      if (cursor === "0") break;
    }
    return { removedKeys: removed };
  }

  /** Deletes one key of the workspace. Anything else is refused by the caller (FORBIDDEN). */
  async deleteKey(
    workspaceId: string,
    logicalKey: string,
  ): Promise<{ deleted: boolean; status: "ok" | "degraded" } | "forbidden"> {
    const { keys, redis, local, instanceId } = this.parts;
    const parsed = parseLogical(logicalKey);
    if (!parsed || parsed.workspaceId !== workspaceId) return "forbidden";
    const localKey = `${parsed.namespace}|${workspaceId}|${parsed.rest}`;
    const droppedLocally = local.delete(localKey);
    if (!redis.configured) return { deleted: droppedLocally, status: "ok" };
    try {
      const removed = await redis.run("delete", (client) => client.unlink(keys.root + logicalKey));
      await redis
        .publish(keys.channel(), JSON.stringify({ type: "delete", workspaceId, key: localKey, from: instanceId }))
        .catch(() => {});
      return { deleted: removed > 0 || droppedLocally, status: "ok" };
    } catch (error) {
      redisFailed(this.parts, workspaceId, error);
      return { deleted: droppedLocally, status: "degraded" };
    }
  }

  /** SCAN-based listing, confined to the workspace's data keys; `cursor` from the previous page. */
  async listKeys(workspaceId: string, options: { pattern?: string; cursor?: string | null; limit: number }) {
    const { keys: cacheKeys, redis } = this.parts;
    const pattern = options.pattern;
    const keys: {
      key: string;
      namespace: CacheNamespace;
      generation: number;
      current: boolean;
      ttlSeconds: number | null;
    }[] = [];
    if (!redis.configured) return { ...this.listLocalKeys(workspaceId, pattern, options.limit), status: "ok" as const };
    let cursor = options.cursor ?? "0";
    try {
      const current = await this.invalidation.generation(workspaceId);
      for (let round = 0; round < 20 && keys.length < options.limit; round++) {
        const [next, batch] = await redis.run("scan", (client) =>
          client.scan(cursor, "MATCH", cacheKeys.workspacePattern(workspaceId), "COUNT", 1_000),
        );
        cursor = next;
        for (const full of batch) {
          const parsed = cacheKeys.parseFull(full);
          if (!parsed || parsed.workspaceId !== workspaceId) continue;
          const logical = full.slice(cacheKeys.root.length);
          if (pattern && !matchesGlob(pattern, logical)) continue;
          keys.push({
            key: logical,
            namespace: parsed.namespace,
            generation: parsed.generation,
            current: parsed.generation === current,
            ttlSeconds: null,
          });
        }
        if (cursor === "0") break;
      }
      if (keys.length > 0) {
        const ttls = await redis.pipeline("ttl", (pipeline) => {
          for (const entry of keys) pipeline.ttl(cacheKeys.root + entry.key);
        });
        ttls.forEach((ttl, i) => (keys[i]!.ttlSeconds = typeof ttl === "number" && ttl >= 0 ? ttl : null));
      }
      return { keys, nextCursor: cursor === "0" ? null : cursor, status: "ok" as const };
    } catch (error) {
      redisFailed(this.parts, workspaceId, error);
      return { keys: [], nextCursor: null, status: "degraded" as const };
    }
  }

  /**
   * Without Redis, the keys are this process's entries, named as Redis would name them with the
   * workspace's local version in the generation's place (cache.deleteKey takes them back). One
   * page: the process holds them all at hand.
   */
  private listLocalKeys(workspaceId: string, pattern: string | undefined, limit: number) {
    const { local } = this.parts;
    const current = local.version(workspaceId);
    const keys = local
      .listOf(workspaceId)
      .map((entry) => ({
        key: this.parts.keys.logical(entry.namespace, workspaceId, entry.version, entry.key),
        namespace: entry.namespace,
        generation: entry.version,
        current: entry.version === current,
        ttlSeconds: null,
      }))
      .filter((entry) => !pattern || matchesGlob(pattern, entry.key))
      .sort((a, b) => a.key.localeCompare(b.key))
      .slice(0, limit);
    return { keys, nextCursor: null };
  }

  /** Statistics of one workspace (all instances), plus Redis-wide figures. */
  async workspaceStats(workspaceId: string) {
    const { keys, redis, local, stats, settings } = this.parts;
    await this.flushStats();
    const health = cacheHealth(redis);
    const l1 = { entries: local.entriesOf(workspaceId), bytesAllInstance: local.bytes, maxBytes: settings.l1MaxBytes };
    if (!redis.configured) {
      // Nothing is flushed anywhere: what this process counted since it started is the whole story.
      const counted = stats.unflushed(workspaceId);
      const current = local.version(workspaceId);
      const entries = local.listOf(workspaceId);
      return {
        workspaceId,
        ...figures(counted?.counters ?? emptyCounters(), counted?.buckets ?? LATENCY_BUCKETS_MS.map(() => 0), true),
        generation: null,
        recommendationsCached: entries.filter((entry) => entry.namespace === "rec" && entry.version === current).length,
        workspaceKeys: entries.length,
        keysUnderPrefix: local.size,
        keyCountApproximate: false,
        redisMemoryBytes: null,
        l1,
        series: seriesFrom(counted?.minutes ?? new Map()),
        statsSince: stats.since,
        ...health,
      };
    }
    try {
      const hour = Math.floor(Date.now() / 3_600_000);
      const replies = await redis.pipeline("stats", (pipeline) =>
        pipeline
          .hgetall(keys.stats(workspaceId))
          .hgetall(keys.latency(workspaceId))
          .hgetall(keys.series(workspaceId, hour - 1))
          .hgetall(keys.series(workspaceId, hour))
          .info("memory")
          .info("stats"),
      );
      const value = <T>(i: number) => replies[i] as T;
      const hash = value<Record<string, string>>(0) ?? {};
      const counters = emptyCounters();
      for (const name of COUNTERS) counters[name] = Number(hash[name] ?? 0);
      const latencyHash = value<Record<string, string>>(1) ?? {};
      const buckets = LATENCY_BUCKETS_MS.map((_, i) => Number(latencyHash[String(i)] ?? 0));
      const series = seriesFrom(
        minutesFrom([value<Record<string, string>>(2) ?? {}, value<Record<string, string>>(3) ?? {}]),
      );
      const memory = infoField(value<string>(4), "used_memory");
      const evicted = infoField(value<string>(5), "evicted_keys");
      const generation = await this.invalidation.generation(workspaceId);
      const counts = await this.countKeys(workspaceId, generation);
      const base = figures(counters, buckets, false);
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
      redisFailed(this.parts, workspaceId, error);
      // Redis away: this instance's own counts since it started.
      const totals = stats.totals.get(workspaceId) ?? emptyCounters();
      return {
        workspaceId,
        ...figures(
          totals,
          LATENCY_BUCKETS_MS.map(() => 0),
          true,
        ),
        generation: null,
        recommendationsCached: null,
        workspaceKeys: null,
        keysUnderPrefix: null,
        keyCountApproximate: false,
        redisMemoryBytes: null,
        l1,
        series: [],
        statsSince: null,
        ...cacheHealth(redis),
      };
    }
  }

  /** One SCAN pass over the product's prefix: all keys, this workspace's data keys, its current recommendations. */
  private async countKeys(workspaceId: string, generation: number) {
    const { keys, redis, settings } = this.parts;
    const prefix = settings.prefix;
    let cursor = "0";
    let total = 0;
    let workspace = 0;
    let recommendations = 0;
    const deadline = performance.now() + 2_000;
    do {
      const [next, batch] = await redis.run("scan", (client) =>
        client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 2_000),
      );
      cursor = next;
      total += batch.length;
      for (const full of batch) {
        const parsed = keys.parseFull(full);
        if (!parsed || parsed.workspaceId !== workspaceId) continue;
        workspace++;
        if (parsed.namespace === "rec" && parsed.generation === generation) recommendations++;
      }
    } while (cursor !== "0" && performance.now() < deadline);
    return { total, workspace, recommendations, approximate: cursor !== "0" };
  }

  /** Writes the counted deltas to Redis (one pipeline). */
  async flushStats(): Promise<void> {
    const { keys, redis, stats } = this.parts;
    if (this.flushing) return this.flushing;
    if (!redis.configured || redis.degraded) return;
    const taken = stats.take();
    if (taken.size === 0) return;
    this.flushing = (async () => {
      try {
        await redis.pipeline("stats flush", (pipeline) => {
          const now = Date.now();
          for (const [workspaceId, delta] of taken) {
            const statsKey = keys.stats(workspaceId);
            pipeline.hsetnx(statsKey, "since", String(now));
            for (const name of COUNTERS)
              if (delta.counters[name] !== 0) pipeline.hincrby(statsKey, name, delta.counters[name]);
            delta.buckets.forEach((n, i) => n !== 0 && pipeline.hincrby(keys.latency(workspaceId), String(i), n));
            for (const [minute, [hits, misses]] of delta.minutes) {
              const seriesKey = keys.series(workspaceId, Math.floor(minute / 60));
              if (hits) pipeline.hincrby(seriesKey, `${minute}:h`, hits);
              if (misses) pipeline.hincrby(seriesKey, `${minute}:m`, misses);
              pipeline.pexpire(seriesKey, 26 * 3_600_000);
            }
          }
        });
      } catch {
        stats.restore(taken);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }
}

/** The figures the statistics page shows, from counters and a latency histogram. */
function figures(counters: Counters, buckets: number[], instanceOnly: boolean) {
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
      bucketsMs: LATENCY_BUCKETS_MS.map((bound, i) => ({
        upToMs: Number.isFinite(bound) ? bound : null,
        count: buckets[i] ?? 0,
      })),
    },
    evictions: { local: counters.evictions, redis: null as number | null },
    instanceOnly,
  };
}

function infoField(info: string | undefined, field: string): number | null {
  const match = info?.match(new RegExp(`^${field}:(\\d+)`, "m"));
  return match ? Number(match[1]) : null;
}

/** Per-minute hits and misses (minute epoch → [hits, misses]) from the series' Redis hashes. */
function minutesFrom(hashes: Record<string, string>[]): Map<number, [number, number]> {
  const byMinute = new Map<number, [number, number]>();
  for (const hash of hashes) {
    for (const [field, value] of Object.entries(hash)) {
      const [minute, kind] = field.split(":");
      const slot = byMinute.get(Number(minute)) ?? [0, 0];
      slot[kind === "h" ? 0 : 1] += Number(value);
      byMinute.set(Number(minute), slot);
    }
  }
  return byMinute;
}

/** The last 60 minutes, oldest first (minutes without lookups included as zeros). */
function seriesFrom(byMinute: ReadonlyMap<number, readonly [number, number]>) {
  const now = Math.floor(Date.now() / 60_000);
  return Array.from({ length: 60 }, (_, i) => {
    const minute = now - 59 + i;
    const [hits, misses] = byMinute.get(minute) ?? [0, 0];
    return { startsAt: new Date(minute * 60_000), hits, misses };
  });
}
