import { LRUCache } from "lru-cache";
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
  private readonly versions = new LRUCache<string, number>({ max: 100_000 });
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
    size: number,
  ): void {
    if (!this.l1) return;
    // A change learned of meanwhile makes this value stale; keep the newer one.
    if (version !== this.version(workspaceId)) return;
    const l1Key = `${namespace}|${workspaceId}|${key}`;
    this.l1.set(l1Key, { value, computedAt, version, workspaceId, size: size * 2 + 200 });
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
  }

  entriesOf(workspaceId: string): number {
    return this.byWorkspace.get(workspaceId)?.size ?? 0;
  }

  /** Bytes held, all workspaces. */
  get bytes(): number {
    return this.l1?.calculatedSize ?? 0;
  }
}
