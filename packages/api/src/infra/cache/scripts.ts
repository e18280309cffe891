import type { ChainableCommander, Redis } from "ioredis";

/**
 * The cache's Redis scripts. Each runs atomically in one round trip; they are
 * registered on the connection once (`defineCacheScripts`) and called through
 * `cacheScripts(redis)`.
 */

type ReadScript = (
  genKey: string,
  dataPrefix: string,
  dataSuffix: string,
  lockPrefix: string,
  lockSuffix: string,
  token: string,
  lockTtlMs: string,
) => Promise<[string, string | null, number, number]>;
type BumpScript = (genKey: string, seenKey: string, ...eventIds: string[]) => Promise<[number, number]>;
type StoreScript = (
  dataKey: string,
  lockKey: string,
  json: string,
  ttlSeconds: string,
  token: string,
) => Promise<number>;
type ReleaseScript = (lockKey: string, token: string) => Promise<number>;
type ReleaseCurrentScript = (genKey: string, lockPrefix: string, lockSuffix: string, token: string) => Promise<number>;

export interface CacheScripts {
  /** Generation, value under it and (optionally) the stampede lock: `[generation, value, lock PTTL, acquired]`. */
  rapportCacheRead: ReadScript;
  /** Bumps the generation once per set of event ids: `[generation, changed]`. */
  rapportCacheBump: BumpScript;
  /** Stores a computed value and releases our lock. */
  rapportCacheStore: StoreScript;
  /** Releases the lock if we still hold it. */
  rapportCacheRelease: ReleaseScript;
  /** The same for the lock under the generation Redis holds now (the read script took it there). */
  rapportCacheReleaseCurrent: ReleaseCurrentScript;
}

// Generations start from the Redis clock in ms, so a generation key lost to
// eviction can never restart at a number an older, still-living key used.
const INIT_GENERATION = `
local function ensure(key)
  local g = redis.call('GET', key)
  if g then return g end
  local t = redis.call('TIME')
  g = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  if redis.call('SET', key, g, 'NX') then return g end
  return redis.call('GET', key)
end
`;
// One round trip for a lookup: the generation, the value under it, and (on a
// miss, when a token is given) the stampede lock. KEYS: none — standalone Redis;
// the key names depend on the generation read here.
const READ_LUA = `${INIT_GENERATION}
local g = ensure(ARGV[1])
local value = redis.call('GET', ARGV[2] .. g .. ARGV[3])
local lock = -2
local acquired = 0
if ARGV[4] ~= '' then
  local lockKey = ARGV[4] .. g .. ARGV[5]
  if (not value) and ARGV[6] ~= '' and redis.call('SET', lockKey, ARGV[6], 'NX', 'PX', tonumber(ARGV[7])) then acquired = 1 end
  lock = redis.call('PTTL', lockKey)
end
return {g, value, lock, acquired}`;
// Idempotent per event: several instances (and the durable consumer) report the
// same change, the generation moves once. No ids = unconditional bump.
const BUMP_LUA = `${INIT_GENERATION}
local added = 0
if #ARGV == 0 then added = 1 else
  for i = 1, #ARGV do added = added + redis.call('ZADD', KEYS[2], 'NX', ARGV[i], ARGV[i]) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -5001)
  redis.call('PEXPIRE', KEYS[2], 86400000)
end
ensure(KEYS[1])
if added > 0 then return {redis.call('INCR', KEYS[1]), 1} end
return {tonumber(redis.call('GET', KEYS[1])), 0}`;
// Store a computed value and release our lock in one round trip.
const STORE_LUA = `redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// KEYS: the generation key; the lock's name depends on the generation read here.
const RELEASE_CURRENT_LUA = `local g = redis.call('GET', KEYS[1])
if not g then return 0 end
local lockKey = ARGV[1] .. g .. ARGV[2]
if redis.call('GET', lockKey) == ARGV[3] then return redis.call('DEL', lockKey) end
return 0`;

export function defineCacheScripts(redis: Redis): void {
  redis.defineCommand("rapportCacheRead", { numberOfKeys: 0, lua: READ_LUA });
  redis.defineCommand("rapportCacheBump", { numberOfKeys: 2, lua: BUMP_LUA });
  redis.defineCommand("rapportCacheStore", { numberOfKeys: 2, lua: STORE_LUA });
  redis.defineCommand("rapportCacheRelease", { numberOfKeys: 1, lua: RELEASE_LUA });
  redis.defineCommand("rapportCacheReleaseCurrent", { numberOfKeys: 1, lua: RELEASE_CURRENT_LUA });
}

/** The scripts of a connection `defineCacheScripts` ran on (call them as methods of the result). */
export function cacheScripts(redis: Redis): CacheScripts {
  return redis as unknown as CacheScripts;
}

/** Queues the bump script on a pipeline; its reply is the script's: `[generation, changed]`. */
export function pipelineBump(pipeline: ChainableCommander, genKey: string, seenKey: string, eventIds: string[]): void {
  (pipeline as unknown as { rapportCacheBump: (...args: string[]) => unknown }).rapportCacheBump(
    genKey,
    seenKey,
    ...eventIds,
  );
}
