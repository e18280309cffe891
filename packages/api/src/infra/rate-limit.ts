import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";

export interface RateLimitResult {
  allowed: boolean;
  count: number;
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one hit against `key` in a fixed window and says whether it is within `limit`. */
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  /** Current count without adding a hit. */
  peek(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  reset(key: string): Promise<void>;
}

// INCR + PEXPIRE on first hit, atomically, returning the count and time left.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

function verdict(count: number, limit: number, ttlMs: number): RateLimitResult {
  return { allowed: count <= limit, count, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
}

export function createRedisRateLimiter(redis: Redis, prefix: string, fallback: RateLimiter): RateLimiter {
  const fullKey = (key: string) => `${prefix}rl:${key}`;
  return {
    async hit(key, limit, windowSeconds) {
      try {
        const [count, ttl] = (await redis.eval(HIT_SCRIPT, 1, fullKey(key), windowSeconds * 1000)) as [number, number];
        return verdict(count, limit, ttl);
      } catch {
        // Redis down: keep limiting per instance rather than not at all.
        return fallback.hit(key, limit, windowSeconds);
      }
    },
    async peek(key, limit, windowSeconds) {
      try {
        const [count, ttl] = await Promise.all([redis.get(fullKey(key)), redis.pttl(fullKey(key))]);
        return verdict(Number(count ?? 0), limit, ttl > 0 ? ttl : windowSeconds * 1000);
      } catch {
        return fallback.peek(key, limit, windowSeconds);
      }
    },
    async reset(key) {
      await Promise.allSettled([redis.del(fullKey(key)), fallback.reset(key)]);
    },
  };
}

export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  const windows = new LRUCache<string, { count: number; resetAt: number }>({ max: 100_000 });
  const current = (key: string, windowSeconds: number) => {
    const entry = windows.get(key);
    if (entry && entry.resetAt > now()) return entry;
    const fresh = { count: 0, resetAt: now() + windowSeconds * 1000 };
    windows.set(key, fresh);
    return fresh;
  };
  return {
    async hit(key, limit, windowSeconds) {
      const entry = current(key, windowSeconds);
      entry.count++;
      return verdict(entry.count, limit, entry.resetAt - now());
    },
    async peek(key, limit, windowSeconds) {
      const entry = current(key, windowSeconds);
      return verdict(entry.count, limit, entry.resetAt - now());
    },
    async reset(key) {
      windows.delete(key);
    },
  };
}
