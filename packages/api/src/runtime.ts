import { createDatabase, migrate, type Database, type DatabaseKind, type Db, type Tx } from "@rapport/db";
import { systemClock, type Clock } from "./clock";
import type { Config } from "./config";
import { EventDispatcher } from "./platform/events/dispatcher";
import { LocalEventBus } from "./platform/events/local-bus";
import type { DomainEvent, EventConsumer } from "./platform/events/types";
import { connectRedis, type RedisConnections } from "./infra/redis";
import { createBullmqQueue, createInProcessQueue, type JobQueue } from "./infra/queue";
import { CacheManager } from "./infra/cache/manager";
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from "./infra/rate-limit";
import { createLogger, type Logger } from "./logger";
import { ActivityService } from "./modules/activity/service";
import { AnalyticsService } from "./modules/analytics/service";
import { AuditService } from "./modules/audit/service";
import { AuthService } from "./modules/auth/service";
import { CacheAdminService } from "./modules/cache/service";
import { contactJobs } from "./modules/contacts/jobs";
import { ContactService } from "./modules/contacts/service";
import { InteractionService } from "./modules/interactions/service";
import { warmupAfterImportConsumer } from "./modules/recommendations/events";
import { recommendationJobs } from "./modules/recommendations/jobs";
import { RecommendationService } from "./modules/recommendations/service";
import { InvitationService } from "./modules/workspaces/invitations";
import { invitationJobs } from "./modules/workspaces/invitations-jobs";
import { WorkspaceService } from "./modules/workspaces/service";
import { OwnershipService } from "./modules/workspaces/ownership";
import { WorkspaceDeletionService } from "./modules/workspaces/deletion";
import { workspaceJobs } from "./modules/workspaces/jobs";
import { createLocalStorage } from "./platform/storage";
import { gdprExportJobs } from "./modules/gdpr/export/jobs";
import { GdprExportService } from "./modules/gdpr/export/service";
import { gdprErasureJobs } from "./modules/gdpr/erasure/jobs";
import { GdprErasureService } from "./modules/gdpr/erasure/service";
import { createPrivacyRegistry } from "./modules/gdpr/handlers";
import type { ServiceDeps } from "./platform/deps";
import type { PrivacyRegistry } from "./platform/privacy/registry";
import { RestrictionIndex } from "./platform/privacy/restriction";

export type Role = "api" | "worker" | "all";


export interface Services {
  auth: AuthService;
  workspaces: WorkspaceService;
  /** Handing a workspace to another member. */
  ownership: OwnershipService;
  /** Scheduled workspace deletion (grace period, cancel, the daily run). */
  workspaceDeletion: WorkspaceDeletionService;
  invitations: InvitationService;
  contacts: ContactService;
  interactions: InteractionService;
  activity: ActivityService;
  audit: AuditService;
  recommendations: RecommendationService;
  cache: CacheAdminService;
  analytics: AnalyticsService;
  /** GDPR access/portability exports (issue 6). */
  gdprExports: GdprExportService;
  /** GDPR (issue 6): every module's export/erase/restrict handlers. */
  privacy: PrivacyRegistry;
  /** GDPR erasure, restriction, operations log and data map (issue 6). */
  gdprErasure: GdprErasureService;
}

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

const EVENTS_CHANNEL = "events";

export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const log = options.log ?? createLogger(config.LOG_LEVEL);
  const clock = options.clock ?? systemClock;
  const databaseOptions = {
    queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
    transactionIdleTimeoutMs: config.DATABASE_TRANSACTION_IDLE_TIMEOUT_MS,
    // A pool query inside a transaction fails loudly in development and tests; in
    // production on Postgres it only costs a connection, so the per-query check is skipped.
    guardPoolInTransaction: config.NODE_ENV !== "production",
  };
  const database = await createDatabase({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR, poolSize: config.DATABASE_POOL_SIZE, ...databaseOptions });
  if (options.migrate !== false) {
    const result = await migrate(database);
    if (result.applied.length > 0) log.info({ applied: result.applied }, "applied database migrations");
  }
  const redis = await connectRedis(config.REDIS_URL, config.REDIS_PREFIX, log);
  if (!redis && config.REDIS_REQUIRED) {
    await database.close();
    throw new Error("REDIS_REQUIRED=true but Redis is not answering at REDIS_URL");
  }

  const queue = redis
    ? createBullmqQueue({ ...redis.bullmqOptions, url: redis.url }, config.REDIS_PREFIX, log)
    : createInProcessQueue(log);
  const memoryLimiter = createMemoryRateLimiter();
  const rateLimiter = redis ? createRedisRateLimiter(redis.command, config.REDIS_PREFIX, memoryLimiter) : memoryLimiter;
  const dispatcher = new EventDispatcher(database, log.child({ component: "events" }), config.EVENT_POLL_MS);
  const bus = new LocalEventBus(log);
  // Cache (issue 4): its own Redis client (every call ≤ CACHE_REDIS_TIMEOUT_MS, circuit
  // breaker, no offline queue) and its own Postgres connection for the freshness probe.
  const probeDatabase = database.kind === "postgres" && config.DATABASE_URL ? await createDatabase({ url: config.DATABASE_URL, poolSize: 1, ...databaseOptions }) : null;
  const cache = new CacheManager({
    settings: {
      prefix: config.REDIS_PREFIX,
      redisUrl: config.CACHE_REDIS_URL ?? config.REDIS_URL,
      timeoutMs: config.CACHE_REDIS_TIMEOUT_MS,
      breakerFailures: config.CACHE_BREAKER_FAILURES,
      breakerCooldownMs: config.CACHE_BREAKER_COOLDOWN_MS,
      l1MaxBytes: config.CACHE_L1_MAX_BYTES,
      lockTtlMs: config.CACHE_LOCK_TTL_MS,
      lockWaitMs: config.CACHE_LOCK_WAIT_MS,
      statsFlushMs: config.CACHE_STATS_FLUSH_MS,
    },
    probeDb: (probeDatabase ?? database).db,
    log,
    clock,
  });
  await cache.start();

  const privacy = createPrivacyRegistry();
  const deps: ServiceDeps = {
    config,
    db: database.db,
    databaseKind: database.kind,
    clock,
    log,
    rateLimiter,
    queue,
    privacy,
    restrictions: new RestrictionIndex(database.db),
    transaction: async (fn) => {
      const result = await database.db.transaction(fn);
      dispatcher.wake();
      return result;
    },
    eventsCommitted: () => dispatcher.wake(),
  };
  const recommendations = new RecommendationService(deps, cache);
  const workspaceService = new WorkspaceService(deps);
  const gdprExports = new GdprExportService(deps, createLocalStorage(config.EXPORT_DIR), workspaceService);
  const services: Services = {
    auth: new AuthService(deps),
    workspaces: workspaceService,
    ownership: new OwnershipService(deps, workspaceService),
    workspaceDeletion: new WorkspaceDeletionService(deps, workspaceService, {
      detachExports: (tx, workspaceId, userIds) => gdprExports.detachForWorkspace(tx, workspaceId, userIds),
      deleteExportFiles: (keys) => gdprExports.deleteFiles(keys),
      forgetCache: (workspaceId) => cache.forgetWorkspace(workspaceId),
      removeJobs: (workspaceId) => recommendations.removeWarmupJobs(workspaceId),
    }),
    invitations: new InvitationService(deps, workspaceService),
    contacts: new ContactService(deps),
    interactions: new InteractionService(deps),
    activity: new ActivityService(database.db),
    audit: new AuditService(database.db),
    recommendations,
    cache: new CacheAdminService(cache, recommendations),
    // Analytics (issue 5): cached on the shared cache layer above, so the cache consumer
    // and bus listener registered below invalidate it too; no consumer of its own.
    analytics: new AnalyticsService(deps, cache),
    // GDPR exports (issue 6): ZIPs in local-directory storage (EXPORT_DIR) behind ExportStorage.
    gdprExports,
    privacy,
    gdprErasure: new GdprErasureService(
      deps,
      privacy,
      (workspaceId) => cache.invalidateWorkspace(workspaceId),
      () => services.gdprExports.deleteDiscardedFiles(),
    ),
  };

  // Consumers and listeners: each module's reaction to events plugs in here,
  // never inside the mutation that caused the event.
  dispatcher.register(createBroadcastRelay(redis, bus, config.REDIS_PREFIX, log));
  bus.subscribe((event) => services.workspaces.onEvent(event));
  bus.subscribe((event) => services.gdprErasure.restrictions.onEvent(event));
  for (const job of contactJobs(services.contacts)) queue.define(job);
  for (const job of invitationJobs(services.invitations)) queue.define(job);
  // Cache (issue 4): contact/interaction events bump the workspace's cache generation
  // (durable, at least once); every instance evicts its in-process entries on the bus;
  // bulk imports queue a warm-up.
  dispatcher.register(cache.consumer());
  if (config.WARMUP_AFTER_IMPORT) dispatcher.register(warmupAfterImportConsumer(recommendations, config.WARMUP_LIMIT, log));
  bus.subscribe((event) => cache.onEvent(event));
  for (const job of recommendationJobs(recommendations)) queue.define(job);
  // GDPR exports (issue 6): the export builder and the daily purge of expired files.
  for (const job of gdprExportJobs(services.gdprExports)) queue.define(job);
  dispatcher.register(services.gdprExports.erasureConsumer());
  // GDPR erasure (issue 6): the daily run of deletions whose grace period has ended.
  for (const job of gdprErasureJobs(services.gdprErasure)) queue.define(job);
  // Workspace deletion: the daily run of due deletions; Redis leftovers cleaned durably per deletion.
  for (const job of workspaceJobs(services.workspaceDeletion)) queue.define(job);
  dispatcher.register(services.workspaceDeletion.consumer());

  if (redis) {
    const channel = `${config.REDIS_PREFIX}${EVENTS_CHANNEL}`;
    await redis.subscriber.subscribe(channel);
    redis.subscriber.on("message", (from, message) => {
      if (from !== channel) return;
      try {
        bus.publish(reviveEvents(message));
      } catch (error) {
        log.warn({ err: error }, "ignored malformed event broadcast");
      }
    });
  }

  let closed = false;
  return {
    config,
    log,
    clock,
    database,
    redis,
    queue,
    rateLimiter,
    dispatcher,
    bus,
    cache,
    services,
    async readiness() {
      const database_ = await timed(() => database.ping(), 2_000);
      const redis_ = redis ? await timed(async () => void (await redis.command.ping()), 500) : { ok: false, detail: "not configured" };
      const degraded: string[] = [];
      if (!redis) degraded.push("no Redis: jobs, events and rate limits run in this process only");
      else if (!redis_.ok) degraded.push("Redis unreachable");
      const cache_ = cache.health();
      if (cache_.configured && cache_.degraded) degraded.push(`cache degraded since ${cache_.degradedSince?.toISOString()}: ${cache_.detail}; recommendations are computed directly`);
      return {
        status: !database_.ok ? "down" : degraded.length > 0 ? "degraded" : "ok",
        degraded,
        checks: {
          database: { ...database_, kind: database.kind, location: database.location },
          redis: { ...redis_, configured: Boolean(config.REDIS_URL) },
          cache: { ok: !cache_.degraded, configured: cache_.configured, degradedSince: cache_.degradedSince, ...(cache_.detail ? { detail: cache_.detail } : {}) },
        },
      };
    },
    async start(role) {
      await dispatcher.start();
      await queue.start({ process: role !== "api" });
      if (config.WARMUP_ON_START) {
        recommendations.warmupOnStart().catch((error) => log.warn({ err: error }, "warm-up on start could not be queued"));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue.close();
      await dispatcher.stop();
      services.gdprErasure.restrictions.close();
      await cache.close();
      await probeDatabase?.close();
      await redis?.close();
      await database.close();
    },
  };
}

/**
 * Fans committed events out to every instance's local bus: through Redis
 * pub/sub when there is Redis, directly otherwise.
 */
function createBroadcastRelay(redis: RedisConnections | null, bus: LocalEventBus, prefix: string, log: Logger): EventConsumer {
  return {
    name: "broadcast-relay",
    // Live listeners care about what happens from now on, not history.
    startFrom: "now",
    async handle(events) {
      if (!redis) {
        bus.publish(events);
        return;
      }
      try {
        await redis.command.publish(`${prefix}${EVENTS_CHANNEL}`, JSON.stringify(events));
      } catch (error) {
        // Pub/sub is best effort (live views, local caches with TTLs); never block the outbox on it.
        log.warn({ err: error instanceof Error ? error.message : error }, "event broadcast failed; delivering locally");
        bus.publish(events);
      }
    },
  };
}

function reviveEvents(message: string): DomainEvent[] {
  const parsed = JSON.parse(message) as (Omit<DomainEvent, "createdAt"> & { createdAt: string })[];
  return parsed.map((event) => ({ ...event, createdAt: new Date(event.createdAt) }));
}

async function timed(check: () => Promise<void>, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
