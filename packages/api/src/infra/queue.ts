import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { isDatabaseUnavailable } from "@rapport/db";
import { DelayedError, Queue, Worker, type Job, type JobsOptions } from "bullmq";
import type { Redis, RedisOptions } from "ioredis";
import { safeError, safeErrorMessage, type Logger } from "../logger";

export interface JobContext {
  jobId: string;
  attempt: number;
  log: Logger;
  progress(percent: number): Promise<void>;
}

export interface JobDefinition<T = unknown> {
  name: string;
  handler: (data: T, ctx: JobContext) => Promise<unknown>;
  /** Recurring: `cron` for BullMQ's scheduler, `everyMs` for the in-process driver. */
  schedule?: { cron: string; everyMs: number };
  attempts?: number;
  /**
   * Jobs run at most this many at a time per process, on their own BullMQ queue and worker,
   * so slow jobs of this kind (network calls) never hold the slots other jobs run in.
   */
  concurrency?: number;
}

interface EnqueueOptions {
  /**
   * Makes enqueueing idempotent while the job is waiting, delayed or running: the same id is
   * queued once. A finished job kept under that id (for `status`) is replaced, so a later
   * enqueue with a reused id runs again rather than being dropped.
   */
  jobId?: string;
  /** Run no sooner than this many ms from now. */
  delayMs?: number;
}

/**
 * A job that failed because the database was unreachable (a restart, a failover) is
 * run again after this pause without spending one of its attempts, for as long as an
 * outage plausibly lasts: a restart must not turn queued work into failed jobs.
 */
const DATABASE_RETRY_MS = 2_000;
const DATABASE_RETRIES = 150;

type JobState = "waiting" | "active" | "completed" | "failed" | "delayed" | "unknown";

export interface JobStatus {
  id: string;
  name: string;
  state: JobState;
  progress: number;
  result?: unknown;
  failedReason?: string;
}

export interface JobQueue {
  readonly driver: "bullmq" | "in-process";
  define<T>(definition: JobDefinition<T>): void;
  enqueue<T>(name: string, data: T, options?: EnqueueOptions): Promise<string>;
  /** Many jobs of one kind in one round trip. */
  enqueueMany<T>(name: string, jobs: { data: T; options?: EnqueueOptions }[]): Promise<void>;
  status(jobId: string): Promise<JobStatus | null>;
  /** Removes finished and waiting jobs whose id starts with `jobIdPrefix` (their data too); a running job is left to finish. */
  removeJobs(jobIdPrefix: string): Promise<number>;
  /** Starts processing (worker role) and registers recurring schedules. */
  start(options: { process: boolean }): Promise<void>;
  /** Stops taking jobs and waits for running ones. */
  close(): Promise<void>;
}

const QUEUE_NAME = "rapport";
const KEEP_FINISHED = 10_000;

export function createBullmqQueue(connection: RedisOptions & { url: string }, prefix: string, log: Logger): JobQueue {
  // biome-ignore lint/suspicious/noExplicitAny: one map holds jobs of every payload type; each handler validates its own
  const definitions = new Map<string, JobDefinition<any>>();
  const { url, ...options } = connection;
  const redisOptions = { ...options, ...parseRedisUrl(url) };
  const queue = new Queue(QUEUE_NAME, { connection: redisOptions, prefix: `${prefix}bull` });
  queue.on("error", (error) => log.warn({ err: error.message }, "queue error"));
  // Definitions with their own concurrency get their own queue (named after the job).
  const ownQueues = new Map<string, Queue>();
  const queueOf = (definition: JobDefinition<unknown>): Queue => {
    if (definition.concurrency === undefined) return queue;
    let own = ownQueues.get(definition.name);
    if (!own) {
      own = new Queue(definition.name, { connection: redisOptions, prefix: `${prefix}bull` });
      own.on("error", (error) => log.warn({ err: error.message }, "queue error"));
      ownQueues.set(definition.name, own);
    }
    return own;
  };
  const jobOptions = (definition: JobDefinition<unknown>, opts: EnqueueOptions | undefined): JobsOptions => ({
    jobId: opts?.jobId,
    delay: opts?.delayMs && opts.delayMs > 0 ? Math.round(opts.delayMs) : undefined,
    attempts: definition.attempts ?? 3,
    backoff: { type: "exponential", delay: 1_000 },
    removeOnComplete: { age: 24 * 3600, count: 1_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
  const workers: Worker[] = [];

  return {
    driver: "bullmq",
    define(definition) {
      definitions.set(definition.name, definition);
    },
    async enqueue(name, data, opts) {
      const definition = definitions.get(name);
      if (!definition) throw new Error(`Unknown job ${name}`);
      const target = queueOf(definition);
      const options = jobOptions(definition, opts);
      const job = await target.add(name, data, options);
      await replaceIfFinished(target, name, data, options, job);
      return job.id!;
    },
    async enqueueMany(name, jobs) {
      const definition = definitions.get(name);
      if (!definition) throw new Error(`Unknown job ${name}`);
      if (jobs.length === 0) return;
      const target = queueOf(definition);
      const bulk = jobs.map((job) => ({ name, data: job.data, opts: jobOptions(definition, job.options) }));
      const added = await target.addBulk(bulk);
      await Promise.all(bulk.map((job, i) => replaceIfFinished(target, name, job.data, job.opts, added[i]!)));
    },
    async status(jobId) {
      // State first: a job read before it completes and then found "completed" would have no result yet.
      const state = (await queue.getJobState(jobId)) as string;
      const job = await queue.getJob(jobId);
      if (!job) return null;
      return {
        id: jobId,
        name: job.name,
        state: (["waiting", "active", "completed", "failed", "delayed"].includes(state)
          ? state
          : "unknown") as JobState,
        progress: typeof job.progress === "number" ? job.progress : 0,
        result: job.returnvalue,
        failedReason: job.failedReason,
      };
    },
    async removeJobs(jobIdPrefix) {
      // BullMQ hands out its ioredis connection (typed loosely).
      const client = (await queue.client) as unknown as Redis;
      const keyPrefix = `${prefix}bull:${QUEUE_NAME}:`;
      const ids = new Set<string>();
      let cursor = "0";
      do {
        // Job ids are server-made ("warmup-<uuid>-…"): no glob characters.
        const [next, keys] = await client.scan(cursor, "MATCH", `${keyPrefix}${jobIdPrefix}*`, "COUNT", 1_000);
        cursor = next;
        for (const key of keys) ids.add(key.slice(keyPrefix.length).split(":")[0]!);
      } while (cursor !== "0");
      let removed = 0;
      for (const id of ids) {
        try {
          removed += await queue.remove(id);
        } catch (error) {
          log.warn({ jobId: id, err: error }, "job not removed");
        }
      }
      // The queue's event stream (bounded, for QueueEvents listeners) names the jobs too.
      const stream = `${keyPrefix}events`;
      let start = "-";
      for (let round = 0; round < 1_000; round++) {
        const entries = await client.xrange(stream, start, "+", "COUNT", 1_000);
        const naming = entries
          .filter(([, fields]) => fields.some((field, i) => i % 2 === 1 && field.startsWith(jobIdPrefix)))
          .map(([id]) => id);
        if (naming.length > 0) await client.xdel(stream, ...naming);
        if (entries.length < 1_000) break;
        start = `(${entries[entries.length - 1]![0]}`;
      }
      return removed;
    },
    async start({ process }) {
      for (const definition of definitions.values()) {
        if (definition.schedule) {
          await queue.upsertJobScheduler(
            definition.name,
            { pattern: definition.schedule.cron },
            { name: definition.name, data: {}, opts: { attempts: definition.attempts ?? 3 } },
          );
        }
      }
      if (!process) return;
      const processor = async (job: Job, token?: string) => {
        const definition = definitions.get(job.name);
        if (!definition) throw new Error(`No handler for job ${job.name}`);
        const jobLog = log.child({ job: job.name, jobId: job.id });
        try {
          return await definition.handler(job.data, {
            jobId: job.id!,
            attempt: job.attemptsMade + 1,
            log: jobLog,
            progress: (percent) => job.updateProgress(percent),
          });
        } catch (error) {
          if (isDatabaseUnavailable(error) && token && job.attemptsStarted <= DATABASE_RETRIES) {
            jobLog.warn({ err: safeErrorMessage(error) }, "database unavailable; job will run again");
            await job.moveToDelayed(Date.now() + DATABASE_RETRY_MS, token);
            throw new DelayedError();
          }
          // BullMQ stores the message and stack in Redis for days: never the values a query failed on.
          throw safeError(error);
        }
      };
      const startWorker = (name: string, concurrency: number) => {
        const worker = new Worker(name, processor, { connection: redisOptions, prefix: `${prefix}bull`, concurrency });
        worker.on("failed", (job, error) => log.error({ job: job?.name, jobId: job?.id, err: error }, "job failed"));
        worker.on("error", (error) => log.warn({ err: error.message }, "worker error"));
        workers.push(worker);
      };
      startWorker(QUEUE_NAME, 4);
      for (const definition of definitions.values()) {
        if (definition.concurrency !== undefined) {
          queueOf(definition);
          startWorker(definition.name, definition.concurrency);
        }
      }
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await queue.close();
      await Promise.all([...ownQueues.values()].map((own) => own.close()));
    },
  };
}

/**
 * BullMQ ignores an add whose job id is taken, also by a finished job it keeps for a while
 * (removeOnComplete/removeOnFail): such an enqueue would be dropped without a word. The add
 * was ours when the stored job carries our timestamp; otherwise a finished one is removed
 * and the job added again, and an unfinished one is the same job already queued.
 */
async function replaceIfFinished(
  target: Queue,
  name: string,
  data: unknown,
  options: JobsOptions,
  added: Job,
): Promise<void> {
  if (options.jobId === undefined) return;
  const stored = await target.getJob(options.jobId);
  if (!stored || stored.timestamp === added.timestamp || !stored.finishedOn) return;
  await stored.remove();
  await target.add(name, data, options);
}

function parseRedisUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined,
    tls: parsed.protocol === "rediss:" ? {} : undefined,
  };
}

/**
 * Without Redis, jobs run in this process through the same handlers (like
 * Laravel's `sync` driver, but asynchronous): same retries, no durability.
 */
export function createInProcessQueue(log: Logger): JobQueue {
  // biome-ignore lint/suspicious/noExplicitAny: one map holds jobs of every payload type; each handler validates its own
  const definitions = new Map<string, JobDefinition<any>>();
  const statuses = new Map<string, JobStatus>();
  const running = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  const delayed = new Map<NodeJS.Timeout, () => void>();
  let processing = false;
  let closed = false;
  // Jobs run in the queue's own async context, not the enqueuer's: a job queued from
  // inside a transaction (e.g. by an event consumer) must not count as running in it.
  const ownContext = AsyncLocalStorage.snapshot();

  // Finished jobs are remembered for `status`, the oldest forgotten past a bound (like BullMQ's removeOnComplete).
  const forgetOldest = () => {
    for (const [id, status] of statuses) {
      if (statuses.size <= KEEP_FINISHED) return;
      if (status.state === "completed" || status.state === "failed") statuses.delete(id);
    }
  };

  // biome-ignore lint/suspicious/noExplicitAny: see `definitions`
  const run = (definition: JobDefinition<any>, jobId: string, data: unknown, delayMs = 0) => {
    const status: JobStatus = {
      id: jobId,
      name: definition.name,
      state: delayMs > 0 ? "delayed" : "waiting",
      progress: 0,
    };
    statuses.set(jobId, status);
    const task = ownContext(async () => {
      if (delayMs > 0) {
        // Not durable (nothing here is): whoever queued it finds it again after a restart.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            delayed.delete(timer);
            resolve();
          }, delayMs);
          delayed.set(timer, resolve);
        });
        if (closed) return;
        status.state = "waiting";
      }
      await new Promise((resolve) => setImmediate(resolve));
      const attempts = definition.attempts ?? 3;
      let databaseRetries = 0;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        status.state = "active";
        try {
          status.result = await definition.handler(data, {
            jobId,
            attempt,
            log: log.child({ job: definition.name, jobId }),
            progress: async (percent) => {
              status.progress = percent;
            },
          });
          status.state = "completed";
          status.progress = 100;
          forgetOldest();
          return;
        } catch (error) {
          status.failedReason = safeErrorMessage(error);
          if (isDatabaseUnavailable(error) && databaseRetries < DATABASE_RETRIES && !closed) {
            databaseRetries++;
            attempt--;
            log.warn(
              { job: definition.name, jobId, err: safeErrorMessage(error) },
              "database unavailable; job will run again",
            );
            status.state = "delayed";
            await new Promise((resolve) => setTimeout(resolve, DATABASE_RETRY_MS));
            continue;
          }
          log.error({ job: definition.name, jobId, attempt, err: error }, "job failed");
          if (attempt < attempts && !closed) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 100));
        }
      }
      status.state = "failed";
      forgetOldest();
    });
    running.add(task);
    void task.finally(() => running.delete(task));
  };

  return {
    driver: "in-process",
    define(definition) {
      definitions.set(definition.name, definition);
    },
    async enqueue(name, data, opts) {
      const definition = definitions.get(name);
      if (!definition) throw new Error(`Unknown job ${name}`);
      const jobId = opts?.jobId ?? randomUUID();
      const existing = statuses.get(jobId);
      if (existing && ["waiting", "active", "delayed"].includes(existing.state)) return jobId;
      run(definition, jobId, data, opts?.delayMs);
      return jobId;
    },
    async enqueueMany(name, jobs) {
      for (const job of jobs) await this.enqueue(name, job.data, job.options);
    },
    async status(jobId) {
      return statuses.get(jobId) ?? null;
    },
    async removeJobs(jobIdPrefix) {
      let removed = 0;
      for (const [jobId, status] of statuses) {
        if (jobId.startsWith(jobIdPrefix) && status.state !== "active") {
          statuses.delete(jobId);
          removed++;
        }
      }
      return removed;
    },
    async start({ process }) {
      if (!process || processing) return;
      processing = true;
      for (const definition of definitions.values()) {
        if (!definition.schedule) continue;
        const timer = setInterval(() => run(definition, randomUUID(), {}), definition.schedule.everyMs);
        timer.unref();
        timers.push(timer);
      }
    },
    async close() {
      closed = true;
      for (const timer of timers) clearInterval(timer);
      for (const [timer, resolve] of delayed) {
        clearTimeout(timer);
        resolve();
      }
      await Promise.allSettled([...running]);
    },
  };
}
