/** Runs one load phase in a worker thread (bench/loadgen.mjs) and summarizes it. */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Worker } from "node:worker_threads";

export interface LoadSpec {
  host: string;
  port: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  headers: Record<string, string>;
  mode: "get" | "create";
  /** GET mode: request paths, cycled through in order. */
  paths?: string[];
  /** Create mode: POST target; each request gets a unique email. */
  create?: { path: string; workspaceId: string; tag: string };
  /**
   * GET mode: a label for each of `paths` (e.g. the kind of query). The phase's figures are
   * also given per label (`by_group`), from the same requests.
   */
  groups?: string[];
}

interface LoadResult {
  latencies: Float64Array;
  /** GET mode: the index in `paths` of each latency's request. */
  pathIndices: Int32Array;
  statusCounts: Record<string, number>;
  errors: number;
  errorSamples: string[];
  warmupRequests: number;
  warmupErrors: number;
  completedInWindow: number;
  windowMs: number;
  drainMs: number;
  bytes: number;
}

export interface PhaseStats {
  /** Requests started inside the measurement window (all of them completed). */
  requests: number;
  /** Responses completed inside the window, per second. */
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  /** Non-200 responses and network errors among `requests`. */
  errors: number;
  /** Failures during warm-up (not in `errors`). */
  warmup_errors: number;
  status_counts: Record<string, number>;
  error_samples: string[];
  /** Event-loop delay of this (the server's) thread during the window. */
  server_loop_delay_p99_ms: number;
  /** CPU of this whole process (server thread, load-generator thread, GC) per wall-clock second. */
  process_cpu_cores: number;
  /**
   * With `groups`: each label's requests' percentiles, and how many of the phase's slowest
   * 1 % (at or above its p99) it had.
   */
  by_group?: Record<string, GroupStats>;
}

export interface GroupStats {
  requests: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  in_slowest_1pct: number;
}

/** A numeric command-line option (underscores allowed: 10_000), or `fallback` when absent. */
export function numberArg(value: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`--${name} must be a number between ${min} and ${max}`);
  return n;
}

export function note(message: string) {
  process.stderr.write(`[bench] ${message}\n`);
}

export async function runLoad(label: string, spec: LoadSpec): Promise<PhaseStats> {
  note(`${label}: ${spec.concurrency} concurrent, ${spec.warmupMs / 1000} s warm-up + ${spec.durationMs / 1000} s`);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  let cpuAtWindow: NodeJS.CpuUsage | null = null;
  let wallAtWindow = 0;
  let cpuCores = 0;
  const windowTimer = setTimeout(() => {
    loopDelay.enable();
    cpuAtWindow = process.cpuUsage();
    wallAtWindow = performance.now();
  }, spec.warmupMs);
  const endTimer = setTimeout(() => {
    loopDelay.disable();
    if (!cpuAtWindow) return;
    const used = process.cpuUsage(cpuAtWindow);
    cpuCores = (used.user + used.system) / 1000 / (performance.now() - wallAtWindow);
  }, spec.warmupMs + spec.durationMs);

  const { groups, ...workerSpec } = spec;
  const worker = new Worker(new URL("./loadgen.mjs", import.meta.url), { workerData: workerSpec });
  try {
    const result = await new Promise<LoadResult>((resolvePromise, reject) => {
      worker.once("message", (message: { ok: true; result: LoadResult } | { ok: false; error: string }) => {
        if (message.ok) resolvePromise(message.result);
        else reject(new Error(`load generator failed: ${message.error}`));
      });
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`load generator exited with code ${code}`)));
    });
    const sorted = result.latencies.slice().sort();
    const stats: PhaseStats = {
      requests: sorted.length,
      rps: round((result.completedInWindow * 1000) / result.windowMs, 1),
      p50_ms: round(percentile(sorted, 50)),
      p90_ms: round(percentile(sorted, 90)),
      p99_ms: round(percentile(sorted, 99)),
      max_ms: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN),
      mean_ms: round(sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length)),
      errors: result.errors,
      warmup_errors: result.warmupErrors,
      status_counts: result.statusCounts,
      error_samples: result.errorSamples,
      server_loop_delay_p99_ms: round(loopDelay.percentile(99) / 1e6),
      process_cpu_cores: round(cpuCores),
      ...(groups ? { by_group: groupStats(result, groups, percentile(sorted, 99)) } : {}),
    };
    note(
      `${label}: ${stats.requests} requests, ${stats.rps} req/s, p50 ${stats.p50_ms} ms, p99 ${stats.p99_ms} ms, ` +
        `max ${stats.max_ms} ms, errors ${stats.errors}${result.warmupErrors ? ` (+${result.warmupErrors} in warm-up)` : ""}, ` +
        `process CPU ${stats.process_cpu_cores} cores, loop delay p99 ${stats.server_loop_delay_p99_ms} ms`,
    );
    for (const [group, g] of Object.entries(stats.by_group ?? {}))
      note(
        `${label}: ${group}: ${g.requests} requests, p50 ${g.p50_ms} ms, p99 ${g.p99_ms} ms, max ${g.max_ms} ms, ${g.in_slowest_1pct} in the slowest 1 %`,
      );
    for (const sample of result.errorSamples) note(`${label}: error sample: ${sample}`);
    return stats;
  } finally {
    clearTimeout(windowTimer);
    clearTimeout(endTimer);
    loopDelay.disable();
    await worker.terminate();
  }
}

function groupStats(result: LoadResult, groups: string[], p99: number): Record<string, GroupStats> {
  const latencies = new Map<string, number[]>();
  for (const [i, ms] of result.latencies.entries()) {
    const group = groups[result.pathIndices[i]!] ?? "?";
    const values = latencies.get(group);
    if (values) values.push(ms);
    else latencies.set(group, [ms]);
  }
  return Object.fromEntries(
    [...latencies].map(([group, values]) => {
      const sorted = values.sort((a, b) => a - b);
      const stats: GroupStats = {
        requests: sorted.length,
        p50_ms: round(percentile(sorted, 50)),
        p99_ms: round(percentile(sorted, 99)),
        max_ms: round(sorted[sorted.length - 1]!),
        in_slowest_1pct: sorted.filter((ms) => ms >= p99).length,
      };
      return [group, stats];
    }),
  );
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}
