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

export type Computation<T> = (ctx: ComputeContext) => Promise<{ value: T; snapshot: string }>;

export interface CacheHealth {
  configured: boolean;
  degraded: boolean;
  degradedSince: Date | null;
  detail: string | null;
}

/** What is stored in Redis under a data key. */
export interface Envelope {
  /** value */
  v: unknown;
  /** pg_snapshot of the data it was computed from */
  s: string;
  /** computed at (epoch ms) */
  t: number;
}
