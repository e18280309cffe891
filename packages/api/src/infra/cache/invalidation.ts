import { boundedCache } from "../../platform/bounded-cache";
import type { CommittedEvent, DomainEvent } from "../../platform/events/types";
import type { WorkspaceChanges } from "./fence";
import { CacheUnavailableError } from "./redis";
import { cacheScripts, pipelineBump } from "./scripts";
import { redisFailed, type CacheParts } from "./parts";

interface PendingChange {
  eventIds: number[];
  /** The local version right after this change was applied. */
  version: number;
}

const SWEEP_DELAY_MS = 5_000;
/**
 * How long a change heard of may wait for other changes before its bump goes to Redis with
 * theirs. Nothing that reads Redis waits for it: a read or write of the workspace's L2
 * entries sends the waiting bumps at once (`confirmed`), and the change is pending (its
 * L2 entries unused here) until Redis confirms it. What the window saves is Redis work:
 * every instance hears every commit, so without it each ran one script per commit.
 */
const BUMP_WINDOW_MS = 50;
/** A bump with more event ids than this bumps unconditionally (its arguments stay small). */
const MAX_IDS_PER_BUMP = 2_000;
const MAX_PENDING_PER_WORKSPACE = 1_000;
const SEEN_EVENTS = 50_000;

/** Contact and interaction changes are what cached (derived) data is computed from. */
function invalidates<E extends Pick<DomainEvent, "workspaceId" | "type">>(
  event: E,
): event is E & { workspaceId: string } {
  return !!event.workspaceId && (event.type.startsWith("contact.") || event.type.startsWith("interaction."));
}

/** The ids of the events that invalidate, per workspace. */
function invalidatingByWorkspace(events: readonly Pick<DomainEvent, "id" | "workspaceId" | "type">[]) {
  const byWorkspace = new Map<string, number[]>();
  for (const event of events) {
    if (!invalidates(event)) continue;
    const ids = byWorkspace.get(event.workspaceId);
    if (ids) ids.push(event.id);
    else byWorkspace.set(event.workspaceId, [event.id]);
  }
  return byWorkspace;
}

/**
 * Invalidation: a workspace's generation (the number every Redis key of it is
 * stored under) is bumped, idempotently per event, by every instance that sees a
 * change and by the durable consumer; manual invalidation bumps it too and tells
 * the other instances over pub/sub (invalidation only, never values). Old
 * generations expire by TTL or are swept in the background with SCAN + UNLINK.
 *
 * Every instance bumps the generation itself for each change it hears of (commit
 * wake-up, bus event or fence report), so the generation it then holds (local-tier.ts) is
 * known to include every change it has heard of: reading Redis under it is one
 * GET. Until Redis confirms such a bump the change stays pending, and the
 * workspace's Redis entries are neither read nor written here.
 *
 * The bumps are coalesced: the changes heard within BUMP_WINDOW_MS (or until something
 * needs the workspace's Redis entries, whichever comes first) go to Redis together, one
 * bump per workspace with all their event ids, every workspace in one round trip.
 */
export class CacheInvalidation {
  private readonly pending = new Map<string, PendingChange[]>();
  private readonly overflowed = new Set<string>();
  private readonly seenEvents = boundedCache<number, true>(SEEN_EVENTS);
  /** Events the fence has already reported (pipelined probes may report one twice). */
  private readonly fencedEvents = boundedCache<number, true>(SEEN_EVENTS);
  private readonly sweeps = new Map<string, NodeJS.Timeout>();
  private readonly listeners = new Set<(workspaceId: string) => void>();
  private readonly changeListeners = new Set<(workspaceId: string, eventIds: readonly number[]) => void>();
  /** Bumps under way per workspace (each bounded by the Redis timeout, or refused at once while it is down). */
  private readonly confirming = new Map<string, Set<Promise<void>>>();
  /** Events heard on the bus in this turn, per workspace, for one bump each (onEvent). */
  private readonly heard = new Map<string, number[]>();
  /** Pending changes whose bump has not been sent yet, per workspace (flushBumps). */
  private unsent = new Map<string, Set<PendingChange>>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(private readonly parts: CacheParts) {}

  close(): void {
    for (const timer of this.sweeps.values()) clearTimeout(timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  /** The workspace's current generation (initialised on first use). */
  async generation(workspaceId: string): Promise<number> {
    const { keys, redis } = this.parts;
    const parts = keys.dataParts("rec", workspaceId, "-");
    const [generation] = await redis.run("generation", (client) =>
      cacheScripts(client).rapportCacheRead(keys.generation(workspaceId), parts[0], parts[1], "", "", "", "0"),
    );
    const parsed = Number(generation);
    if (!Number.isSafeInteger(parsed)) throw new CacheUnavailableError("unexpected reply from the cache's Redis");
    return parsed;
  }

  /** Called with a workspace id after a manual invalidation (here or on another instance). */
  onInvalidate(listener: (workspaceId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called for every change heard of (fence or bus), once per event, after the local entries went. */
  onChange(listener: (workspaceId: string, eventIds: readonly number[]) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Changes of the workspace heard here that Redis has not confirmed yet (its L2 entries are not to be trusted). */
  hasPending(workspaceId: string): boolean {
    return this.overflowed.has(workspaceId) || (this.pending.get(workspaceId)?.length ?? 0) > 0;
  }

  /** Changes reported by the fence: invalidate locally now, bump the generation in Redis (idempotently) soon. */
  applyChanges(changes: Map<string, WorkspaceChanges>): void {
    for (const [workspaceId, change] of changes) {
      const eventIds = change.eventIds.filter((id) => !this.fencedEvents.has(id));
      if (eventIds.length === 0) continue;
      for (const id of eventIds) this.fencedEvents.set(id, true);
      this.changed(workspaceId, eventIds);
    }
  }

  /** The events a commit's wake-up names (this instance's commit, or another's through Redis). */
  applyCommitted(events: readonly CommittedEvent[]): void {
    for (const [workspaceId, ids] of invalidatingByWorkspace(events)) this.changed(workspaceId, ids);
  }

  /** A change heard of (commit, bus event or fence): local entries go now, the Redis generation moves (idempotently) next. */
  private changed(workspaceId: string, eventIds: number[]): void {
    const fresh = eventIds.filter((id) => !this.seenEvents.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) this.seenEvents.set(id, true);
    const { local, redis } = this.parts;
    local.bump(workspaceId);
    for (const listener of this.changeListeners) {
      try {
        listener(workspaceId, fresh);
      } catch (error) {
        this.parts.log.error({ err: error }, "cache change listener failed");
      }
    }
    if (!redis.configured) return;
    const list = this.pending.get(workspaceId) ?? [];
    const entry: PendingChange = { eventIds, version: local.version(workspaceId) };
    if (list.length >= MAX_PENDING_PER_WORKSPACE) {
      // Redis has been away for a long while: one unconditional bump after it returns covers them all.
      this.overflowed.add(workspaceId);
      this.pending.set(workspaceId, []);
    } else {
      list.push(entry);
      this.pending.set(workspaceId, list);
    }
    this.queueBump(workspaceId, entry);
  }

  /**
   * Resolves once the bumps under way for the workspace have succeeded or failed (null: none).
   * Bumps still waiting for the window are sent now: a reader never waits for the window.
   */
  confirmed(workspaceId: string): Promise<unknown> | null {
    if (this.unsent.has(workspaceId)) this.flushBumps();
    const set = this.confirming.get(workspaceId);
    return set && set.size > 0 ? Promise.all(set) : null;
  }

  private track(workspaceId: string, promise: Promise<void>): void {
    let set = this.confirming.get(workspaceId);
    if (!set) this.confirming.set(workspaceId, (set = new Set()));
    set.add(promise);
    void promise.finally(() => {
      set.delete(promise);
      if (set.size === 0 && this.confirming.get(workspaceId) === set) this.confirming.delete(workspaceId);
    });
  }

  /** The change's bump goes out with the others heard within the window (or sooner: confirmed). */
  private queueBump(workspaceId: string, entry: PendingChange): void {
    let entries = this.unsent.get(workspaceId);
    if (!entries) this.unsent.set(workspaceId, (entries = new Set()));
    entries.add(entry);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flushBumps(), BUMP_WINDOW_MS);
    this.flushTimer.unref();
  }

  /** Sends every unsent bump: one per workspace, all workspaces in one round trip. */
  private flushBumps(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const batch = this.unsent;
    if (batch.size === 0) return;
    this.unsent = new Map();
    const sent = this.confirmBumps(batch);
    for (const workspaceId of batch.keys()) this.track(workspaceId, sent);
  }

  private async confirmBumps(batch: Map<string, Set<PendingChange>>): Promise<void> {
    const bumps = new Map<string, number[]>();
    for (const [workspaceId, entries] of batch) {
      const eventIds = [...entries].flatMap((entry) => entry.eventIds);
      bumps.set(workspaceId, eventIds.length > MAX_IDS_PER_BUMP ? [] : eventIds);
    }
    let generations: Map<string, number>;
    try {
      generations = await this.bumpMany(bumps);
    } catch {
      // Kept pending: the workspace's Redis entries stay unused here until the retry after recovery.
      return;
    }
    for (const [workspaceId, entries] of batch) {
      const generation = generations.get(workspaceId);
      // Its bump alone failed (the others' went through): kept pending, as above.
      if (generation === undefined) continue;
      const list = this.pending.get(workspaceId);
      if (list) {
        const left = list.filter((entry) => !entries.has(entry));
        if (left.length === 0) this.pending.delete(workspaceId);
        else this.pending.set(workspaceId, left);
      }
      // The last change heard of is confirmed: this generation includes everything heard so far.
      let last: PendingChange | undefined;
      for (const entry of entries) if (!last || entry.version > last.version) last = entry;
      if (last && !this.hasPending(workspaceId)) this.parts.local.setGeneration(workspaceId, last.version, generation);
    }
  }

  /**
   * One bump per workspace (`bump`), all in one round trip. Throws if Redis is unavailable.
   * Returns each workspace's generation after its bump; one whose bump failed has none (one
   * workspace's failure keeps only that one's changes pending).
   */
  private async bumpMany(bumps: Map<string, number[]>): Promise<Map<string, number>> {
    const generations = new Map<string, number>();
    if (bumps.size === 1) {
      for (const [workspaceId, eventIds] of bumps) generations.set(workspaceId, await this.bump(workspaceId, eventIds));
      return generations;
    }
    const { keys, redis } = this.parts;
    if (!redis.raw) throw new CacheUnavailableError("cache Redis not configured");
    const order = [...bumps];
    const replies = await redis.pipelineSettled("bump", (pipeline) => {
      for (const [workspaceId, eventIds] of order)
        pipelineBump(pipeline, keys.generation(workspaceId), keys.seen(workspaceId), eventIds.map(String));
    });
    order.forEach(([workspaceId], i) => {
      const [error, reply] = replies[i] ?? [new Error("no reply"), null];
      if (error) return;
      const [generation, changed] = reply as [number, number];
      if (changed) this.scheduleSweep(workspaceId);
      generations.set(workspaceId, Number(generation));
    });
    return generations;
  }

  /** Bumps the generation once for these events (or unconditionally with none). Throws if Redis is unavailable. */
  async bump(workspaceId: string, eventIds: number[]): Promise<number> {
    const { keys, redis } = this.parts;
    if (!redis.raw) throw new CacheUnavailableError("cache Redis not configured");
    const [generation, changed] = await redis.run("bump", (client) =>
      cacheScripts(client).rapportCacheBump(
        keys.generation(workspaceId),
        keys.seen(workspaceId),
        ...eventIds.map(String),
      ),
    );
    if (changed) this.scheduleSweep(workspaceId);
    return Number(generation);
  }

  /** Redis answers again: bump what was pending. */
  recovered(): void {
    for (const workspaceId of [...this.overflowed]) {
      this.bump(workspaceId, []).then(
        () => {
          this.overflowed.delete(workspaceId);
          // Its version moves so that nothing derived before is stored under the new generation.
          this.parts.local.bump(workspaceId);
        },
        () => {},
      );
    }
    for (const [workspaceId, list] of this.pending) for (const entry of list) this.queueBump(workspaceId, entry);
    this.flushBumps();
  }

  /**
   * Bus listener (every instance hears every event): evict this instance's entries early.
   * The Redis bump waits for the end of the bus's synchronous delivery, so the events of one
   * publish (an import's batch is a thousand) cost one bump per workspace, not one each.
   */
  onEvent(event: DomainEvent): void {
    if (!invalidates(event) || this.seenEvents.has(event.id)) return;
    this.parts.local.bump(event.workspaceId);
    let ids = this.heard.get(event.workspaceId);
    if (!ids) {
      if (this.heard.size === 0) queueMicrotask(() => this.changedHeard());
      this.heard.set(event.workspaceId, (ids = []));
    }
    ids.push(event.id);
  }

  private changedHeard(): void {
    const heard = [...this.heard];
    this.heard.clear();
    for (const [workspaceId, eventIds] of heard) this.changed(workspaceId, eventIds);
  }

  /** The durable consumer's batch: one bump per workspace, one round trip. Throws while Redis is unavailable (the dispatcher retries). */
  async bumpForEvents(events: DomainEvent[]): Promise<void> {
    if (!this.parts.redis.configured) return;
    const bumps = invalidatingByWorkspace(events);
    for (const [workspaceId, ids] of bumps) if (ids.length > MAX_IDS_PER_BUMP) bumps.set(workspaceId, []);
    if (bumps.size > 0) await this.bumpMany(bumps);
  }

  /** Bumps the generation (O(1)), tells the other instances, then sweeps the old keys. */
  async invalidateWorkspace(workspaceId: string): Promise<{ invalidatedKeys: number; status: "ok" | "degraded" }> {
    const { keys, redis, local, instanceId } = this.parts;
    const dropped = local.bump(workspaceId);
    const version = local.version(workspaceId);
    this.notifyInvalidated(workspaceId);
    // No Redis configured: this process's memory is the whole cache, and it is empty now.
    if (!redis.configured) return { invalidatedKeys: dropped, status: "ok" };
    try {
      const generation = await this.bump(workspaceId, []);
      if (!this.hasPending(workspaceId)) local.setGeneration(workspaceId, version, generation);
      await redis.publish(keys.channel(), JSON.stringify({ type: "invalidate", workspaceId, from: instanceId }));
      const swept = await this.sweep(workspaceId, generation);
      return { invalidatedKeys: swept, status: "ok" };
    } catch (error) {
      redisFailed(this.parts, workspaceId, error);
      return { invalidatedKeys: dropped, status: "degraded" };
    }
  }

  /** A deleted workspace: forgets everything this instance holds or tracks of it. */
  forgetLocally(workspaceId: string): void {
    this.parts.local.forget(workspaceId);
    this.pending.delete(workspaceId);
    this.unsent.delete(workspaceId);
    this.overflowed.delete(workspaceId);
    this.parts.stats.forget(workspaceId);
    const sweep = this.sweeps.get(workspaceId);
    if (sweep) clearTimeout(sweep);
    this.sweeps.delete(workspaceId);
    this.notifyInvalidated(workspaceId);
  }

  /** Removes keys of older generations (and their locks). Returns how many were removed. */
  async sweep(workspaceId: string, currentGeneration: number): Promise<number> {
    const { keys, redis } = this.parts;
    let cursor = "0";
    let removed = 0;
    for (let round = 0; round < 100_000; round++) {
      const [next, batch] = await redis.run("sweep scan", (client) =>
        client.scan(cursor, "MATCH", keys.workspacePattern(workspaceId), "COUNT", 1_000),
      );
      cursor = next;
      const old = batch.filter((full) => {
        const parsed = keys.parseFull(full) ?? keys.parseLock(full);
        return parsed !== null && parsed.workspaceId === workspaceId && parsed.generation < currentGeneration;
      });
      if (old.length > 0) removed += await redis.run("sweep unlink", (client) => client.unlink(...old));
      if (cursor === "0") break;
    }
    return removed;
  }

  /** After a change: sweep the workspace's dead generations a little later (one instance at a time). */
  private scheduleSweep(workspaceId: string): void {
    if (this.sweeps.has(workspaceId)) return;
    const { keys, redis, instanceId } = this.parts;
    const timer = setTimeout(() => {
      this.sweeps.delete(workspaceId);
      void (async () => {
        try {
          const claimed = await redis.run("sweep lock", (client) =>
            client.set(keys.sweepLock(workspaceId), instanceId, "PX", SWEEP_DELAY_MS * 2, "NX"),
          );
          if (claimed !== "OK") return;
          await this.sweep(workspaceId, await this.generation(workspaceId));
        } catch {
          // TTLs remove what a failed sweep leaves.
        }
      })();
    }, SWEEP_DELAY_MS);
    timer.unref();
    this.sweeps.set(workspaceId, timer);
  }

  /** Another instance invalidated, forgot a workspace or deleted a key. */
  onBroadcast(message: string): void {
    try {
      const parsed = JSON.parse(message) as { type: string; workspaceId: string; key?: string; from: string };
      if (parsed.from === this.parts.instanceId) return;
      if (parsed.type === "invalidate") {
        this.parts.local.bump(parsed.workspaceId);
        this.notifyInvalidated(parsed.workspaceId);
      } else if (parsed.type === "forget") {
        this.forgetLocally(parsed.workspaceId);
      } else if (parsed.type === "delete" && parsed.key) {
        this.parts.local.delete(parsed.key);
      }
    } catch (error) {
      this.parts.log.warn({ err: error }, "ignored malformed cache broadcast");
    }
  }

  private notifyInvalidated(workspaceId: string): void {
    for (const listener of this.listeners) {
      try {
        listener(workspaceId);
      } catch (error) {
        this.parts.log.error({ err: error }, "cache invalidation listener failed");
      }
    }
  }
}
