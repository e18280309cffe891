import type { Database } from "@rapport/db";
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { EventDispatcher } from "./events/dispatcher";
import type { LocalEventBus } from "./events/local-bus";
import type { CacheManager } from "../infra/cache/manager";
import type { JobQueue } from "../infra/queue";
import type { RateLimiter } from "../infra/rate-limit";
import type { RedisConnections } from "../infra/redis";
import type { Logger } from "../logger";
import type { Services } from "./deps";

export type Role = "api" | "worker" | "all";

export interface CheckResult {
  ok: boolean;
  latencyMs?: number;
  detail?: string;
}

export interface Readiness {
  status: "ok" | "degraded" | "down";
  degraded: string[];
  checks: {
    database: CheckResult & { kind: string; location: string };
    redis: CheckResult & { configured: boolean };
    /** The recommendations cache's own Redis client (circuit breaker state). */
    cache: CheckResult & { configured: boolean; degradedSince: Date | null };
  };
}

export interface Runtime {
  config: Config;
  log: Logger;
  clock: Clock;
  database: Database;
  redis: RedisConnections | null;
  queue: JobQueue;
  rateLimiter: RateLimiter;
  dispatcher: EventDispatcher;
  bus: LocalEventBus;
  cache: CacheManager;
  services: Services;
  readiness(): Promise<Readiness>;
  start(role: Role): Promise<void>;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  log?: Logger;
  /** Apply pending migrations while starting (server start, tests). */
  migrate?: boolean;
}
