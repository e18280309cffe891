import { LRUCache } from "lru-cache";
import { boundedCache } from "../../platform/bounded-cache";
import type { CacheNamespace } from "./keys";
import type { CacheResult } from "./types";

interface LocalEntry {
  value: unknown;
  computedAt: number;
  version: number;
  workspaceId: string;
  size: number;
}

/**
 * The in-process tier (L1): an LRU bounded by bytes, plus this instance's data
 * version of each workspace. An entry is valid only under the version it was
 * stored with; every change this instance learns of moves the version on.
 */
export class LocalTier {
  private readonly l1: LRUCache<string, LocalEntry> | null;
  private readonly byWorkspace = new Map<string, Set<string>>();
  private readonly versions = boundedCache<string, number>(100_000);
  /** The Redis generation learned at the workspace's current version (cleared whenever the version moves). */
  private readonly generations = boundedCache<string, number>(100_000);
  private versionClock = 0;

  constructor(
    readonly maxBytes: number,
    onEvict: (workspaceId: string) => void,
  ) {
    this.l1 =
      maxBytes > 0
        ? new LRUCache<string, LocalEntry>({
            maxSize: maxBytes,
            sizeCalculation: (entry) => Math.max(1, entry.size),
            dispose: (entry, key, reason) => {
              const set = this.byWorkspace.get(entry.workspaceId);
              set?.delete(key);
              if (set && set.size === 0) this.byWorkspace.delete(entry.workspaceId);
              if (reason === "evict") onEvict(entry.workspaceId);
            },
          })
        : null;
  }

  /** This instance's data version of a workspace; grows with every change it learns of. */
  version(workspaceId: string): number {
    let version = this.versions.get(workspaceId);
    if (version === undefined) {
      // Never reuse a number: a forgotten workspace restarts above every entry it may still have.
      version = ++this.versionClock;
      this.versions.set(workspaceId, version);
    }
    return version;
  }

  /**
   * The workspace's Redis generation, if it was learned at `version` and that is still the
   * current version: then every change this instance has heard of is in it.
   */
  generationAt(workspaceId: string, version: number): number | null {
    if (this.versions.get(workspaceId) !== version) return null;
    return this.generations.get(workspaceId) ?? null;
  }

  /** Remembers the generation confirmed (or read) at `version`; ignored if the version moved meanwhile. */
  setGeneration(workspaceId: string, version: number, generation: number): boolean {
    if (this.versions.get(workspaceId) !== version) return false;
    this.generations.set(workspaceId, generation);
    return true;
  }

  /**
   * A generation read from Redis rather than confirmed by our own bump may
   * include changes this instance has not heard of yet: whatever was derived
   * locally before (graphs, L1 entries) must not be stored under it, so the
   * version moves on and the generation belongs to the new version. Returns the
   * new version, or null if the version moved while the generation was read.
   */
  adoptGeneration(workspaceId: string, seenAtVersion: number, generation: number): number | null {
    if (this.versions.get(workspaceId) !== seenAtVersion) return null;
    this.bump(workspaceId);
    const version = this.version(workspaceId);
    this.generations.set(workspaceId, generation);
    return version;
  }

  get(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    version: number,
    accept: (value: unknown) => boolean,
  ): CacheResult<unknown> | null {
    const entry = this.l1?.get(`${namespace}|${workspaceId}|${key}`);
    if (!entry || entry.version !== version || !accept(entry.value)) return null;
    return { value: entry.value, cached: true, source: "l1", computedAt: new Date(entry.computedAt) };
  }

  set(
    namespace: CacheNamespace,
    workspaceId: string,
    key: string,
    version: number,
    value: unknown,
    computedAt: number,
  ): void {
    if (!this.l1) return;
    // A change learned of meanwhile makes this value stale; keep the newer one.
    if (version !== this.version(workspaceId)) return;
    const l1Key = `${namespace}|${workspaceId}|${key}`;
    this.l1.set(l1Key, {
      value,
      computedAt,
      version,
      workspaceId,
      size: ENTRY_OVERHEAD + l1Key.length + retainedBytes(value),
    });
    let set = this.byWorkspace.get(workspaceId);
    if (!set) this.byWorkspace.set(workspaceId, (set = new Set()));
    set.add(l1Key);
  }

  /** Drops one entry by its local key (`namespace|workspaceId|key`). */
  delete(localKey: string): boolean {
    return this.l1?.delete(localKey) ?? false;
  }

  /** Drops a workspace's entries and moves its version on. Returns how many entries were dropped. */
  bump(workspaceId: string): number {
    this.versions.set(workspaceId, ++this.versionClock);
    this.generations.delete(workspaceId);
    const keys = this.byWorkspace.get(workspaceId);
    if (!keys || !this.l1) return 0;
    const count = keys.size;
    for (const key of [...keys]) this.l1.delete(key);
    this.byWorkspace.delete(workspaceId);
    return count;
  }

  /** A deleted workspace: its entries go and its version is forgotten. */
  forget(workspaceId: string): void {
    this.bump(workspaceId);
    this.versions.delete(workspaceId);
    this.generations.delete(workspaceId);
  }

  entriesOf(workspaceId: string): number {
    return this.byWorkspace.get(workspaceId)?.size ?? 0;
  }

  /** The workspace's entries with the version each was stored under (the cache's keys when it has no Redis). */
  listOf(workspaceId: string): { namespace: CacheNamespace; key: string; version: number }[] {
    const listed: { namespace: CacheNamespace; key: string; version: number }[] = [];
    for (const l1Key of this.byWorkspace.get(workspaceId) ?? []) {
      const entry = this.l1?.peek(l1Key);
      if (!entry) continue;
      const [namespace, , ...key] = l1Key.split("|");
      listed.push({ namespace: namespace as CacheNamespace, key: key.join("|"), version: entry.version });
    }
    return listed;
  }

  /** Entries held, all workspaces. */
  get size(): number {
    return this.l1?.size ?? 0;
  }

  /** Bytes held, all workspaces. */
  get bytes(): number {
    return this.l1?.calculatedSize ?? 0;
  }
}

// The entry object, its LRU node and map slot, the workspace index entry.
const ENTRY_OVERHEAD = 320;

/**
 * What V8 keeps for a parsed JSON value (64-bit heap, no pointer compression):
 * objects 24 B + 8 B per property (+ backing store), arrays 32 B + 16 B + 8 B
 * per element, strings 16 B header + 1 B per Latin-1 / 2 B per other char
 * (rounded to 8), non-small-integer numbers a 16 B HeapNumber. Counting what
 * the heap holds — not the length of the JSON — is what keeps the tier's real
 * footprint near its configured bound (the JSON length undercounts ~3-5×).
 */
function retainedBytes(value: unknown): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    switch (typeof item) {
      case "string": {
        let wide = false;
        for (let i = 0; i < item.length && !wide; i++) if (item.charCodeAt(i) > 0xff) wide = true;
        bytes += 16 + (((wide ? 2 : 1) * item.length + 7) & ~7);
        break;
      }
      case "number":
        if (!Number.isInteger(item) || Math.abs(item) >= 2 ** 30) bytes += 16;
        break;
      case "object":
        if (item === null) break;
        if (Array.isArray(item)) {
          bytes += 48 + 8 * item.length;
          for (const element of item) stack.push(element);
        } else {
          const keys = Object.keys(item);
          bytes += 40 + 8 * keys.length;
          for (const key of keys) stack.push((item as Record<string, unknown>)[key]);
        }
        break;
      default:
        bytes += 8;
    }
  }
  return bytes;
}
