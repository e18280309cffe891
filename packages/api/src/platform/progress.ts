import type { WorkspaceRole } from "@rapport/core";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Clock } from "../clock";
import type { Logger } from "../logger";

/**
 * Progress of long jobs (exports, warm-ups, imports, syncs) for the people waiting on
 * them. A job publishes `{ done, total, stage }`; readers get a snapshot (`get`) or
 * follow it (`watch`) until it ends. Progress is a state, not a log: a watcher only
 * ever holds the newest snapshot, so a slow reader costs no memory.
 *
 * With Redis the snapshot is a key (kept a day) and every change is published on one
 * channel every instance listens to, so a job on a worker reaches a watcher on any API
 * instance. Without Redis both live in this process, which is then the only one.
 */

type ProgressState = "queued" | "running" | "completed" | "failed";

/** At most this many ids in a summary: the snapshot is stored, published and sent whole. */
export const SUMMARY_IDS_LIMIT = 1_000;

/**
 * What a completed job tells beyond its count (a bulk operation: `done` counts what it walked,
 * not what it changed). Checked when the job completes and when a snapshot is read back from
 * Redis, so a reader gets this shape or none.
 */
const jobSummarySchema = z.strictObject({
  /** How many it changed. */
  changed: z.number().int().nonnegative(),
  /** How many it refused for another reason (e.g. a restore whose email is taken). */
  skipped: z.number().int().nonnegative(),
  /** How many it left out because their processing is restricted (GDPR Art. 18). */
  restricted: z.number().int().nonnegative(),
  /** The first SUMMARY_IDS_LIMIT of them (in id order); `restricted` is their total. */
  restrictedIds: z.array(z.uuid()).max(SUMMARY_IDS_LIMIT),
});
export type JobSummary = z.infer<typeof jobSummarySchema>;

/** Who may read a job's progress: its user, or a workspace's members from `minRole` up. */
export type ProgressScope = { userId: string } | { workspaceId: string; minRole: WorkspaceRole };

export interface JobProgress {
  jobId: string;
  /** What runs, e.g. "gdpr.export". */
  kind: string;
  state: ProgressState;
  /** The step it is at, e.g. "queued", "writing", "done". */
  stage: string;
  done: number;
  /** Null while unknown. */
  total: number | null;
  /** 0–100; 100 only once completed. */
  percent: number;
  /** Seconds left at the rate so far; null until that can be told. */
  etaSec: number | null;
  /** Why it failed (a fixed, non-personal text). */
  error: string | null;
  startedAt: Date;
  updatedAt: Date;
  /** Increases with every change: a reader keeps the highest it has seen. */
  seq: number;
  /** Set by jobs that report one, once completed (see jobSummarySchema). */
  summary?: JobSummary;
}

interface StoredProgress {
  scope: ProgressScope;
  progress: JobProgress;
}

/** Kept this long after the last change: long enough to come back to a finished export. */
const TTL_SEC = 24 * 60 * 60;
/** At most one write per job this often while it runs (the last one always goes out). */
const MIN_INTERVAL_MS = 200;
/** Without a change, a watcher re-reads the snapshot this often (a broadcast may be lost). */
const REREAD_MS = 5_000;
const MEMORY_LIMIT = 10_000;
const CHANNEL = "progress";

const isTerminal = (state: ProgressState) => state === "completed" || state === "failed";

interface ProgressStore {
  get(jobId: string): Promise<StoredProgress | null>;
  /** Writes the snapshot and tells every instance's watchers. */
  put(stored: StoredProgress): Promise<void>;
  /** Drops every job scoped to the workspace (it was deleted: nothing may name it any more). */
  forgetWorkspace(workspaceId: string): Promise<void>;
}

function memoryStore(deliver: (stored: StoredProgress) => void, clock: Clock): ProgressStore {
  const entries = new Map<string, { stored: StoredProgress; expiresAt: number }>();
  return {
    async get(jobId) {
      const entry = entries.get(jobId);
      if (!entry || entry.expiresAt <= clock.now().getTime()) return null;
      return entry.stored;
    },
    async put(stored) {
      entries.delete(stored.progress.jobId);
      entries.set(stored.progress.jobId, { stored, expiresAt: clock.now().getTime() + TTL_SEC * 1_000 });
      // Oldest first in insertion order: the map stays bounded however many jobs ran.
      for (const key of entries.keys()) {
        if (entries.size <= MEMORY_LIMIT) break;
        entries.delete(key);
      }
      deliver(stored);
    },
    async forgetWorkspace(workspaceId) {
      for (const [jobId, entry] of entries)
        if ("workspaceId" in entry.stored.scope && entry.stored.scope.workspaceId === workspaceId)
          entries.delete(jobId);
    },
  };
}

function redisStore(command: Redis, prefix: string): ProgressStore {
  const key = (jobId: string) => `${prefix}progress:${jobId}`;
  // The jobs of each workspace, so a deleted workspace's can be found (job ids hold no colon).
  const workspaceKey = (workspaceId: string) => `${prefix}progress:workspace:${workspaceId}`;
  return {
    async get(jobId) {
      const raw = await command.get(key(jobId));
      return raw ? revive(raw) : null;
    },
    async put(stored) {
      const raw = JSON.stringify(stored);
      const multi = command.multi().set(key(stored.progress.jobId), raw, "EX", TTL_SEC);
      if ("workspaceId" in stored.scope)
        multi
          .sadd(workspaceKey(stored.scope.workspaceId), stored.progress.jobId)
          .expire(workspaceKey(stored.scope.workspaceId), TTL_SEC);
      await multi.publish(`${prefix}${CHANNEL}`, raw).exec();
    },
    async forgetWorkspace(workspaceId) {
      const jobIds = await command.smembers(workspaceKey(workspaceId));
      await command.del(workspaceKey(workspaceId), ...jobIds.map(key));
    },
  };
}

function revive(raw: string): StoredProgress {
  const stored = JSON.parse(raw) as StoredProgress & {
    progress: JobProgress & { startedAt: string; updatedAt: string };
  };
  const { summary, ...progress } = stored.progress;
  const checked = summary === undefined ? undefined : jobSummarySchema.safeParse(summary);
  return {
    scope: stored.scope,
    progress: {
      ...progress,
      // A summary not of this shape (another version's) is left out rather than handed on.
      ...(checked?.success ? { summary: checked.data } : {}),
      startedAt: new Date(progress.startedAt),
      updatedAt: new Date(progress.updatedAt),
    },
  };
}

interface Update {
  done: number;
  total?: number | null;
  stage?: string;
}

/** What a running job holds: `update` as often as it likes; `complete` or `fail` at the end. */
export class ProgressReporter {
  private current: JobProgress;
  private pending = false;
  private timer: NodeJS.Timeout | null = null;
  private lastWriteMs = 0;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly tracker: ProgressTracker,
    private readonly scope: ProgressScope,
    initial: JobProgress,
  ) {
    this.current = initial;
  }

  get snapshot(): JobProgress {
    return this.current;
  }

  /** Throttled; never throws (progress is advisory: a failed write is logged, the job goes on). */
  update(update: Update): void {
    this.change({ state: "running", ...update });
    const now = Date.now();
    if (now - this.lastWriteMs >= MIN_INTERVAL_MS) this.write();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.write(), MIN_INTERVAL_MS - (now - this.lastWriteMs));
      this.timer.unref();
    }
  }

  /** The job finished: 100 %, and watchers stop. `summary` (checked here: throws if malformed) is what it reports. */
  complete(stage = "done", summary?: JobSummary): Promise<void> {
    const total = this.current.total ?? this.current.done;
    this.change({
      state: "completed",
      stage,
      done: total,
      total,
      ...(summary ? { summary: jobSummarySchema.parse(summary) } : {}),
    });
    this.write();
    return this.writes;
  }

  /** The job stopped for good; `error` is shown to the user (fixed text, nothing personal). */
  fail(error: string, stage = "failed"): Promise<void> {
    this.change({ state: "failed", stage, error });
    this.write();
    return this.writes;
  }

  /** Waits for the writes so far (e.g. before a job's result is reported). */
  flush(): Promise<void> {
    if (this.pending) this.write();
    return this.writes;
  }

  private change(change: Partial<JobProgress> & { done?: number }): void {
    const now = this.tracker.now();
    const next = { ...this.current, ...change, updatedAt: now, seq: this.current.seq + 1 };
    next.total = next.total ?? null;
    next.percent =
      next.state === "completed"
        ? 100
        : next.total && next.total > 0
          ? Math.min(99, Math.floor((next.done / next.total) * 100))
          : 0;
    const elapsedSec = (now.getTime() - next.startedAt.getTime()) / 1_000;
    next.etaSec =
      next.state === "running" && next.total && next.done > 0 && elapsedSec > 0
        ? Math.max(0, Math.round((elapsedSec / next.done) * (next.total - next.done)))
        : next.state === "completed"
          ? 0
          : null;
    this.current = next;
    this.pending = true;
  }

  private write(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending) return;
    this.pending = false;
    this.lastWriteMs = Date.now();
    const stored = { scope: this.scope, progress: this.current };
    this.writes = this.writes.then(() => this.tracker.put(stored));
  }
}

/** The one progress channel of this instance (see the file comment). */
export class ProgressTracker {
  private readonly store: ProgressStore;
  private readonly watchers = new Map<string, Set<(progress: JobProgress) => void>>();
  private readonly channel: string;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    redis: { command: Redis; prefix: string } | null,
  ) {
    this.store = redis ? redisStore(redis.command, redis.prefix) : memoryStore((s) => this.deliver(s), clock);
    this.channel = `${redis?.prefix ?? ""}${CHANNEL}`;
  }

  now(): Date {
    return this.clock.now();
  }

  /** The Redis channel changes are published on (the runtime subscribes and hands them to `received`). */
  get redisChannel(): string {
    return this.channel;
  }

  /** A change published by some instance. */
  received(message: string): void {
    try {
      this.deliver(revive(message));
    } catch (error) {
      this.log.warn({ err: error }, "ignored malformed progress message");
    }
  }

  /**
   * Starts (or restarts, e.g. on a retry) a job's progress and returns its reporter.
   * Call it when the job is queued (`state: "queued"`), so a watcher opened right after
   * the request finds it, and again when it starts running.
   */
  async begin(
    jobId: string,
    init: { kind: string; scope: ProgressScope; state?: "queued" | "running"; stage?: string; total?: number | null },
  ): Promise<ProgressReporter> {
    const previous = await this.get(jobId).catch(() => null);
    const now = this.clock.now();
    const state = init.state ?? "running";
    const progress: JobProgress = {
      jobId,
      kind: init.kind,
      state,
      stage: init.stage ?? state,
      done: 0,
      total: init.total ?? null,
      percent: 0,
      etaSec: null,
      error: null,
      startedAt: now,
      updatedAt: now,
      seq: (previous?.progress.seq ?? 0) + 1,
    };
    const reporter = new ProgressReporter(this, init.scope, progress);
    await this.put({ scope: init.scope, progress });
    return reporter;
  }

  get(jobId: string): Promise<StoredProgress | null> {
    return this.store.get(jobId);
  }

  /** A deleted workspace: its jobs' progress goes too (throws while Redis is down; the caller retries). */
  forgetWorkspace(workspaceId: string): Promise<void> {
    return this.store.forgetWorkspace(workspaceId);
  }

  /** Used by reporters: a failed write is logged, never thrown into the job. */
  async put(stored: StoredProgress): Promise<void> {
    try {
      await this.store.put(stored);
    } catch (error) {
      this.log.warn({ err: error, jobId: stored.progress.jobId }, "job progress not published");
    }
  }

  /**
   * The job's snapshot now, then each change, until it completes or fails (or `signal`
   * aborts). Registers before reading, so no change between the two is missed.
   */
  async *watch(jobId: string, signal?: AbortSignal): AsyncGenerator<JobProgress, void> {
    let latest: JobProgress | null = null;
    let wake: (() => void) | null = null;
    const listener = (progress: JobProgress) => {
      if (!latest || progress.seq > latest.seq) latest = progress;
      wake?.();
    };
    const abort = () => wake?.();
    let set = this.watchers.get(jobId);
    if (!set) this.watchers.set(jobId, (set = new Set()));
    set.add(listener);
    signal?.addEventListener("abort", abort, { once: true });
    try {
      const stored = await this.get(jobId);
      if (stored) listener(stored.progress);
      let sent = 0;
      while (!signal?.aborted) {
        const current = latest as JobProgress | null;
        if (current && current.seq > sent) {
          sent = current.seq;
          yield current;
          if (isTerminal(current.state)) return;
          continue;
        }
        const timedOut = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), REREAD_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        wake = null;
        if (timedOut) {
          const again = await this.get(jobId);
          if (again) listener(again.progress);
        }
      }
    } finally {
      signal?.removeEventListener("abort", abort);
      set.delete(listener);
      if (set.size === 0) this.watchers.delete(jobId);
    }
  }

  private deliver(stored: StoredProgress): void {
    for (const listener of this.watchers.get(stored.progress.jobId) ?? []) listener(stored.progress);
  }
}
