import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { boundedCache } from "../platform/bounded-cache";

interface RateLimitResult {
  allowed: boolean;
  count: number;
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one hit against `key` in a fixed window and says whether it is within `limit`. */
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  /** Current count without adding a hit. */
  peek(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  /**
   * Reserves one attempt against `key` before the attempt is made, in a single
   * atomic step, so concurrent attempts can never all pass a check made before
   * any of them was counted. The first `policy.free` attempts pass at once;
   * the attempt that uses up the last one starts a backoff of
   * `backoffMs` that doubles with every further attempt up to `backoffMaxMs`,
   * during which attempts are refused (and not counted). The count is forgotten
   * `windowMs` after the last attempt (or after the backoff ends). A successful
   * attempt should `reset` the key.
   */
  reserveAttempt(key: string, policy: AttemptPolicy, nowMs: number): Promise<RateLimitResult>;
  reset(key: string): Promise<void>;
  /**
   * Takes up to `wanted` hits against `key` in a fixed window, as many as `limit` still
   * leaves, in one step (a batch asks once, not once per item). `granted` may be 0; then
   * `retryAfterMs` is the time left in the window.
   */
  take(
    key: string,
    limit: number,
    windowSeconds: number,
    wanted: number,
  ): Promise<{ granted: number; retryAfterMs: number }>;
  /**
   * One of `limit` slots of `key`, held until `releaseSlot` or for `leaseMs` at most (a
   * process that dies never keeps one); null when all are taken. On Redis the slots are
   * shared by every process, so the limit holds across the cluster. `holder` names the slot
   * (default: a fresh name): the same holder asking again gets its slot back, its lease
   * renewed — a job run again after its process died takes over what that run held.
   */
  acquireSlot(key: string, limit: number, leaseMs: number, holder?: string): Promise<string | null>;
  releaseSlot(key: string, token: string): Promise<void>;
}

export interface AttemptPolicy {
  free: number;
  windowMs: number;
  backoffMs: number;
  backoffMaxMs: number;
}

interface AttemptState {
  count: number;
  blockedUntil: number;
  forgetAt: number;
}

/** The one definition of the attempt policy; the Lua script below mirrors it line by line. */
function reserve(
  state: AttemptState | undefined,
  policy: AttemptPolicy,
  now: number,
): { allowed: boolean; state: AttemptState } {
  const current = state && state.forgetAt > now ? state : { count: 0, blockedUntil: 0, forgetAt: 0 };
  if (current.blockedUntil > now) return { allowed: false, state: current };
  const count = current.count + 1;
  let blockedUntil = 0;
  if (count >= policy.free) {
    const delay = Math.min(policy.backoffMs * 2 ** Math.min(count - policy.free, 30), policy.backoffMaxMs);
    blockedUntil = now + delay;
  }
  return { allowed: true, state: { count, blockedUntil, forgetAt: Math.max(now, blockedUntil) + policy.windowMs } };
}

function attemptVerdict(allowed: boolean, state: AttemptState, now: number): RateLimitResult {
  return {
    allowed,
    count: state.count,
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((state.blockedUntil - now) / 1000)),
  };
}

// reserve() in one step inside Redis. ARGV: now, free, window, backoff, backoffMax (ms).
const RESERVE_SCRIPT = `
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local backoff = tonumber(ARGV[4])
local backoffMax = tonumber(ARGV[5])
local stored = redis.call('HMGET', KEYS[1], 'count', 'blockedUntil', 'forgetAt')
local count = tonumber(stored[1]) or 0
local blockedUntil = tonumber(stored[2]) or 0
local forgetAt = tonumber(stored[3]) or 0
if forgetAt <= now then count = 0; blockedUntil = 0 end
if blockedUntil > now then return {0, count, blockedUntil} end
count = count + 1
blockedUntil = 0
if count >= free then
  blockedUntil = now + math.min(backoff * 2 ^ math.min(count - free, 30), backoffMax)
end
forgetAt = math.max(now, blockedUntil) + window
redis.call('HSET', KEYS[1], 'count', count, 'blockedUntil', blockedUntil, 'forgetAt', forgetAt)
redis.call('PEXPIRE', KEYS[1], forgetAt - now)
return {1, count, blockedUntil}`;

// INCR + PEXPIRE on first hit, atomically, returning the count and time left.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

// As many hits as the window still allows, up to ARGV[2]. ARGV: limit, wanted, window (ms).
const TAKE_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local granted = math.min(tonumber(ARGV[2]), tonumber(ARGV[1]) - count)
if granted < 0 then granted = 0 end
if granted > 0 then redis.call('INCRBY', KEYS[1], granted) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  if granted > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
  ttl = tonumber(ARGV[3])
end
return {granted, ttl}`;

// A slot in a sorted set scored by lease expiry (Redis' own clock, so hosts' clocks don't matter).
// ARGV: limit, lease (ms), token.
const ACQUIRE_SLOT_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

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
    async reserveAttempt(key, policy, nowMs) {
      try {
        const [allowed, count, blockedUntil] = (await redis.eval(
          RESERVE_SCRIPT,
          1,
          fullKey(key),
          nowMs,
          policy.free,
          policy.windowMs,
          policy.backoffMs,
          policy.backoffMaxMs,
        )) as [number, number, number];
        return attemptVerdict(allowed === 1, { count, blockedUntil, forgetAt: 0 }, nowMs);
      } catch {
        return fallback.reserveAttempt(key, policy, nowMs);
      }
    },
    async reset(key) {
      await Promise.allSettled([redis.del(fullKey(key)), fallback.reset(key)]);
    },
    async take(key, limit, windowSeconds, wanted) {
      try {
        const [granted, ttl] = (await redis.eval(
          TAKE_SCRIPT,
          1,
          fullKey(key),
          limit,
          wanted,
          windowSeconds * 1000,
        )) as [number, number];
        return { granted, retryAfterMs: ttl };
      } catch {
        return fallback.take(key, limit, windowSeconds, wanted);
      }
    },
    async acquireSlot(key, limit, leaseMs, holder = randomUUID()) {
      try {
        const acquired = await redis.eval(ACQUIRE_SLOT_SCRIPT, 1, fullKey(`slot:${key}`), limit, leaseMs, holder);
        return acquired === 1 ? holder : null;
      } catch {
        return fallback.acquireSlot(key, limit, leaseMs, holder);
      }
    },
    async releaseSlot(key, token) {
      await Promise.allSettled([redis.zrem(fullKey(`slot:${key}`), token), fallback.releaseSlot(key, token)]);
    },
  };
}

export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  const windows = boundedCache<string, { count: number; resetAt: number }>(100_000);
  const attempts = boundedCache<string, AttemptState>(100_000);
  const slots = new Map<string, Map<string, number>>();
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
    // Synchronous from read to write: nothing else runs in between on this instance.
    async reserveAttempt(key, policy, nowMs) {
      const { allowed, state } = reserve(attempts.get(key), policy, nowMs);
      attempts.set(key, state);
      return attemptVerdict(allowed, state, nowMs);
    },
    async reset(key) {
      windows.delete(key);
      attempts.delete(key);
    },
    async take(key, limit, windowSeconds, wanted) {
      const entry = current(key, windowSeconds);
      const granted = Math.max(0, Math.min(wanted, limit - entry.count));
      entry.count += granted;
      return { granted, retryAfterMs: Math.max(0, entry.resetAt - now()) };
    },
    async acquireSlot(key, limit, leaseMs, holder = randomUUID()) {
      const at = now();
      const held = slots.get(key) ?? new Map<string, number>();
      for (const [token, expiresAt] of held) if (expiresAt <= at) held.delete(token);
      if (!held.has(holder) && held.size >= limit) return null;
      held.set(holder, at + leaseMs);
      slots.set(key, held);
      return holder;
    },
    async releaseSlot(key, token) {
      const held = slots.get(key);
      held?.delete(token);
      if (held?.size === 0) slots.delete(key);
    },
  };
}
