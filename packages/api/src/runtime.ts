import { randomUUID } from "node:crypto";
import { createDatabase, migrate } from "@rapport/db";
import { systemClock } from "./clock";
import type { Config } from "./config";
import { consumerLanes, EventDispatcher } from "./platform/events/dispatcher";
import { advisoryLease, LEASE_SESSION } from "./platform/events/lease";
import { LocalEventBus } from "./platform/events/local-bus";
import {
  decodeBatchEndMessage,
  decodeCommitMessage,
  encodeBatchEndMessage,
  encodeCommitMessage,
} from "./platform/events/commit-message";
import { commitNoticeOf } from "./platform/events/outbox";
import {
  FALLBACK_BATCH_GAP_MS,
  UNKNOWN_COMMIT,
  type CommitNotice,
  type DomainEvent,
  type EventConsumer,
} from "./platform/events/types";
import { connectRedis, type RedisConnections } from "./infra/redis";
import { createBullmqQueue, createInProcessQueue } from "./infra/queue";
import { CacheManager } from "./infra/cache/manager";
import { createMemoryRateLimiter, createRedisRateLimiter } from "./infra/rate-limit";
import { createLogger, logOutput, type Logger } from "./logger";
import { appModules, createPrivacyRegistry } from "./modules/index";
import type { ServiceDeps, Services } from "./platform/deps";
import { RestrictionIndex } from "./platform/privacy/restriction";
import { ProgressTracker } from "./platform/progress";
import type { CheckResult, Runtime, RuntimeOptions } from "./platform/runtime-types";

export type { Readiness, Role, Runtime, RuntimeOptions } from "./platform/runtime-types";

const EVENTS_CHANNEL = "events";
const COMMITS_CHANNEL = "commits";
/** A dispatcher batch's transaction ended (`batchEnded`, commit-message.ts). */
const BATCH_ENDS_CHANNEL = "batch-ends";

export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const log = options.log ?? createLogger(config.LOG_LEVEL, {}, logOutput(config.LOG_FLUSH_MS));
  const clock = options.clock ?? systemClock;
  const databaseOptions = {
    queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
    transactionIdleTimeoutMs: config.DATABASE_TRANSACTION_IDLE_TIMEOUT_MS,
    // A pool query inside a transaction fails loudly in development and tests; in
    // production on Postgres it only costs a connection, so the per-query check is skipped.
    guardPoolInTransaction: config.NODE_ENV !== "production",
  };
  const database = await createDatabase({
    url: config.DATABASE_URL,
    pgliteDir: config.PGLITE_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
    ...databaseOptions,
  });
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
  // On Postgres one instance at a time runs the consumers' batches, the holder of a lock on a
  // connection of its own (its session is the lease, ended by the server once it goes silent);
  // PGlite is one process's alone.
  const leaseUrl = database.kind === "postgres" ? config.DATABASE_URL : undefined;
  const lease = leaseUrl
    ? advisoryLease(() => createDatabase({ url: leaseUrl, poolSize: 1, ...databaseOptions, session: LEASE_SESSION }))
    : null;
  // Consumers' batches run side by side on part of the pool (consumerLanes); on PGlite's one
  // connection one at a time.
  const dispatcher = new EventDispatcher(
    database,
    log.child({ component: "events" }),
    config.EVENT_POLL_MS,
    database.kind === "pglite" ? 1 : consumerLanes(config.DATABASE_POOL_SIZE),
    {
      lease,
      // A batch whose transaction the server ended long ago but whose handler never settled;
      // never less than a minute, which a healthy batch does not take.
      stuckRunMs: Math.max(2 * config.DATABASE_TRANSACTION_IDLE_TIMEOUT_MS, 60_000),
      batchEnded: (txId) => batchEnded(txId),
    },
  );
  const bus = new LocalEventBus(log);
  // Cache: its own Redis client (every call ≤ CACHE_REDIS_TIMEOUT_MS, circuit
  // breaker, no offline queue) and its own Postgres connection for the freshness probe.
  const probeDatabase =
    database.kind === "postgres" && config.DATABASE_URL
      ? await createDatabase({ url: config.DATABASE_URL, poolSize: 1, ...databaseOptions })
      : null;
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

  const commitListeners: ((commit: CommitNotice) => void)[] = [];
  const commitsChannel = `${config.REDIS_PREFIX}${COMMITS_CHANNEL}`;
  // Names this instance in its commit wake-ups, so that it skips its own.
  const instanceId = randomUUID();
  /** Calls each listener in the caller's own call: one that throws must not fail the write or batch that called. */
  const notifyAll = <T>(listeners: ((value: T) => void)[], value: T, failure: string) => {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        log.error({ err: error }, failure);
      }
    }
  };
  const notifyCommitListeners = (commit: CommitNotice) => notifyAll(commitListeners, commit, "commit listener failed");
  /**
   * After a commit that may have written events: the dispatcher delivers them (if this
   * instance holds the lease; the holder hears of the others' commits through Redis), and every
   * instance's commit listeners are woken at once, told the committed transaction's id and
   * events when they are known: this instance's here and now (before the writer answers),
   * the others' through Redis (`{txId}|{sender}|{events}`, commit-message.ts). The relay's
   * broadcast would tell them too, but only after the dispatcher's pass over its consumers,
   * each in its own transaction.
   */
  const committed = (commit: CommitNotice = UNKNOWN_COMMIT) => {
    // Published first: the other instances start on it while this one hands the events to
    // its own streams, rather than after. Nothing here may keep this instance's own hand-out
    // from running, not even an event that cannot be encoded.
    try {
      redis?.command.publish(commitsChannel, encodeCommitMessage(commit, instanceId)).catch((error: unknown) => {
        log.debug({ err: error }, "commit wake-up not published; other instances hear of it from the event");
      });
    } catch (error) {
      log.error({ err: error }, "commit wake-up not encoded; other instances hear of it from the event");
    }
    dispatcher.wake(commit);
    notifyCommitListeners(commit);
  };
  const batchEndListeners: ((txId: string) => void)[] = [];
  const batchEndsChannel = `${config.REDIS_PREFIX}${BATCH_ENDS_CHANNEL}`;
  const notifyBatchEndListeners = (txId: string) => notifyAll(batchEndListeners, txId, "batch end listener failed");
  /**
   * A dispatcher batch on this instance ended: its xid held back the outbox's horizon of
   * every instance's readers, which otherwise learn of its end only by reading again.
   */
  const batchEnded = (txId: string) => {
    notifyBatchEndListeners(txId);
    redis?.command.publish(batchEndsChannel, encodeBatchEndMessage(txId, instanceId)).catch((error: unknown) => {
      log.debug({ err: error }, "batch end not published; other instances read again on their own");
    });
  };
  const services = {} as Services;
  const restrictions = new RestrictionIndex(database.db);
  const progress = new ProgressTracker(
    clock,
    log,
    redis ? { command: redis.command, prefix: config.REDIS_PREFIX } : null,
  );
  const deps: ServiceDeps = {
    config,
    db: database.db,
    databaseKind: database.kind,
    clock,
    log,
    rateLimiter,
    queue,
    cache,
    privacy: createPrivacyRegistry(appModules),
    restrictions,
    progress,
    services: builtSoFar(services),
    transaction: async (fn) => {
      let commit: CommitNotice | null = null;
      const result = await database.db.transaction(async (tx) => {
        const value = await fn(tx);
        commit = commitNoticeOf(tx);
        return value;
      });
      // No event written, nothing for the outbox's readers or the cache to learn:
      // waking every instance for it would only cost them a read each.
      if (commit !== null) committed(commit);
      return result;
    },
    eventsCommitted: committed,
  };
  for (const module of appModules) Object.assign(services, module.createServices?.(deps));

  // Each module's reaction to events plugs in here, never inside the mutation that caused
  // the event; the relay first fans committed events out to every instance's bus.
  dispatcher.register(createBroadcastRelay(redis, bus, config.REDIS_PREFIX, log));
  for (const module of appModules) {
    const {
      consumers = [],
      listeners = [],
      commitListeners: onCommit = [],
      batchEndListeners: onBatchEnd = [],
    } = module.events?.(deps) ?? {};
    for (const consumer of consumers) dispatcher.register(consumer);
    for (const listener of listeners) bus.subscribe(listener);
    commitListeners.push(...onCommit);
    batchEndListeners.push(...onBatchEnd);
    for (const job of module.jobs?.(deps) ?? []) queue.define(job);
  }

  if (redis) {
    const channel = `${config.REDIS_PREFIX}${EVENTS_CHANNEL}`;
    await redis.subscriber.subscribe(channel, progress.redisChannel, commitsChannel, batchEndsChannel);
    redis.subscriber.on("message", (from, message) => {
      if (from === commitsChannel) {
        const commit = decodeCommitMessage(message, instanceId);
        if (commit) {
          dispatcher.wake(commit);
          notifyCommitListeners(commit);
        }
        return;
      }
      if (from === batchEndsChannel) {
        const txId = decodeBatchEndMessage(message, instanceId);
        if (txId !== null) notifyBatchEndListeners(txId);
        return;
      }
      if (from === progress.redisChannel) progress.received(message);
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
      const redis_ = redis
        ? await timed(async () => void (await redis.command.ping()), 500)
        : { ok: false, detail: "not configured" };
      const degraded: string[] = [];
      // The embedded database serves one process by nature: there, no Redis is how it is meant
      // to run. A server database without Redis cannot share jobs, events and limits with other
      // instances, and a Redis that was configured but did not answer at start is a fault.
      if (!redis) {
        if (config.REDIS_URL || database.kind !== "pglite")
          degraded.push("no Redis: jobs, events and rate limits run in this process only");
      } else if (!redis_.ok) degraded.push("Redis unreachable");
      const cache_ = cache.health();
      if (cache_.configured && cache_.degraded)
        degraded.push(
          `cache degraded since ${cache_.degradedSince?.toISOString()}: ${cache_.detail}; recommendations are computed directly`,
        );
      return {
        status: !database_.ok ? "down" : degraded.length > 0 ? "degraded" : "ok",
        degraded,
        checks: {
          database: { ...database_, kind: database.kind, location: database.location },
          redis: { ...redis_, configured: Boolean(config.REDIS_URL) },
          cache: {
            ok: !cache_.degraded,
            configured: cache_.configured,
            degradedSince: cache_.degradedSince,
            ...(cache_.detail ? { detail: cache_.detail } : {}),
          },
        },
      };
    },
    async start(role) {
      await dispatcher.start();
      await queue.start({ process: role !== "api" });
      if (config.WARMUP_ON_START) {
        services.recommendations
          .warmupOnStart()
          .catch((error) => log.warn({ err: error }, "warm-up on start could not be queued"));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // The event consumers first: their batches enqueue jobs (webhook deliveries), which a
      // closed queue refuses. What a job still running commits stays in the outbox for the next start.
      await dispatcher.stop();
      await lease?.close();
      await queue.close();
      restrictions.close();
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
function createBroadcastRelay(
  redis: RedisConnections | null,
  bus: LocalEventBus,
  prefix: string,
  log: Logger,
): EventConsumer {
  return {
    name: "broadcast-relay",
    // Live listeners care about what happens from now on, not history.
    startFrom: "now",
    // A fallback: every instance's live feeds, caches, role lookups and restriction index act
    // on the commit's wake-up (commit listeners, `committed` above), before this broadcast.
    batchGapMs: FALLBACK_BATCH_GAP_MS,
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

/** The services built so far; reading one whose module comes later in the list is a mistake in the list's order. */
function builtSoFar(services: Services): Services {
  return new Proxy(services, {
    get(target, key) {
      if (typeof key === "string" && !(key in target))
        throw new Error(
          `Service "${key}" is read before its module is built: move that module earlier in modules/index.ts`,
        );
      return Reflect.get(target, key);
    },
  });
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
