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

type CacheSource = "l1" | "l2" | "compute" | "bypass";

export interface CacheResult<T> {
  value: T;
  /** Served from a cache tier (this request computed nothing and waited on no computation). */
  cached: boolean;
  source: CacheSource;
  computedAt: Date;
}

interface ComputeContext {
  /** This instance's data version of the workspace when the lookup started. */
  version: number;
  generation: number | null;
}

export type Computation<T> = (ctx: ComputeContext) => Promise<{ value: T }>;

export interface CacheHealth {
  configured: boolean;
  degraded: boolean;
  degradedSince: Date | null;
  detail: string | null;
}

/**
 * What a read of a namespace may see:
 *  - "read-after-commit": every change committed before the read started, on any
 *    instance (the fence asks Postgres before serving; fence.ts);
 *  - "event-bounded": every change whose commit has reached this instance. Each
 *    commit's wake-up names the events it wrote: on the committing instance it is
 *    applied before the write is answered (read-your-writes there), on the others
 *    when its Redis `commits` message arrives: local entries dropped, generation
 *    bumped (until Redis confirms that, the workspace's Redis entries are not read).
 *    A wake-up that names no events (a batch of over 100) makes the fence's probe
 *    (one statement on its own connection) ask what became visible. A hit asks
 *    neither Postgres nor, from the memory tier, Redis. The staleness is bounded by
 *    that message (bench:cache: p99 < 50 ms, this instance and another); if it is
 *    lost, by the event's delivery through the outbox (dispatcher → pub/sub → bus).
 */
export type CacheFreshness = "read-after-commit" | "event-bounded";
