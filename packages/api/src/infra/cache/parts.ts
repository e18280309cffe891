import type { Clock } from "../../clock";
import type { Logger } from "../../logger";
import type { CacheKeys } from "./keys";
import type { LocalTier } from "./local-tier";
import { CacheUnavailableError, type CacheRedis } from "./redis";
import type { StatsRecorder } from "./stats";
import type { CacheSettings } from "./types";

/** The parts of one cache instance that its read path, invalidation and admin share. */
export interface CacheParts {
  readonly settings: CacheSettings;
  readonly clock: Clock;
  readonly log: Logger;
  readonly keys: CacheKeys;
  readonly redis: CacheRedis;
  readonly local: LocalTier;
  readonly stats: StatsRecorder;
  readonly instanceId: string;
}

/** Redis being unavailable is counted and absorbed (callers degrade); any other error is a bug and propagates. */
export function redisFailed(parts: Pick<CacheParts, "redis" | "stats">, workspaceId: string, error: unknown): void {
  if (error instanceof CacheUnavailableError) {
    if (parts.redis.configured) parts.stats.count(workspaceId, "redisErrors");
    return;
  }
  throw error;
}
