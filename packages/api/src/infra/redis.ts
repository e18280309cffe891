import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../logger";

export interface RedisConnections {
  /** Commands (rate limits, cache, publish). Fails fast instead of queueing while offline. */
  command: Redis;
  /** Dedicated connection for SUBSCRIBE. */
  subscriber: Redis;
  url: string;
  prefix: string;
  /** Options for BullMQ, which needs blocking commands to wait forever. */
  bullmqOptions: RedisOptions;
  close(): Promise<void>;
}

function baseOptions(): RedisOptions {
  return {
    lazyConnect: true,
    connectTimeout: 2_000,
    // Reconnect forever with a capped backoff: Redis coming back must heal us.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
}

/**
 * Connects to Redis, or returns null when no URL is configured or the server
 * does not answer at start-up; the caller then runs in degraded, in-process mode.
 */
export async function connectRedis(
  url: string | undefined,
  prefix: string,
  log: Logger,
): Promise<RedisConnections | null> {
  if (!url) return null;
  const command = new Redis(url, {
    ...baseOptions(),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
  });
  const subscriber = new Redis(url, { ...baseOptions(), maxRetriesPerRequest: null });
  const silence = () => {};
  command.on("error", silence);
  subscriber.on("error", silence);
  try {
    await Promise.all([command.connect(), subscriber.connect()]);
    await command.ping();
  } catch (error) {
    log.error({ err: error, redis: redactUrl(url) }, "Redis is not answering; starting in degraded mode (no Redis)");
    command.disconnect();
    subscriber.disconnect();
    return null;
  }
  let lastError = 0;
  const report = (error: Error) => {
    // One line per 10 s at most while Redis is down.
    if (Date.now() - lastError > 10_000) {
      lastError = Date.now();
      log.warn({ err: error.message }, "Redis connection error");
    }
  };
  command.off("error", silence).on("error", report);
  subscriber.off("error", silence).on("error", report);
  return {
    command,
    subscriber,
    url,
    prefix,
    bullmqOptions: { ...baseOptions(), lazyConnect: false, maxRetriesPerRequest: null },
    close: async () => {
      await Promise.allSettled([command.quit(), subscriber.quit()]);
    },
  };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(invalid url)";
  }
}
