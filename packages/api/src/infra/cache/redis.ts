import { Redis, type ChainableCommander, type RedisOptions } from "ioredis";
import type { Logger } from "../../logger";
import { redactUrl } from "../redis";
import { CircuitBreaker } from "./breaker";

/** Thrown instead of waiting: the cache's Redis is unreachable, slow, or the circuit is open. */
export class CacheUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CacheUnavailableError";
  }
}

export interface CacheRedisOptions {
  url: string | undefined;
  /** Upper bound on any single command or pipeline (≤ 50 ms). */
  timeoutMs: number;
  breakerFailures: number;
  breakerCooldownMs: number;
  log: Logger;
  /** Called when Redis answers again after being degraded. */
  onRecover?: () => void;
}

const HEALTH_INTERVAL_MS = 500;
const RECONNECT_MAX_MS = 200;

/**
 * The cache's own Redis connections, separate from the runtime's (whose
 * command timeout is 1 s and which BullMQ shares):
 *
 *  - every call goes through `run`, which races it against `timeoutMs`
 *    (≤ 50 ms);
 *  - no offline queue and no per-request retries: while disconnected a
 *    command fails at once instead of waiting for a reconnect;
 *  - a circuit breaker stops sending anything for `breakerCooldownMs` after
 *    `breakerFailures` consecutive failures; a health ping lets one trial
 *    through after the cooldown, or as soon as the connection is ready again
 *    (ioredis reconnects forever, at most 200 ms apart), so writes resume
 *    within a fraction of a second of Redis' return;
 *  - commands sent in the same turn of the event loop go out in one write
 *    (`batchWrites`), and each answer is handed back as soon as it is read.
 *
 * A caller therefore never waits longer than the timeout, and usually not at
 * all while Redis is known to be down.
 */
export class CacheRedis {
  readonly configured: boolean;
  readonly url: string | undefined;
  private readonly client: Redis | null;
  private readonly subscriber: Redis | null;
  private readonly breaker: CircuitBreaker;
  private readonly handlers = new Map<string, (message: string) => void>();
  private health: NodeJS.Timeout | null = null;
  private checking = false;
  private closed = false;
  private lastLog = 0;
  private circuitOpen: CacheUnavailableError | null = null;
  /** The socket corked for this turn's commands (batchWrites). */
  private corked: { uncork(): void } | null = null;
  private readonly uncork = () => {
    const socket = this.corked;
    this.corked = null;
    socket?.uncork();
  };
  degradedSince: Date | null = null;
  lastError: string | null = null;

  constructor(private readonly options: CacheRedisOptions) {
    this.url = options.url;
    this.configured = Boolean(options.url);
    this.breaker = new CircuitBreaker(options.breakerFailures, options.breakerCooldownMs);
    if (!options.url) {
      this.client = null;
      this.subscriber = null;
      return;
    }
    const base: RedisOptions = {
      lazyConnect: true,
      connectTimeout: 1_000,
      // Reconnect forever, at most 200 ms apart (a refused local connect costs nothing):
      // Redis coming back heals the cache within a fraction of a second.
      retryStrategy: (attempt) => Math.min(50 * attempt, RECONNECT_MAX_MS),
    };
    this.client = new Redis(options.url, {
      ...base,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // `run` bounds every call by timeoutMs; this only frees commands a hung server never answers.
      commandTimeout: 1_000,
    });
    // Subscriptions may wait for a connection; nothing else uses this one.
    this.subscriber = new Redis(options.url, { ...base, maxRetriesPerRequest: null, autoResubscribe: true });
    this.client.on("error", (error) => this.noteError(error));
    this.subscriber.on("error", (error) => this.noteError(error));
    // A reconnect loop aimed at a dead local port in the ephemeral range can connect a
    // socket to itself (TCP simultaneous open) and read its own commands back as replies.
    for (const connection of [this.client, this.subscriber])
      connection.on("connect", () => dropSelfConnection(connection));
    this.subscriber.on("message", (channel: string, message: string) => this.handlers.get(channel)?.(message));
    // The connection is back: try Redis now (half-open) rather than after the rest of the cool-down.
    this.client.on("ready", () => {
      if (this.closed || this.breaker.state === "closed") return;
      this.breaker.probeNow();
      void this.check();
    });
  }

  /** The raw client, for defineCommand. Use `run` to send anything. */
  get raw(): Redis | null {
    return this.client;
  }

  get degraded(): boolean {
    return !this.configured || this.breaker.state !== "closed";
  }

  get breakerState() {
    return this.configured ? this.breaker.state : "open";
  }

  async start(): Promise<void> {
    if (!this.client) return;
    this.subscriber!.connect().catch(() => {});
    try {
      await withTimeout(this.client.connect(), 1_000, "connect");
      await withTimeout(this.client.ping(), this.options.timeoutMs * 4, "ping");
      this.breaker.success();
    } catch (error) {
      this.markFailure(error, true);
    }
    this.health = setInterval(() => void this.check(), HEALTH_INTERVAL_MS);
    this.health.unref();
  }

  /**
   * Runs one command (or pipeline) with the timeout and the breaker. Throws
   * CacheUnavailableError without sending anything while the circuit is open.
   */
  async run<T>(label: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
    if (!this.client || this.closed)
      throw new CacheUnavailableError(this.configured ? "cache closed" : "cache Redis not configured");
    // One error object for every refusal while the circuit stays open: no allocation per call while Redis is away.
    if (!this.breaker.allow())
      throw (this.circuitOpen ??= new CacheUnavailableError(
        `cache Redis unavailable (circuit open): ${this.lastError ?? "unknown"}`,
      ));
    this.batchWrites(this.client);
    try {
      const result = await withTimeout(fn(this.client), this.options.timeoutMs, label);
      if (this.breaker.success()) this.recovered();
      return result;
    } catch (error) {
      this.markFailure(error, false);
      throw error instanceof CacheUnavailableError
        ? error
        : new CacheUnavailableError(`${label}: ${errorMessage(error)}`);
    }
  }

  /**
   * Sends a command nobody waits for (releasing a lock), even while the circuit is open: it
   * fails at once if the connection is down, and its outcome counts for nothing.
   */
  bestEffort(fn: (redis: Redis) => Promise<unknown>): void {
    if (!this.client || this.closed) return;
    this.batchWrites(this.client);
    fn(this.client).catch(() => {});
  }

  /**
   * Corks the connection's socket at the first command of this turn of the event loop and
   * uncorks it once the turn's I/O callbacks have run (setImmediate):
   * the commands fifty concurrent reads send in a turn leave in one write (writev), and
   * every answer is still handed back as soon as it is read. ioredis' auto-pipelining
   * batches too, but keeps one batch in flight at a time and hands a batch's answers back
   * only once its last one has arrived (measured here: ~20 % more time in scavenges per run).
   */
  private batchWrites(client: Redis): void {
    if (this.corked) return;
    const socket = (client as unknown as { stream?: { cork(): void; uncork(): void } }).stream;
    if (!socket) return;
    socket.cork();
    this.corked = socket;
    setImmediate(this.uncork);
  }

  /**
   * Runs a pipeline under the same rules. ioredis resolves `exec()` with
   * per-command errors (e.g. while disconnected) instead of rejecting: any
   * error in the replies counts as a failure here.
   */
  async pipeline(label: string, build: (pipeline: ChainableCommander) => void): Promise<unknown[]> {
    return this.run(label, async (redis) => {
      const replies = await execPipeline(redis, build);
      const failed = replies.find(([error]) => error);
      if (failed) throw new CacheUnavailableError(`${label}: ${errorMessage(failed[0])}`);
      return replies.map(([, value]) => value);
    });
  }

  /**
   * `pipeline`, each command's own outcome: `[error, reply]` per command (null error when it
   * succeeded). Throws only when the round trip itself fails.
   */
  async pipelineSettled(
    label: string,
    build: (pipeline: ChainableCommander) => void,
  ): Promise<[Error | null, unknown][]> {
    return this.run(label, (redis) => execPipeline(redis, build));
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run("publish", (redis) => redis.publish(channel, message));
  }

  subscribe(channel: string, handler: (message: string) => void): void {
    if (!this.subscriber) return;
    this.handlers.set(channel, handler);
    // Queued until connected; autoResubscribe renews it after every reconnect.
    this.subscriber.subscribe(channel).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.health) clearInterval(this.health);
    const quit = async (redis: Redis | null) => {
      if (!redis) return;
      try {
        await withTimeout(redis.quit(), 200, "quit");
      } catch {
        redis.disconnect();
      }
    };
    await Promise.all([quit(this.client), quit(this.subscriber)]);
  }

  /** While degraded, one ping per cooldown decides whether Redis is back. */
  private async check(): Promise<void> {
    if (this.closed || this.checking || this.breaker.state === "closed") return;
    this.checking = true;
    try {
      await this.run("health ping", (redis) => redis.ping());
    } catch {
      // still down; the breaker stays open for another cooldown
    } finally {
      this.checking = false;
    }
  }

  private markFailure(error: unknown, immediately: boolean): void {
    this.lastError = errorMessage(error);
    this.circuitOpen = null;
    const opened = immediately ? this.breaker.trip() : this.breaker.failure();
    if (opened) {
      this.degradedSince = new Date();
      this.options.log.warn(
        { err: this.lastError, redis: redactUrl(this.options.url!) },
        "cache Redis unavailable: serving from memory and computing directly",
      );
    }
  }

  private recovered(): void {
    this.degradedSince = null;
    this.lastError = null;
    this.options.log.info({ redis: redactUrl(this.options.url!) }, "cache Redis is back");
    this.options.onRecover?.();
  }

  private noteError(error: Error): void {
    this.lastError = error.message;
    this.circuitOpen = null;
    if (Date.now() - this.lastLog > 10_000) {
      this.lastLog = Date.now();
      this.options.log.debug({ err: error.message }, "cache Redis connection error");
    }
  }
}

function dropSelfConnection(redis: Redis): void {
  const socket = (
    redis as unknown as {
      stream?: { localPort?: number; remotePort?: number; localAddress?: string; remoteAddress?: string };
    }
  ).stream;
  if (socket && socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress) {
    redis.disconnect(true);
  }
}

/**
 * Rejects if `promise` has not settled within `ms` of Redis having the
 * command. The clock starts once the event loop is free again (setImmediate:
 * by then the command has been written to the socket — ioredis flushes on the
 * next tick, which waits for any synchronous work this process is doing), and
 * when it runs out the rejection waits for the rest of that loop turn, so a
 * reply that arrived while this process was busy is still read. What is
 * bounded is Redis' share of the wait, never the caller's own CPU time.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let start: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;
  let last: NodeJS.Immediate | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      start = setImmediate(() => {
        timer = setTimeout(() => {
          last = setImmediate(() => reject(new CacheUnavailableError(`${label}: no answer within ${ms} ms`)));
        }, ms);
        timer.unref?.();
      });
    }),
  ]).finally(() => {
    if (start) clearImmediate(start);
    clearTimeout(timer);
    if (last) clearImmediate(last);
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function execPipeline(redis: Redis, build: (pipeline: ChainableCommander) => void) {
  const pipeline = redis.pipeline();
  build(pipeline);
  return ((await pipeline.exec()) ?? []) as [Error | null, unknown][];
}
