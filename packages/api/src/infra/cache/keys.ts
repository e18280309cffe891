/**
 * Key layout. Everything lives under the product's prefix (REDIS_PREFIX) and
 * `cache:`; a *logical* key — what cache.keys lists and cache.deleteKey takes —
 * is the part after that:
 *
 *   {prefix}cache:rec:{workspaceId}:{generation}:{contactId}:{k}[:known]   recommendations, TTL 24 h
 *   {prefix}cache:top:{workspaceId}:{generation}:{limit}                   derived structures, TTL 7 d
 *   {prefix}cache:lock:{namespace}:{workspaceId}:{generation}:{key}        stampede locks, TTL a few s
 *   {prefix}cache:meta:gen:{workspaceId}                                   the workspace's generation
 *   {prefix}cache:meta:seen:{workspaceId}                                  event ids already counted (bounded)
 *   {prefix}cache:meta:stats:{workspaceId} | lat:… | ts:…:{hour}           statistics
 *
 * The generation is part of every data key, so bumping it (one INCR)
 * invalidates a workspace in O(1); old keys expire or are swept.
 */
const DATA_NAMESPACES = ["rec", "top"] as const;
export type CacheNamespace = (typeof DATA_NAMESPACES)[number];

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
// The key part may hold ids, numbers and time-zone names ("Europe/Berlin"), never glob characters.
const LOGICAL = new RegExp(`^(${DATA_NAMESPACES.join("|")}):(${UUID}):(\\d{1,20}):([A-Za-z0-9:_./+-]{1,200})$`);

export interface ParsedKey {
  namespace: CacheNamespace;
  workspaceId: string;
  generation: number;
  rest: string;
}

export class CacheKeys {
  readonly root: string;
  constructor(prefix: string) {
    this.root = `${prefix}cache:`;
  }

  logical(namespace: CacheNamespace, workspaceId: string, generation: number, key: string): string {
    return `${namespace}:${workspaceId}:${generation}:${key}`;
  }

  data(namespace: CacheNamespace, workspaceId: string, generation: number, key: string): string {
    return this.root + this.logical(namespace, workspaceId, generation, key);
  }

  /** The two halves around the generation, for the read script. */
  dataParts(namespace: CacheNamespace, workspaceId: string, key: string): [string, string] {
    return [`${this.root}${namespace}:${workspaceId}:`, `:${key}`];
  }

  lockParts(namespace: CacheNamespace, workspaceId: string, key: string): [string, string] {
    return [`${this.root}lock:${namespace}:${workspaceId}:`, `:${key}`];
  }

  generation(workspaceId: string): string {
    return `${this.root}meta:gen:${workspaceId}`;
  }

  seen(workspaceId: string): string {
    return `${this.root}meta:seen:${workspaceId}`;
  }

  stats(workspaceId: string): string {
    return `${this.root}meta:stats:${workspaceId}`;
  }

  latency(workspaceId: string): string {
    return `${this.root}meta:lat:${workspaceId}`;
  }

  series(workspaceId: string, hour: number): string {
    return `${this.root}meta:ts:${workspaceId}:${hour}`;
  }

  sweepLock(workspaceId: string): string {
    return `${this.root}lock:sweep:${workspaceId}`;
  }

  channel(): string {
    return `${this.root}invalidate`;
  }

  /** SCAN pattern that finds every key mentioning the workspace (filter with parseFull). */
  workspacePattern(workspaceId: string): string {
    return `${this.root}*:${workspaceId}:*`;
  }

  /** SCAN pattern of every cache key naming the workspace (data, locks, generation, statistics). Ids hold no glob characters. */
  everythingOf(workspaceId: string): string {
    return `${this.root}*${workspaceId}*`;
  }

  /** A full Redis key → its parsed logical data key, or null for anything else (meta, locks, other prefixes). */
  parseFull(fullKey: string): ParsedKey | null {
    if (!fullKey.startsWith(this.root)) return null;
    return parseLogical(fullKey.slice(this.root.length));
  }

  /** Lock keys of a workspace, with their generation (swept with old data). */
  parseLock(fullKey: string): { workspaceId: string; generation: number } | null {
    const match = new RegExp(`^lock:(?:${DATA_NAMESPACES.join("|")}):(${UUID}):(\\d{1,20}):`).exec(
      fullKey.slice(this.root.length),
    );
    return match ? { workspaceId: match[1]!, generation: Number(match[2]) } : null;
  }
}

export function parseLogical(key: string): ParsedKey | null {
  const match = LOGICAL.exec(key);
  if (!match) return null;
  return {
    namespace: match[1] as CacheNamespace,
    workspaceId: match[2]!,
    generation: Number(match[3]),
    rest: match[4]!,
  };
}
