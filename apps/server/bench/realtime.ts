/**
 * Live delivery benchmark (`pnpm bench:realtime`; not part of the tests).
 *
 *   pnpm bench:realtime [--subscribers 1000] [--workspaces 10] [--rate 100] [--seconds 60] [--warmup 5] [--no-peer] [--peer-minimal-write] [--relay-times]
 *
 * 1. A throw-away Postgres cluster of the bench's own (initdb + pg_ctl on a free port, durable as
 *    the shared server, with track_commit_timestamp=on; BENCH_ADMIN_DATABASE_URL instead names a
 *    server that already records commit times), in it a throw-away database, a Redis prefix
 *    (bench/env.ts) and --workspaces workspaces of the bench user, and two more API instances in their own processes (`--role api`,
 *    sharing that Postgres and Redis, as in production); the bench's own runtime, which set
 *    this up, stops its event dispatcher. The instances run the build (`node dist/main.js`,
 *    what the image runs; the script builds it first), not the sources through tsx, whose
 *    loader and transformed sources add ~100 MB to each process's RSS.
 * 2. --subscribers activity.live streams (raw SSE over HTTP, as a browser's EventSource),
 *    spread evenly over the workspaces, and each workspace's evenly over the two instances
 *    (the user's cap on streams is raised to that number: one user stands for every member).
 * 3. A warm-up (both systems alike): --warmup seconds of the workload below, every delivery of
 *    it awaited, reported as `warmup` and `peer_warmup` (a freshly started system's latency: its
 *    processes run code not yet optimized) and left out of every other figure. Then the run
 *    measured: --rate contacts.create per second for --seconds, round-robin over the workspaces, each
 *    workspace's alternately through either instance, open-loop (paced by the clock, not by
 *    answers). So half of every event's subscribers are on the other instance than the one that
 *    wrote it: *_same_instance_ms and *_cross_instance_ms split the latency by that.
 *    Each commit is one plain node:http POST on a keep-alive agent (the peer's settings), byte
 *    for byte the request the typed client (@rapport/client, unbatched) sends: same path,
 *    headers (its bearer token, fetch's own) and JSON body (the wire transformer sends input as
 *    is); the answer is parsed for the contact's id, a tRPC error counting as a failed commit
 *    with its message. Through the typed client itself (fetch, its links, the transformer) the
 *    bench process used twice the CPU it used in the peer's phase (10.6 against 5.2 s in 60 s),
 *    and on 2 shared CPUs that is latency for every process measured.
 *    Every subscriber must receive every contact.created of its workspace once:
 *    expected = Σ over workspaces of its subscribers × its events.
 *    Latency (p50_ms, p99_ms) = receipt − the commit: after the run, each event's commit time
 *    as Postgres recorded it (pg_xact_commit_timestamp of the outbox row's tx_id; taken just
 *    before the commit record is written, so it also counts the commit's WAL flush, ~1 ms).
 *    *p99_after_first_second_ms leaves out the events committed in the run's first second
 *    (with --warmup 0, freshly started processes made its deliveries the slowest, ~1 % of a
 *    60 s run's, which is about where p99 falls).
 *    Kept to compare with earlier runs: *_from_tx_start_ms = receipt − the event's created_at
 *    (now(), its transaction's start: counts the whole writing transaction), *_from_answer_ms =
 *    receipt − the commit's answer reaching the bench (after the commit: a lower bound);
 *    Where the tail is: *_first_receipt_ms = per event, its earliest delivery − its commit (what
 *    every subscriber of that event waited at least: the commit's answer, the instance's work
 *    before its first write), *_commit_to_answer_ms = per event, the commit's answer reaching
 *    the bench − its commit (the commit's flush and the writer's answer, the same for both systems).
 *    With --relay-times, to_relay_* = the outbox relay's Redis broadcast of the event reaching
 *    the bench − its commit (outbox visibility + the dispatcher), after_relay_* = receipt −
 *    that broadcast (null without: parsing every broadcast in the bench process is load the
 *    peer's phase does not have, on the CPUs both systems share).
 * 4. Memory: each instance's RSS every second; flat = the last fifth's mean within 10 % (or
 *    20 MB) of the second fifth's. CPU time (user + system, s) over the phase (the commits
 *    and the drain), as every process shares the 2 CPUs: server_cpu_s the instances',
 *    clients_cpu_s the subscribers' client processes', bench_cpu_s the bench process's own
 *    (pacing and sending the commits, tallying receipts; with --relay-times, in Rapport's
 *    phase, also the listener of to_relay_*); peer_* the same for the peer's phase, whose load generator is the same.
 *    postgres_cpu_s (peer_postgres_cpu_s): the bench's own cluster's, from /proc: the postmaster
 *    and its children (backends, parallel workers, WAL writer, checkpointer, autovacuum),
 *    sampled at the phase's start, every second and at its end; each process counts from its
 *    first sample (0 if it started during the phase) to its last. A process that exits between
 *    two samples (a backend whose pool connection idled out, a parallel worker) loses what it
 *    used since its last sample: at most a second's worth. It counts everything the cluster
 *    does meanwhile, the bench's own once-a-second probe included. null with
 *    BENCH_ADMIN_DATABASE_URL (a server other databases may be using).
 * 5. The peer, in the same run: the same workload through Socket.IO with the Redis Streams
 *    adapter (bench/realtime-peer.ts, two processes): clients in per-workspace rooms,
 *    a POST that commits the same change as Rapport's commits (a contact of the same name in the
 *    same workspace, one INSERT into the same contacts table, whose indexes and search trigger
 *    are most of a commit's database work) and emits to the room (the same node:http request and
 *    agent settings as Rapport's commits, without body or token); latency from the same point (the
 *    row's commit time, pg_xact_commit_timestamp of its xmin; from its now() as *_from_tx_start_ms).
 *    --peer-minimal-write: the peer inserts into a table of its own (a bigserial and the room)
 *    instead, the measure before (a tenth of the database's CPU per commit); `peer_write` says which.
 *    BENCH_PEER_NODE_ARGS adds Node options to the peer's processes, as BENCH_WORKER_NODE_ARGS does
 *    to the instances' (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile both alike).
 * 6. The load it ran under: the host's load average, and the age of the oldest open
 *    transaction on the Postgres server (sampled each second): the outbox is read below
 *    it, so a long transaction anywhere on the server (another database's seed, tests)
 *    holds events back from every stream (with the bench's own cluster, only the bench's
 *    transactions are on it).
 *
 * Writes bench-results/realtime.json at the repo root; progress goes to stderr.
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { loadavg } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { createRapportClient } from "@rapport/client";
import { build } from "esbuild";
import { Redis } from "ioredis";
import { startPostgresCluster, type PostgresCluster } from "../test/support/postgres-cluster";
import {
  freePort,
  HOST,
  intArg,
  killedWithBench,
  repoRoot,
  startApiInstance,
  stopChild,
  withBenchEnvironment,
} from "./env";
import { note, percentile, round } from "./load";
import type { ClientsCommand, ClientsReport } from "./realtime-clients";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    subscribers: { type: "string" },
    workspaces: { type: "string" },
    rate: { type: "string" },
    seconds: { type: "string" },
    warmup: { type: "string" },
    "no-peer": { type: "boolean" },
    "peer-minimal-write": { type: "boolean" },
    "relay-times": { type: "boolean" },
    "client-processes": { type: "string" },
  },
});
const SUBSCRIBERS = intArg(args.subscribers, 1_000, "subscribers", 2);
const WORKSPACES = intArg(args.workspaces, 10, "workspaces", 1);
const RATE = intArg(args.rate, 100, "rate", 1);
const SECONDS = intArg(args.seconds, 60, "seconds", 1);
const WARMUP_SECONDS = intArg(args.warmup, 5, "warmup", 0);
const CLIENT_PROCESSES = intArg(args["client-processes"], 4, "client-processes", 1);
/** After the last commit, how long deliveries may still arrive. */
const DRAIN_MS = 15_000;
const RESULTS = join(repoRoot, "bench-results/realtime.json");
const TARGETS = { deliveries: "= expected", p99_ms: 100, p99_vs_peer: "<= peer_p99_ms", memory: "flat" } as const;
/**
 * The instance (0 or 1) of the n-th subscriber or commit: n round-robins over the workspaces,
 * and each workspace's turn alternates between the instances. (n % 2 would put every
 * subscriber of a workspace, and every commit to it, on the same instance with 10 workspaces.)
 */
const instanceOf = (n: number) => Math.floor(n / WORKSPACES) % 2;

const LIVE_ENV = { LIVE_STREAMS_PER_USER: String(Math.min(1_000, SUBSCRIBERS)) };

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : 0;
}

/** A process's parent, start time (clock ticks since boot) and CPU time so far, user + system, in seconds (ticks of 1/100 s). */
function processStat(pid: number): { ppid: number; startedAt: string; cpu: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The fields after the command name, which is in parentheses and may hold spaces: state is [0].
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(fields[1]), startedAt: fields[19]!, cpu: (Number(fields[11]) + Number(fields[12])) / 100 };
}

function cpuSeconds(pid: number): number {
  return processStat(pid).cpu;
}

/**
 * The CPU time so far (seconds) of the postmaster and each of its children, by pid and start
 * time (a pid reused within the phase is another process).
 */
function postgresCpu(postmaster: number): Map<string, number> {
  const cpu = new Map<string, number>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = processStat(pid);
      if (pid === postmaster || stat.ppid === postmaster) cpu.set(`${pid}@${stat.startedAt}`, stat.cpu);
    } catch {
      // Exited since the listing.
    }
  }
  return cpu;
}

/**
 * The keep-alive agent each phase's commits go over: one per phase, the same settings for both
 * systems, so the load generator weighs the same whichever system it drives.
 */
const commitAgent = () => new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One POST over `agent`; answers the status and the body (text). */
function post(
  agent: http.Agent,
  port: number,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      // Ended before its headers went, so Node sets content-length from the body (0 without one).
      { host: HOST, port, path, method: "POST", agent, headers },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/**
 * The headers of the typed client's `contacts.create` (createRapportClient with batch: false:
 * tRPC's httpLink over Node's fetch): the link's content-type and the client's authorization,
 * and what fetch (undici) adds to every request. The server reads user-agent into each
 * request's context, so it is sent as fetch sends it.
 */
const createHeaders = (token: string) => ({
  "content-type": "application/json",
  authorization: `Bearer ${token}`,
  accept: "*/*",
  "accept-language": "*",
  "sec-fetch-mode": "cors",
  "user-agent": "node",
  "accept-encoding": "gzip, deflate",
});

/**
 * The created contact's id from tRPC's answer to `contacts.create`: `{"result":{"data":contact}}`,
 * or `{"error":{"message",…}}` (thrown with its message, as the typed client's TRPCClientError has it).
 */
function createdId(status: number, body: string): string {
  let answer: { result?: { data?: { id?: unknown } }; error?: { message?: unknown } };
  try {
    answer = JSON.parse(body) as typeof answer;
  } catch {
    throw new Error(`answered ${status}: ${body.slice(0, 200)}`);
  }
  if (answer.error) throw new Error(String(answer.error.message ?? `answered ${status}`));
  const id = answer.result?.data?.id;
  if (typeof id !== "string") throw new Error(`answered ${status} without a contact id`);
  return id;
}

/** What the subscribers of one phase received. */
class Tally {
  /** Per delivery: the event (its index in `events`) and when it was received. */
  private readonly receivedEvent: number[] = [];
  private readonly receivedAt: number[] = [];
  /** The events received, in the order first received, and their index. */
  readonly events: string[] = [];
  private readonly eventIndex = new Map<string, number>();
  /** Per event: its transaction's start (created_at, now()), ms since the epoch. */
  private readonly txStartedAt: number[] = [];
  /** Receipt − the transaction's start (counts the whole writing transaction: an upper bound). */
  fromTxStart: number[] = [];
  /** Receipt − the commit's answer (after the commit: a lower bound; negative when the event came first). */
  fromAnswer: number[] = [];
  /** When each commit's answer came. */
  readonly answeredAt = new Map<string, number>();
  /** The instance that wrote each event (see instanceOf). */
  readonly writtenBy = new Map<string, number>();
  /** Per delivery: whether its subscriber is on another instance than the one that wrote the event. */
  private readonly crossed: boolean[] = [];
  /** When the outbox relay's Redis broadcast of each event reached the bench (Rapport only). */
  readonly relayedAt = new Map<string, number>();
  /** Per delivery: receipt − broadcast (each instance's feed read and the streams). */
  afterRelay: number[] = [];
  deliveries = 0;
  duplicates = 0;
  foreign = 0;
  private readonly seen: Set<string>[];
  constructor(
    subscribers: number,
    /** The ids this phase committed, with their workspace. */
    readonly sent: Map<string, string>,
  ) {
    this.seen = Array.from({ length: subscribers }, () => new Set());
  }
  receive(subscriber: number, id: string, workspace: string, createdAt: string, at: number): void {
    if (this.sent.get(id) !== workspace) {
      // Not one of ours (a commit still unanswered is counted once its answer is in).
      if (!this.sent.has(id)) this.pending.push({ subscriber, id, workspace, createdAt, at });
      else this.foreign++;
      return;
    }
    if (this.seen[subscriber]!.has(id)) {
      this.duplicates++;
      return;
    }
    this.seen[subscriber]!.add(id);
    this.deliveries++;
    let index = this.eventIndex.get(id);
    if (index === undefined) {
      index = this.events.length;
      this.events.push(id);
      this.eventIndex.set(id, index);
      this.txStartedAt.push(Date.parse(createdAt));
    }
    this.receivedEvent.push(index);
    this.receivedAt.push(at);
    this.crossed.push(this.writtenBy.get(id) !== instanceOf(subscriber));
    this.fromTxStart.push(at - this.txStartedAt[index]!);
    this.fromAnswer.push(at - (this.answeredAt.get(id) ?? at));
    const relayed = this.relayedAt.get(id);
    if (relayed !== undefined) this.afterRelay.push(at - relayed);
  }
  /**
   * Receipt − commit for every delivery, and broadcast − commit per broadcast event, given each
   * event's commit time (ms since the epoch); `missing` counts deliveries whose commit time is unknown.
   */
  fromCommit(committedAt: Map<string, number>): {
    latencies: number[];
    sameInstance: number[];
    crossInstance: number[];
    afterFirstSecond: number[];
    toRelay: number[];
    firstReceipt: number[];
    commitToAnswer: number[];
    missing: number;
  } {
    const latencies: number[] = [];
    const sameInstance: number[] = [];
    const crossInstance: number[] = [];
    const afterFirstSecond: number[] = [];
    let firstCommit = Number.POSITIVE_INFINITY;
    for (const id of this.sent.keys()) firstCommit = Math.min(firstCommit, committedAt.get(id) ?? firstCommit);
    let missing = 0;
    for (let i = 0; i < this.receivedAt.length; i++) {
      const committed = committedAt.get(this.events[this.receivedEvent[i]!]!);
      if (committed === undefined) {
        missing++;
        continue;
      }
      const latency = this.receivedAt[i]! - committed;
      latencies.push(latency);
      (this.crossed[i] ? crossInstance : sameInstance).push(latency);
      if (committed - firstCommit >= 1_000) afterFirstSecond.push(latency);
    }
    const earliest = new Float64Array(this.events.length).fill(Number.POSITIVE_INFINITY);
    for (let i = 0; i < this.receivedAt.length; i++) {
      const event = this.receivedEvent[i]!;
      if (this.receivedAt[i]! < earliest[event]!) earliest[event] = this.receivedAt[i]!;
    }
    const firstReceipt: number[] = [];
    const commitToAnswer: number[] = [];
    for (let event = 0; event < this.events.length; event++) {
      const id = this.events[event]!;
      const committed = committedAt.get(id);
      if (committed === undefined) continue;
      if (earliest[event]! !== Number.POSITIVE_INFINITY) firstReceipt.push(earliest[event]! - committed);
      const answered = this.answeredAt.get(id);
      if (answered !== undefined) commitToAnswer.push(answered - committed);
    }
    const toRelay: number[] = [];
    for (const id of this.events) {
      const relayed = this.relayedAt.get(id);
      const committed = committedAt.get(id);
      if (relayed !== undefined && committed !== undefined) toRelay.push(relayed - committed);
    }
    return { latencies, sameInstance, crossInstance, afterFirstSecond, toRelay, firstReceipt, commitToAnswer, missing };
  }
  /** Receipts that came before their commit's answer did. */
  pending: { subscriber: number; id: string; workspace: string; createdAt: string; at: number }[] = [];
  settle(): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) {
      if (this.sent.has(p.id)) this.receive(p.subscriber, p.id, p.workspace, p.createdAt, p.at);
      else this.foreign++;
    }
  }
}

/**
 * RSS of the instances each second, and the Postgres server's oldest open transaction; CPU over
 * the phase of the instances (`pids`), of the subscribers' client processes (`clientPids`) and
 * of the bench process itself (pacing the commits, tallying receipts), and given its postmaster
 * (the bench's own cluster) of the Postgres server's processes (see postgres_cpu_s above).
 */
function monitor(
  pids: number[],
  clientPids: number[],
  oldestXactSec: () => Promise<number>,
  postmaster: number | null,
) {
  const series: number[][] = pids.map(() => []);
  const cpuAtStart = pids.map(cpuSeconds);
  const clientsCpuAtStart = clientPids.map(cpuSeconds);
  const benchCpuAtStart = process.cpuUsage();
  const xact: number[] = [];
  /** Per Postgres process: its CPU time at its first sample (0 when it started after the phase's), and at its last. */
  const pgFirst = new Map<string, number>();
  const pgLast = new Map<string, number>();
  const samplePostgres = (atStart: boolean) => {
    if (postmaster === null) return;
    for (const [key, cpu] of postgresCpu(postmaster)) {
      if (!pgFirst.has(key)) pgFirst.set(key, atStart ? cpu : 0);
      pgLast.set(key, cpu);
    }
  };
  samplePostgres(true);
  const timer = setInterval(() => {
    pids.forEach((pid, i) => series[i]!.push(rssMb(pid)));
    samplePostgres(false);
    oldestXactSec().then(
      (s) => xact.push(s),
      () => {},
    );
  }, 1_000);
  return {
    stop() {
      clearInterval(timer);
      samplePostgres(false);
      let postgresCpuS = 0;
      for (const [key, last] of pgLast) postgresCpuS += last - pgFirst.get(key)!;
      const benchCpu = process.cpuUsage(benchCpuAtStart);
      const clientsCpu = clientPids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - clientsCpuAtStart[i]!, 0);
      const fifth = (values: number[], k: number) => {
        const n = Math.max(1, Math.floor(values.length / 5));
        const part = values.slice(k * n, (k + 1) * n);
        return part.reduce((a, b) => a + b, 0) / Math.max(1, part.length);
      };
      const instances = series.map((values) => ({
        start_mb: round(values[0] ?? 0, 1),
        peak_mb: round(Math.max(...values), 1),
        end_mb: round(values.at(-1) ?? 0, 1),
        second_fifth_mean_mb: round(fifth(values, 1), 1),
        last_fifth_mean_mb: round(fifth(values, 4), 1),
      }));
      const flat = instances.every(
        (i) => i.last_fifth_mean_mb - i.second_fifth_mean_mb <= Math.max(20, i.second_fifth_mean_mb * 0.1),
      );
      return {
        instances,
        server_cpu_s: round(
          pids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - cpuAtStart[i]!, 0),
          1,
        ),
        bench_cpu_s: round((benchCpu.user + benchCpu.system) / 1e6, 1),
        clients_cpu_s: round(clientsCpu, 1),
        postgres_cpu_s: postmaster === null ? null : round(postgresCpuS, 1),
        server_rss_mb: round(
          instances.reduce((sum, i) => sum + i.peak_mb, 0),
          1,
        ),
        memory_flat: flat,
        pg_oldest_xact_max_s: round(Math.max(0, ...xact), 1),
        pg_oldest_xact_p50_s: round(
          percentile(
            [...xact].sort((a, b) => a - b),
            50,
          ),
          1,
        ),
      };
    },
  };
}

/**
 * The subscribers' clients, in CLIENT_PROCESSES processes of their own (bench/realtime-clients.ts),
 * each timestamping what it receives; the same for both systems. `onReport` hears each
 * process's reports; `close` ends the clients and answers the worst of their event loop delays
 * (p99, ms).
 */
async function startClients(children: ChildProcess[], onReport: (report: ClientsReport) => void) {
  const processes = Array.from({ length: CLIENT_PROCESSES }, () => {
    const child = killedWithBench(
      fork("bench/realtime-clients.ts", [], {
        cwd: join(repoRoot, "apps/server"),
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    );
    children.push(child);
    child.on("message", onReport);
    return child;
  });
  await Promise.all(processes.map((child) => new Promise((resolve) => child.once("spawn", resolve))));
  return {
    pids: processes.map((child) => child.pid!),
    /** Subscriber s goes to process s mod CLIENT_PROCESSES. */
    open(command: Exclude<ClientsCommand, { close: true }>): void {
      processes.forEach((child, i) => {
        const subscribers = command.subscribers.filter((subscriber) => subscriber.s % processes.length === i);
        child.send({ ...command, subscribers } as ClientsCommand);
      });
    },
    async close(): Promise<number> {
      const delays = await Promise.all(
        processes.map(
          (child) =>
            new Promise<number>((resolve) => {
              const closed = (report: ClientsReport) => {
                if ("closed" in report) resolve(report.closed);
              };
              child.on("message", closed);
              child.once("exit", () => resolve(Number.NaN));
              child.send({ close: true } satisfies ClientsCommand);
            }),
        ),
      );
      await Promise.all(processes.map((child) => stopChild(child)));
      const reported = delays.filter((delay) => !Number.isNaN(delay));
      return reported.length > 0 ? Math.max(...reported) : Number.NaN;
    },
  };
}

/** Open-loop commits: `RATE` a second for `seconds`, `commit(k)` for the k-th; resolves when all answered. */
async function paced(
  commit: (k: number) => Promise<void>,
  seconds = SECONDS,
): Promise<{ sent: number; failed: number }> {
  const total = RATE * seconds;
  let sent = 0;
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  for (let k = 0; k < total; k++) {
    const due = started + (k * 1_000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      commit(k).then(
        () => {
          sent++;
        },
        (error: unknown) => {
          failed++;
          if (failed <= 5) note(`commit failed: ${error instanceof Error ? error.message : String(error)}`);
        },
      ),
    );
    if (k % (RATE * 10) === 0 && k > 0) note(`committed ${k}/${total}`);
  }
  await Promise.all(inFlight);
  return { sent, failed };
}

/**
 * Each committed row's commit time (ms since the epoch) by its id, as Postgres recorded it
 * (track_commit_timestamp): `query` selects `id` (text) and `committed_ms` (float8).
 */
async function commitTimes(
  env: { benchSql: { unsafe(q: string): Promise<Record<string, unknown>[]> } },
  query: string,
) {
  const times = new Map<string, number>();
  for (const row of await env.benchSql.unsafe(query))
    if (row.committed_ms !== null) times.set(String(row.id), Number(row.committed_ms));
  return times;
}

function summary(tally: Tally, expected: number, committedAt: Map<string, number>) {
  const fromCommit = tally.fromCommit(committedAt);
  const sorted = Float64Array.from(fromCommit.latencies).sort();
  const fromTxStart = Float64Array.from(tally.fromTxStart).sort();
  const fromAnswer = Float64Array.from(tally.fromAnswer).sort();
  const toRelay = Float64Array.from(fromCommit.toRelay).sort();
  const afterRelay = Float64Array.from(tally.afterRelay).sort();
  const sameInstance = Float64Array.from(fromCommit.sameInstance).sort();
  const crossInstance = Float64Array.from(fromCommit.crossInstance).sort();
  const afterFirstSecond = Float64Array.from(fromCommit.afterFirstSecond).sort();
  const firstReceipt = Float64Array.from(fromCommit.firstReceipt).sort();
  const commitToAnswer = Float64Array.from(fromCommit.commitToAnswer).sort();
  return {
    expected_deliveries: expected,
    deliveries: tally.deliveries,
    duplicates: tally.duplicates,
    deliveries_without_commit_time: fromCommit.missing,
    p50_ms: round(percentile(sorted, 50), 1),
    p99_ms: round(percentile(sorted, 99), 1),
    max_ms: round(sorted.at(-1) ?? 0, 1),
    p50_same_instance_ms: round(percentile(sameInstance, 50), 1),
    p99_same_instance_ms: round(percentile(sameInstance, 99), 1),
    p50_cross_instance_ms: round(percentile(crossInstance, 50), 1),
    p99_cross_instance_ms: round(percentile(crossInstance, 99), 1),
    p99_after_first_second_ms: round(percentile(afterFirstSecond, 99), 1),
    p50_from_tx_start_ms: round(percentile(fromTxStart, 50), 1),
    p99_from_tx_start_ms: round(percentile(fromTxStart, 99), 1),
    p50_from_answer_ms: round(percentile(fromAnswer, 50), 1),
    p99_from_answer_ms: round(percentile(fromAnswer, 99), 1),
    p99_first_receipt_ms: round(percentile(firstReceipt, 99), 1),
    p99_commit_to_answer_ms: round(percentile(commitToAnswer, 99), 1),
    ...(toRelay.length > 0
      ? {
          to_relay_p50_ms: round(percentile(toRelay, 50), 1),
          to_relay_p99_ms: round(percentile(toRelay, 99), 1),
          after_relay_p50_ms: round(percentile(afterRelay, 50), 1),
          after_relay_p99_ms: round(percentile(afterRelay, 99), 1),
        }
      : {}),
  };
}

/**
 * The peer (bench/realtime-peer.ts) as plain JavaScript, its packages left as imports: run
 * with node as the instances run their build, so that neither system pays for tsx's loader
 * (~100 MB of RSS per process, and its CPU). Kept under apps/server's node_modules, from
 * which those imports resolve.
 */
async function buildPeer(): Promise<string> {
  const outfile = join(repoRoot, "apps/server/node_modules/.cache/rapport-bench/realtime-peer.mjs");
  await build({
    entryPoints: [join(repoRoot, "apps/server/bench/realtime-peer.ts")],
    outfile,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });
  return outfile;
}

/** Each contact.created's commit time (see commitTimes). */
const RAPPORT_COMMIT_TIMES = `SELECT payload->>'contactId' AS id, extract(epoch FROM pg_xact_commit_timestamp(xid(tx_id))) * 1000 AS committed_ms
  FROM domain_events WHERE type = 'contact.created'`;
/** Each peer row's commit time. */
const PEER_WRITE = args["peer-minimal-write"] ? "row" : "contact";
const PEER_COMMIT_TIMES = `SELECT id::text AS id, extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 AS committed_ms FROM ${PEER_WRITE === "row" ? "bench_peer_events" : "contacts"}`;

/** The warm-up's deliveries and latency: a freshly started system's (reported, not measured against the targets' run). */
interface WarmupSummary {
  seconds: number;
  events_sent: number;
  expected_deliveries: number;
  deliveries: number;
  duplicates: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/**
 * Before a system is measured, `WARMUP_SECONDS` of the same workload (the same commits to the
 * same streams, at the same rate) and every delivery of it: the run measured is then a running
 * system's, not its first second, in which freshly started processes run code not yet
 * optimized (the peer's as well). What the warm-up itself gave is reported beside the run.
 * Null with --warmup 0.
 */
async function warmUp(
  tally: Tally,
  commit: (k: number) => Promise<void>,
  subscribersPerWorkspace: Map<string, number>,
  committedAt: () => Promise<Map<string, number>>,
): Promise<WarmupSummary | null> {
  if (WARMUP_SECONDS === 0) return null;
  const commits = await paced(commit, WARMUP_SECONDS);
  const expected = expectedDeliveries(tally.sent, subscribersPerWorkspace);
  if (!(await untilDelivered(tally, expected, "the warm-up's deliveries")))
    throw new Error("the warm-up's deliveries did not all arrive: the run measured would start behind");
  const warm = summary(tally, expected, await committedAt());
  const result = {
    seconds: WARMUP_SECONDS,
    events_sent: commits.sent,
    expected_deliveries: expected,
    deliveries: warm.deliveries,
    duplicates: warm.duplicates,
    p50_ms: warm.p50_ms,
    p99_ms: warm.p99_ms,
    max_ms: warm.max_ms,
  };
  note(`warm-up: ${JSON.stringify(result)}`);
  return result;
}

/** Every event sent (id → workspace) reaches each subscriber of its workspace once. */
function expectedDeliveries(sent: Map<string, string>, subscribersPerWorkspace: Map<string, number>): number {
  let expected = 0;
  for (const workspaceId of sent.values()) expected += subscribersPerWorkspace.get(workspaceId) ?? 0;
  return expected;
}

/** Waits (up to DRAIN_MS) until the tally has counted `expected` deliveries. */
function untilDelivered(tally: Tally, expected: number, what: string): Promise<boolean> {
  return waitFor(
    what,
    () => {
      tally.settle();
      return tally.deliveries >= expected;
    },
    DRAIN_MS,
  );
}

async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      note(`gave up waiting for ${what}`);
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

const loopDelay = monitorEventLoopDelay({ resolution: 10 });

/**
 * The bench's own Postgres cluster: latency is taken from each commit's recorded time, which
 * needs track_commit_timestamp (a restart to turn on, so never on the shared server); the
 * same durability as the shared server (fsync, synchronous_commit on).
 */
let cluster: PostgresCluster | null = null;
if (!process.env.BENCH_ADMIN_DATABASE_URL) {
  cluster = await startPostgresCluster({
    durable: true,
    maxConnections: 100,
    // pg_stat_statements: which statements the instances send per commit (the most called go to stderr).
    settings: { track_commit_timestamp: "on", shared_preload_libraries: "pg_stat_statements" },
  });
  const started = cluster;
  process.once("exit", () => started.destroySync());
  process.env.BENCH_ADMIN_DATABASE_URL = cluster.url;
  note(`own Postgres cluster on port ${cluster.port} (track_commit_timestamp on)`);
}

try {
  await withBenchEnvironment({ contacts: 0, interactions: 0, configOverrides: LIVE_ENV }, async (env) => {
    if (!env.runtime.redis) throw new Error("bench:realtime needs Redis: two instances share it");
    const [tracking] = await env.benchSql.unsafe("SHOW track_commit_timestamp");
    if (tracking?.track_commit_timestamp !== "on")
      throw new Error("bench:realtime needs track_commit_timestamp=on on BENCH_ADMIN_DATABASE_URL's server");
    const load = { loadavg_start: loadavg().map((n) => round(n, 2)), loadavg_end: [] as number[] };
    const client = createRapportClient({ url: env.url, token: () => env.token, batch: false });
    const workspaces = [env.workspaceId];
    for (let i = 1; i < WORKSPACES; i++)
      workspaces.push((await client.workspaces.create.mutate({ name: `Bench live ${i}` })).id);
    const oldestXactSec = async () => {
      const [row] = await env.benchSql.unsafe(
        "SELECT coalesce(extract(epoch FROM max(now() - xact_start)), 0)::float8 AS s FROM pg_stat_activity WHERE xact_start IS NOT NULL AND backend_type = 'client backend'",
      );
      return Number(row?.s ?? 0);
    };

    // ---- Rapport: activity.live on two instances ----
    const ports = [await freePort(), await freePort()];
    const instances: Awaited<ReturnType<typeof startApiInstance>>[] = [];
    // Whatever happens below, the instances (and the peers) end before the database is dropped.
    const children: ChildProcess[] = [];
    let relayListener: Redis | null = null;
    try {
      for (const port of ports) {
        instances.push(await startApiInstance(env, port, LIVE_ENV, { built: true }));
        children.push(instances.at(-1)!.child);
      }
      note(`instances on ${ports.join(", ")} (pids ${instances.map((i) => i.child.pid).join(", ")})`);
      // The bench's own runtime only set the run up: the two instances are the system measured,
      // and their dispatchers deliver the outbox. A third one here would load the process that
      // timestamps every receipt (the peer phase has nothing like it).
      await env.runtime.dispatcher.stop();
      // Nor does it listen: every commit's wake-up would cost it a cache bump in Redis (one
      // more script per commit on the shared CPUs), and every broadcast a parse.
      await env.runtime.redis?.subscriber.unsubscribe();
      await env.signIn(); // a fresh token: streams live as long as the token they opened with

      const sent = new Map<string, string>();
      const tally = new Tally(SUBSCRIBERS, sent);
      const warmupTally = new Tally(SUBSCRIBERS, new Map());
      // Receipts count for the warm-up until every one of its deliveries is in.
      let receiving = WARMUP_SECONDS > 0 ? warmupTally : tally;
      const perWorkspace = new Map<string, number>();
      let ready = 0;
      let ended = 0;
      let malformed = 0;
      loopDelay.enable();
      const subscriberClients = await startClients(children, (report) => {
        if ("receipts" in report)
          // A warm-up event's receipt counts for the warm-up whenever it comes (a duplicate).
          for (const [s, id, workspace, createdAt, at] of report.receipts)
            (warmupTally.sent.has(id) ? warmupTally : receiving).receive(s, id, workspace, createdAt, at);
        else if ("ready" in report) ready += report.ready;
        else if ("ended" in report) ended += report.ended;
        else if ("malformed" in report) malformed += report.malformed;
      });
      const streams: { s: number; url: string }[] = [];
      for (let s = 0; s < SUBSCRIBERS; s++) {
        const workspaceId = workspaces[s % WORKSPACES]!;
        perWorkspace.set(workspaceId, (perWorkspace.get(workspaceId) ?? 0) + 1);
        const url = new URL(`http://${HOST}:${ports[instanceOf(s)]}/trpc/activity.live`);
        url.searchParams.set("input", JSON.stringify({ workspaceId, types: ["contact.created"] }));
        streams.push({ s, url: url.href });
      }
      subscriberClients.open({ open: "sse", authorization: `Bearer ${env.token}`, subscribers: streams });
      await waitFor("every stream to open", () => ready >= SUBSCRIBERS, 60_000);
      note(`${ready}/${SUBSCRIBERS} streams open over ${WORKSPACES} workspaces`);

      if (args["relay-times"]) {
        // The relay's broadcasts, to split the latency into "until broadcast" and "after".
        const listener = new Redis(env.runtime.config.REDIS_URL ?? "redis://127.0.0.1:6379");
        relayListener = listener;
        await listener.subscribe(`${env.redisPrefix}events`);
        listener.on("message", (_channel: string, message: string) => {
          const at = Date.now();
          for (const event of JSON.parse(message) as { type: string; payload: { contactId?: string } }[])
            if (event.type === "contact.created" && event.payload.contactId)
              receiving.relayedAt.set(event.payload.contactId, at);
        });
      }
      const agent = commitAgent();
      // The request the typed client sends (a tRPC mutation over httpLink, unbatched; the wire
      // transformer passes input through as plain JSON), written out as the peer's commit is:
      // the typed client (fetch, its links, the transformer) cost the bench process about twice
      // the peer's plain request in CPU, on the 2 CPUs every process measured shares.
      const commitTo = (target: Tally) => async (k: number) => {
        const workspaceId = workspaces[k % WORKSPACES]!;
        const answer = await post(
          agent,
          ports[instanceOf(k)]!,
          "/trpc/contacts.create",
          createHeaders(env.token),
          JSON.stringify({ workspaceId, name: `Live ${k}` }),
        );
        const id = createdId(answer.status, answer.body);
        target.answeredAt.set(id, Date.now());
        target.writtenBy.set(id, instanceOf(k));
        target.sent.set(id, workspaceId);
      };
      const rapportWarmup = await warmUp(warmupTally, commitTo(warmupTally), perWorkspace, () =>
        commitTimes(env, RAPPORT_COMMIT_TIMES),
      );
      receiving = tally;
      const statements = cluster !== null;
      if (statements) {
        await env.benchSql.unsafe("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        await env.benchSql.unsafe("SELECT pg_stat_statements_reset()");
      }
      const watch = monitor(
        instances.map((i) => i.child.pid!),
        subscriberClients.pids,
        oldestXactSec,
        cluster?.postmasterPid() ?? null,
      );
      const commitStarted = Date.now();
      const commits = await paced(commitTo(tally));
      agent.destroy();
      note(
        `committed ${commits.sent} (${commits.failed} failed) in ${round((Date.now() - commitStarted) / 1000, 1)} s`,
      );
      const expected = expectedDeliveries(sent, perWorkspace);
      await untilDelivered(tally, expected, "the last deliveries");
      const rapportMemory = watch.stop();
      // Any warm-up event received again since the warm-up ended.
      if (rapportWarmup) rapportWarmup.duplicates = warmupTally.duplicates;
      let statementsPerCommit: number | null = null;
      if (statements) {
        const top = await env.benchSql.unsafe(
          `SELECT calls::float8 AS calls, round(total_exec_time::numeric, 1)::float8 AS ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 140) AS query
           FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           ORDER BY calls DESC`,
        );
        const calls = top.reduce((sum, row) => sum + Number(row.calls), 0);
        statementsPerCommit = round(calls / Math.max(1, sent.size), 1);
        note(`statements: ${calls} (${statementsPerCommit} per commit); most called:`);
        for (const row of top.slice(0, 15)) note(`  ${row.calls} calls, ${row.ms} ms: ${row.query}`);
      }
      const committedAt = await commitTimes(env, RAPPORT_COMMIT_TIMES);
      const rapport = {
        ...summary(tally, expected, committedAt),
        streams_closed_early: ended,
        malformed,
        ...rapportMemory,
      };
      note(`rapport: ${JSON.stringify(rapport)}`);
      const clientsLoopDelayP99 = await subscriberClients.close();
      await Promise.all(instances.map((i) => stopChild(i.child)));

      // ---- The peer: Socket.IO + Redis Streams adapter on two processes ----
      let peer: Record<string, unknown> | null = null;
      let peerWarmup: WarmupSummary | null = null;
      let peerClientsLoopDelayP99: number | null = null;
      if (!args["no-peer"]) {
        await env.benchSql.unsafe(
          "CREATE TABLE bench_peer_events (id bigserial PRIMARY KEY, room text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
        );
        const peerPorts = [await freePort(), await freePort()];
        const peerScript = await buildPeer();
        const peerNodeArgs = process.env.BENCH_PEER_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
        const peers = await Promise.all(
          peerPorts.map(
            (port) =>
              new Promise<ChildProcess>((resolve, reject) => {
                const child = killedWithBench(
                  spawn(process.execPath, [...peerNodeArgs, peerScript], {
                    cwd: join(repoRoot, "apps/server"),
                    env: {
                      ...process.env,
                      PORT: String(port),
                      DATABASE_URL: env.databaseUrl,
                      REDIS_URL: env.runtime.config.REDIS_URL ?? "",
                      PEER_PREFIX: env.redisPrefix,
                      PEER_USER_ID: env.userId,
                      PEER_WRITE,
                    },
                    stdio: ["ignore", "pipe", "inherit"],
                  }),
                );
                children.push(child);
                createInterface({ input: child.stdout! }).on("line", (line) => {
                  if (line === "peer ready") resolve(child);
                });
                child.once("exit", (code) => reject(new Error(`peer exited (${code})`)));
              }),
          ),
        );
        const peerSent = new Map<string, string>();
        const peerTally = new Tally(SUBSCRIBERS, peerSent);
        const peerWarmupTally = new Tally(SUBSCRIBERS, new Map());
        let peerReceiving = WARMUP_SECONDS > 0 ? peerWarmupTally : peerTally;
        let peerReady = 0;
        const peerClients = await startClients(children, (report) => {
          if ("receipts" in report)
            for (const [s, id, room, txStartedAt, at] of report.receipts)
              (peerWarmupTally.sent.has(id) ? peerWarmupTally : peerReceiving).receive(s, id, room, txStartedAt, at);
          else if ("ready" in report) peerReady += report.ready;
        });
        peerClients.open({
          open: "peer",
          subscribers: Array.from({ length: SUBSCRIBERS }, (_, s) => ({
            s,
            url: `http://${HOST}:${peerPorts[instanceOf(s)]}`,
            room: workspaces[s % WORKSPACES]!,
          })),
        });
        await waitFor("every peer socket to join", () => peerReady >= SUBSCRIBERS, 60_000);
        note(`${peerReady}/${SUBSCRIBERS} peer sockets joined`);
        const peerAgent = commitAgent();
        const peerCommitTo = (target: Tally) => async (k: number) => {
          const room = workspaces[k % WORKSPACES]!;
          const answer = await post(
            peerAgent,
            peerPorts[instanceOf(k)]!,
            `/commit?room=${room}&name=${encodeURIComponent(`Live ${k}`)}`,
            {},
          );
          if (answer.status !== 200) throw new Error(`peer answered ${answer.status}`);
          const { id } = JSON.parse(answer.body) as { id: string };
          target.answeredAt.set(id, Date.now());
          target.writtenBy.set(id, instanceOf(k));
          target.sent.set(id, room);
        };
        peerWarmup = await warmUp(peerWarmupTally, peerCommitTo(peerWarmupTally), perWorkspace, () =>
          commitTimes(env, PEER_COMMIT_TIMES),
        );
        peerReceiving = peerTally;
        const peerWatch = monitor(
          peers.map((p) => p.pid!),
          peerClients.pids,
          oldestXactSec,
          cluster?.postmasterPid() ?? null,
        );
        const peerCommits = await paced(peerCommitTo(peerTally));
        peerAgent.destroy();
        const peerExpected = expectedDeliveries(peerSent, perWorkspace);
        await untilDelivered(peerTally, peerExpected, "the peer's last deliveries");
        const peerMemory = peerWatch.stop();
        if (peerWarmup) peerWarmup.duplicates = peerWarmupTally.duplicates;
        const peerSummary = summary(peerTally, peerExpected, await commitTimes(env, PEER_COMMIT_TIMES));
        peer = { events_sent: peerCommits.sent, ...peerSummary, ...peerMemory };
        note(`peer: ${JSON.stringify(peer)}`);
        peerClientsLoopDelayP99 = await peerClients.close();
        await Promise.all(peers.map((child) => stopChild(child)));
      }
      loopDelay.disable();
      load.loadavg_end = loadavg().map((n) => round(n, 2));

      const p99 = rapport.p99_ms;
      const peerP99 = (peer?.p99_ms as number | undefined) ?? null;
      const results = {
        benchmark: "realtime",
        measured_at: new Date().toISOString(),
        subscribers: SUBSCRIBERS,
        workspaces: WORKSPACES,
        rate_per_s: RATE,
        seconds: SECONDS,
        warmup_seconds: WARMUP_SECONDS,
        events_sent: commits.sent,
        commits_failed: commits.failed,
        expected_deliveries: rapport.expected_deliveries,
        deliveries: rapport.deliveries,
        duplicates: rapport.duplicates,
        latency_from: "commit (pg_xact_commit_timestamp) to receipt",
        deliveries_without_commit_time: rapport.deliveries_without_commit_time,
        p50_ms: rapport.p50_ms,
        p99_ms: p99,
        max_ms: rapport.max_ms,
        p50_same_instance_ms: rapport.p50_same_instance_ms,
        p99_same_instance_ms: rapport.p99_same_instance_ms,
        p50_cross_instance_ms: rapport.p50_cross_instance_ms,
        p99_cross_instance_ms: rapport.p99_cross_instance_ms,
        p99_after_first_second_ms: rapport.p99_after_first_second_ms,
        p50_from_tx_start_ms: rapport.p50_from_tx_start_ms,
        p99_from_tx_start_ms: rapport.p99_from_tx_start_ms,
        to_relay_p50_ms: rapport.to_relay_p50_ms ?? null,
        to_relay_p99_ms: rapport.to_relay_p99_ms ?? null,
        after_relay_p50_ms: rapport.after_relay_p50_ms ?? null,
        after_relay_p99_ms: rapport.after_relay_p99_ms ?? null,
        p50_from_answer_ms: rapport.p50_from_answer_ms,
        p99_from_answer_ms: rapport.p99_from_answer_ms,
        p99_first_receipt_ms: rapport.p99_first_receipt_ms,
        p99_commit_to_answer_ms: rapport.p99_commit_to_answer_ms,
        statements_per_commit: statementsPerCommit,
        server_rss_mb: rapport.server_rss_mb,
        server_cpu_s: rapport.server_cpu_s,
        bench_cpu_s: rapport.bench_cpu_s,
        clients_cpu_s: rapport.clients_cpu_s,
        postgres_cpu_s: rapport.postgres_cpu_s,
        memory_flat: rapport.memory_flat,
        instances: rapport.instances,
        streams_closed_early: rapport.streams_closed_early,
        warmup: rapportWarmup,
        peer_warmup: peerWarmup,
        // What the peer's commit writes: "contact" (the same INSERT into contacts as Rapport's) or "row" (--peer-minimal-write).
        peer_write: peer ? PEER_WRITE : null,
        peer_events_sent: peer?.events_sent ?? null,
        peer_expected_deliveries: peer?.expected_deliveries ?? null,
        peer_deliveries: peer?.deliveries ?? null,
        peer_duplicates: peer?.duplicates ?? null,
        peer_p50_ms: peer?.p50_ms ?? null,
        peer_p99_ms: peerP99,
        peer_max_ms: peer?.max_ms ?? null,
        peer_p50_same_instance_ms: peer?.p50_same_instance_ms ?? null,
        peer_p99_same_instance_ms: peer?.p99_same_instance_ms ?? null,
        peer_p50_cross_instance_ms: peer?.p50_cross_instance_ms ?? null,
        peer_p99_cross_instance_ms: peer?.p99_cross_instance_ms ?? null,
        peer_p99_after_first_second_ms: peer?.p99_after_first_second_ms ?? null,
        peer_deliveries_without_commit_time: peer?.deliveries_without_commit_time ?? null,
        peer_p50_from_tx_start_ms: peer?.p50_from_tx_start_ms ?? null,
        peer_p99_from_tx_start_ms: peer?.p99_from_tx_start_ms ?? null,
        peer_p50_from_answer_ms: peer?.p50_from_answer_ms ?? null,
        peer_p99_from_answer_ms: peer?.p99_from_answer_ms ?? null,
        peer_p99_first_receipt_ms: peer?.p99_first_receipt_ms ?? null,
        peer_p99_commit_to_answer_ms: peer?.p99_commit_to_answer_ms ?? null,
        peer_server_rss_mb: peer?.server_rss_mb ?? null,
        peer_server_cpu_s: peer?.server_cpu_s ?? null,
        peer_bench_cpu_s: peer?.bench_cpu_s ?? null,
        peer_clients_cpu_s: peer?.clients_cpu_s ?? null,
        peer_postgres_cpu_s: peer?.postgres_cpu_s ?? null,
        peer_memory_flat: peer?.memory_flat ?? null,
        load: {
          ...load,
          postgres: cluster ? "the bench's own cluster (track_commit_timestamp on)" : "BENCH_ADMIN_DATABASE_URL",
          pg_oldest_xact_max_s: rapport.pg_oldest_xact_max_s,
          pg_oldest_xact_p50_s: rapport.pg_oldest_xact_p50_s,
          peer_pg_oldest_xact_max_s: peer?.pg_oldest_xact_max_s ?? null,
          bench_process_loop_delay_p99_ms: round(loopDelay.percentile(99) / 1e6, 1),
          client_processes: CLIENT_PROCESSES,
          clients_loop_delay_p99_ms: round(clientsLoopDelayP99, 1),
          peer_clients_loop_delay_p99_ms: peerClientsLoopDelayP99 === null ? null : round(peerClientsLoopDelayP99, 1),
        },
        targets: TARGETS,
        passed: {
          no_loss:
            rapport.deliveries === rapport.expected_deliveries &&
            rapport.duplicates === 0 &&
            (rapportWarmup === null ||
              (rapportWarmup.deliveries === rapportWarmup.expected_deliveries && rapportWarmup.duplicates === 0)),
          // Only when every delivery had its commit time: one without is left out of the percentiles.
          p99_under_100: p99 < 100 && rapport.deliveries_without_commit_time === 0,
          p99_at_most_peer:
            peerP99 === null
              ? null
              : p99 <= peerP99 &&
                rapport.deliveries_without_commit_time === 0 &&
                peer?.deliveries_without_commit_time === 0,
          memory_flat: rapport.memory_flat,
        },
      };
      mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
      writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
      note(`wrote ${RESULTS}`);
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    } finally {
      relayListener?.disconnect();
      await Promise.all(children.map((child) => stopChild(child)));
    }
  });
} finally {
  await cluster?.destroy();
}
