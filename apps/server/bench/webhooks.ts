/**
 * Webhooks benchmark (`pnpm bench:webhooks`; not part of the tests).
 *
 *   pnpm bench:webhooks [--events 10000] [--endpoints 5] [--batch 100]
 *                       [--latency-events 2000] [--latency-events-per-s 40] [--latency-batch 10] [--pg-stats]
 *
 * 1. A throw-away database and Redis prefix with the real runtime and HTTP server in
 *    this process as the api role (HTTP and the outbox dispatcher: it creates the
 *    messages) (bench/env.ts), and the production worker in a child process, which
 *    delivers them through BullMQ. Both allow plain http to 127.0.0.1 (the SSRF guard's
 *    allow-list), nothing else changes.
 * 2. --endpoints loopback receivers (node:http) answering 200 at once, in a process of their
 *    own (bench/webhook-receivers.ts, forked with an IPC channel): neither the delivery nor the
 *    floor shares an event loop with them. Each is registered through webhooks.create for
 *    contact.created, with the highest per-endpoint rate limit (10,000/s, above any rate a run
 *    reaches, as the floor has no rate limit) so the rate limit is not what is measured: at
 *    1,000/s, 5 endpoints could take at most 5,000 deliveries/s, and each endpoint's job paused
 *    at every window's end. The receivers parse every body, count distinct webhook-ids and
 *    record, per delivery, its arrival time and the time from the event's commit to its
 *    arrival: arrival minus the body's `timestamp` (the event's transaction time, at or just
 *    before its commit, so the figure is an upper bound). They report these to the bench in
 *    batches; the times are taken at arrival from the host's clock (the bench's clock too), so
 *    batching changes no figure. One warm-up event (not measured) is delivered first: the path
 *    runs once, and its stored message is what the floor sends.
 * 3. Throughput: --events contact.created events, contacts.bulkCreate calls of --batch
 *    contacts one after another as fast as the API takes them, so every event goes to
 *    every endpoint: expected = events × endpoints. deliveries_per_s: expected / (last
 *    arrival − first bulkCreate call), so it includes producing the events. Split, not as
 *    targets: deliveries_while_producing_per_s (until the last bulkCreate returned: delivery
 *    shares the host with the API, the outbox consumer and Postgres writing contacts and
 *    messages) and deliveries_after_producing_per_s (the rest of the backlog, host alone).
 * 4. Latency: --latency-events more events, produced at --latency-events-per-s in commits of
 *    --latency-batch (default 40 events/s in commits of 10: 200 deliveries/s to the 5
 *    endpoints, a busy workspace's steady flow of small transactions, well below what
 *    delivery sustains). p99_commit_to_delivery_ms is the 99th percentile of this phase.
 *    Why a second phase: the unpaced producer of step 3 commits events faster than any
 *    delivery at half the floor can send them, so a backlog builds and its commit-to-delivery
 *    times measure the backlog (how long the queue is by the end), not latency; they are
 *    reported as backlog_p99_commit_to_delivery_ms. A latency is only defined for a producer
 *    that delivery keeps up with.
 *    Each phase also splits the time, from the database, into the outbox consumer writing
 *    the message (commit_to_message), waiting to be claimed and sent (message_to_post) and
 *    the POST (post).
 * 5. floor_per_s: in the same run, the same number of POSTs as step 3 to the same receivers
 *    from a plain loop in a process of its own (bench/webhook-floor.ts, as the delivery runs in
 *    the worker's): the warm-up message's stored body and headers (so the same bytes as a
 *    delivery), each POST signed like a delivery (nodeWebhookSigner, one secret), over
 *    keep-alive connections at the worker's concurrency (4 per endpoint, the delivery's
 *    per-endpoint limit) — no database, no queue. Its own process, because a sender on the
 *    receivers' event loop pays for parsing every POST it sends, which understates the floor
 *    and flatters the ratio. After an unmeasured warm-up of 5,000 POSTs (the sender's process
 *    starts cold), measured in three rounds interleaved with the phases (before the throughput phase, between the phases, after the
 *    latency phase) and reported as their median, each round in floor_rounds_per_s (and the
 *    ratio to each in ratio_to_floor_rounds): on a shared host one round swung between 4k and
 *    15k/s from run to run, so a single round after the phases made the ratio as much the
 *    host's load as the delivery's. The receivers do the same work for a floor POST as for a
 *    delivery (parse the body, count the id) and keep the two tallies apart.
 * 6. Not targets, to explain the ratio: the CPU seconds (from /proc) that this process, the
 *    worker, the receivers, the floor's sender and the bench database's Postgres backends used
 *    during the throughput phase and each floor round, and per delivery or POST. On a host with
 *    few CPUs the ratio can be no better than the floor's CPU per POST over the delivery's per
 *    delivery (producing the events included), whatever waits are removed.
 *
 * 7. --pg-stats (not for the targets): the bench runs on a Postgres cluster of its own (same
 *    durability as the shared server) loading pg_stat_statements, and reports the statements
 *    the throughput phase ran, per delivery: execution time (wall time in the backend, so
 *    inflated by a busy host: compare statements with each other), calls, rows, WAL bytes
 *    (throughput_statements). What a figure should be compared with is a run with the same flag.
 *
 * Writes bench-results/webhooks.json at the repo root; progress goes to stderr.
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createRapportClient } from "@rapport/client";
import { startPostgresCluster } from "../test/support/postgres-cluster";
import { killedWithBench, repoRoot, startWorker, stopChild, withBenchEnvironment } from "./env";
import { note, percentile, round } from "./load";
import type { FloorCommand, FloorMessage, FloorRun } from "./webhook-floor";
import type { FlushedMessage, ReceiversCommand, ReceiversMessage } from "./webhook-receivers";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    events: { type: "string" },
    endpoints: { type: "string" },
    batch: { type: "string" },
    "latency-events": { type: "string" },
    "latency-events-per-s": { type: "string" },
    "latency-batch": { type: "string" },
    "pg-stats": { type: "boolean" },
  },
});
const EVENTS = Number(args.events ?? 10_000);
const ENDPOINTS = Number(args.endpoints ?? 5);
const BATCH = Number(args.batch ?? 100);
const LATENCY_EVENTS = Number(args["latency-events"] ?? 2_000);
const LATENCY_EVENTS_PER_S = Number(args["latency-events-per-s"] ?? 40);
const LATENCY_BATCH = Number(args["latency-batch"] ?? 10);
/** The delivery's per-endpoint concurrency (webhooks service), so the floor gets the same parallelism. */
const PER_ENDPOINT_CONCURRENCY = 4;
/** POSTs the floor's process sends, unmeasured, before its first round. */
const FLOOR_WARM_UP_POSTS = 5_000;
const DEADLINE_MS = 15 * 60_000;
const RESULTS = join(repoRoot, "bench-results/webhooks.json");
const TARGETS = { delivered: "= expected", deliveries_vs_floor: 0.5, p99_commit_to_delivery_ms: 500 } as const;
const PG_STATS = args["pg-stats"] === true;
const WEBHOOK_ENV = { WEBHOOK_ALLOWED_CIDRS: "127.0.0.1/32", WEBHOOK_PLAIN_HTTP_HOSTS: "127.0.0.1" };

/** The receivers' process (bench/webhook-receivers.ts) and what it has told the bench. */
interface Receivers {
  child: ChildProcess;
  urls: string[];
  /** Arrival time (epoch ms) of every distinct delivery so far, in the order reported. */
  arrivals: number[];
  /** Commit-to-arrival ms of the same deliveries, same order. */
  latencies: number[];
  /** Called after each report of new arrivals. */
  onArrival: () => void;
  /** The receivers' totals, after everything they saw before this call has been reported. */
  flush(): Promise<FlushedMessage>;
}

const benchDir = dirname(fileURLToPath(import.meta.url));

/** A forked bench process (TypeScript through tsx, as the worker runs), with its IPC channel. */
function forkBenchProcess(file: string, args: string[] = []): ChildProcess {
  return killedWithBench(
    fork(join(benchDir, file), args, {
      cwd: join(repoRoot, "apps/server"),
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
}

async function startReceivers(count: number): Promise<Receivers> {
  const child = forkBenchProcess("webhook-receivers.ts", [String(count)]);
  let nonce = 0;
  const flushes = new Map<number, (message: FlushedMessage) => void>();
  const receivers: Receivers = {
    child,
    urls: [],
    arrivals: [],
    latencies: [],
    onArrival: () => {},
    flush: () =>
      new Promise((resolve) => {
        const id = ++nonce;
        flushes.set(id, resolve);
        child.send({ type: "flush", nonce: id } satisfies ReceiversCommand);
      }),
  };
  const ready = new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the receivers' process exited (${code})`)));
    child.on("message", (message: ReceiversMessage) => {
      if (message.type === "ready") {
        receivers.urls = message.urls;
        resolve();
      } else if (message.type === "arrivals") {
        for (let i = 0; i < message.arrivals.length; i++) {
          receivers.arrivals.push(message.arrivals[i]!);
          receivers.latencies.push(message.latencies[i]!);
        }
        receivers.onArrival();
      } else if (message.type === "flushed") {
        flushes.get(message.nonce)?.(message);
        flushes.delete(message.nonce);
      }
    });
  });
  await ready;
  return receivers;
}

/** Clock ticks per second of /proc's CPU times. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far, from /proc; 0 once it is gone. */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces), in parentheses: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by each process a phase or a floor round runs on. */
interface CpuSample {
  /** This process: the API, the outbox consumer writing the messages, the producer's client. */
  bench: number;
  worker: number;
  receivers: number;
  floor: number;
  /** Each Postgres backend connected to the bench's database, by pid. */
  postgres: Map<number, number>;
}

/** What the processes used between two samples, in CPU seconds. */
function cpuUsed(from: CpuSample, to: CpuSample) {
  let postgres = 0;
  for (const [pid, seconds] of to.postgres) postgres += seconds - (from.postgres.get(pid) ?? 0);
  const used = {
    bench_api: to.bench - from.bench,
    worker: to.worker - from.worker,
    receivers: to.receivers - from.receivers,
    floor_sender: to.floor - from.floor,
    postgres,
  };
  // Of these processes only: Redis (BullMQ runs a script per job there) and Postgres's own
  // background processes are left out, so per delivery it is a lower bound.
  const measured_total = Object.values(used).reduce((sum, seconds) => sum + seconds, 0);
  return Object.fromEntries(
    Object.entries({ ...used, measured_total }).map(([name, seconds]) => [name, round(seconds, 2)]),
  ) as typeof used & { measured_total: number };
}

async function waitForArrivals(receivers: Receivers, expected: number, label: string): Promise<boolean> {
  const started = Date.now();
  let shown = receivers.arrivals.length;
  return new Promise((resolve) => {
    const check = () => {
      const got = receivers.arrivals.length;
      if (got >= expected) return finish(true);
      if (Date.now() - started > DEADLINE_MS) return finish(false);
      if (got - shown >= expected / 10) {
        shown = got;
        note(`${label}: ${got}/${expected}`);
      }
    };
    const timer = setInterval(check, 200);
    const finish = (done: boolean) => {
      clearInterval(timer);
      receivers.onArrival = () => {};
      resolve(done);
    };
    receivers.onArrival = () => {
      if (receivers.arrivals.length >= expected) check();
    };
  });
}

/** The floor's sender process (bench/webhook-floor.ts): one round at a time. */
function startFloorSender() {
  const child = forkBenchProcess("webhook-floor.ts");
  const run = (request: FloorRun) =>
    new Promise<number>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the floor's process exited (${code})`));
      child.once("exit", onExit);
      child.once("message", (message: FloorMessage) => {
        child.off("exit", onExit);
        if (message.type === "done") resolve(message.seconds);
        else reject(new Error(`floor round ${request.label}: ${message.error}`));
      });
      child.send({ type: "run", ...request } satisfies FloorCommand);
    });
  return { child, run };
}

if (PG_STATS) {
  if (process.env.BENCH_ADMIN_DATABASE_URL)
    throw new Error("--pg-stats starts its own cluster: unset BENCH_ADMIN_DATABASE_URL");
  const cluster = await startPostgresCluster({
    durable: true,
    maxConnections: 100,
    settings: { shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "all" },
  });
  process.once("exit", () => cluster.destroySync());
  process.env.BENCH_ADMIN_DATABASE_URL = cluster.url;
  note(`--pg-stats: own Postgres cluster on port ${cluster.port} with pg_stat_statements`);
}

await withBenchEnvironment({ contacts: 0, interactions: 0, configOverrides: WEBHOOK_ENV }, async (env) => {
  if (env.runtime.queue.driver !== "bullmq")
    throw new Error("bench:webhooks needs Redis: deliveries run in a separate worker process, through BullMQ");
  const receivers = await startReceivers(ENDPOINTS);
  const floorSender = startFloorSender();
  const worker = await startWorker(env, WEBHOOK_ENV);
  try {
    const client = createRapportClient({ url: env.url, token: env.token, batch: false });
    for (const url of receivers.urls) {
      await client.webhooks.create.mutate({
        workspaceId: env.workspaceId,
        url,
        description: "bench receiver",
        eventTypes: ["contact.created"],
        rateLimitPerSecond: 10_000,
      });
    }
    note(
      `${ENDPOINTS} endpoints on loopback receivers (pid ${receivers.child.pid}); worker pid ${worker.child.pid}; floor sender pid ${floorSender.child.pid}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // start-up work (schedules, dispatcher) settles

    let created = 0;
    const contactsFrom = (first: number, size: number) =>
      Array.from({ length: size }, (_, i) => ({
        name: `Bench Person ${first + i}`,
        email: `person${first + i}@bench-${env.runId}.example`,
        company: `Company ${(first + i) % 100}`,
      }));

    // One event before anything is measured: the path (worker, receivers) runs once, and its
    // message is what the floor sends — the stored body and the headers of a real delivery.
    const warmUpArrived = waitForArrivals(receivers, ENDPOINTS, "warm-up");
    await client.contacts.bulkCreate.mutate({ workspaceId: env.workspaceId, contacts: contactsFrom(0, 1) });
    created += 1;
    if (!(await warmUpArrived)) throw new Error("the warm-up event was not delivered");
    const warmUpDelivered = receivers.arrivals.length;
    let template: { body: string; headers: Record<string, string> } | null = null;
    for (let wait = 0; wait < 50 && !template; wait++) {
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      const [row] = await env.benchSql.unsafe(
        `SELECT m.body, a.request_headers::text AS headers FROM webhook_messages m
         JOIN webhook_attempts a ON a.message_id = m.id AND a.ok LIMIT 1`,
      );
      if (row)
        template = {
          body: String(row.body),
          headers: JSON.parse(String(row.headers)) as Record<string, string>,
        };
    }
    if (!template) throw new Error("the warm-up delivery was not recorded");
    const floorHeaders = Object.fromEntries(
      Object.entries(template.headers).filter(([name]) => !name.toLowerCase().startsWith("webhook-")),
    );
    const floorBodyBytes = Buffer.byteLength(template.body);
    note(`floor body: a delivered message's, ${floorBodyBytes} bytes; headers ${Object.keys(floorHeaders).join(", ")}`);

    const cpuSample = async (): Promise<CpuSample> => {
      const backends = await env.benchSql.unsafe("SELECT pid FROM pg_stat_activity WHERE datname = current_database()");
      const usage = process.cpuUsage();
      return {
        bench: (usage.user + usage.system) / 1e6,
        worker: cpuSecondsOf(worker.child.pid),
        receivers: cpuSecondsOf(receivers.child.pid),
        floor: cpuSecondsOf(floorSender.child.pid),
        postgres: new Map(backends.map(({ pid }) => [Number(pid), cpuSecondsOf(Number(pid))])),
      };
    };

    /**
     * The bench database's statements since the last reset (nested ones too: the foreign keys'
     * checks are listed apart and inside the statement that caused them), per delivery; the 15 that
     * took longest go to stderr.
     */
    const statementsPerDelivery = async (label: string, deliveries: number) => {
      const rows = await env.benchSql.unsafe(
        `SELECT calls::float8 AS calls, rows::float8 AS rows, total_exec_time AS ms, wal_bytes::float8 AS wal,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         ORDER BY total_exec_time DESC LIMIT 15`,
      );
      const statements = rows.map((row) => ({
        exec_us_per_delivery: round((Number(row.ms) * 1000) / deliveries, 1),
        calls: Number(row.calls),
        rows: Number(row.rows),
        wal_bytes_per_delivery: round(Number(row.wal) / deliveries, 0),
        query: String(row.query),
      }));
      note(`${label}: statements that took longest`);
      for (const statement of statements)
        note(
          `  ${statement.exec_us_per_delivery} µs/delivery, ${statement.calls} calls, ${statement.rows} rows, ${statement.wal_bytes_per_delivery} WAL B/delivery: ${statement.query}`,
        );
      return statements;
    };

    const floorConcurrency = ENDPOINTS * PER_ENDPOINT_CONCURRENCY;
    /** `total` signed POSTs from the floor's process; their rate. */
    const floorPosts = async (label: string, total: number) => {
      receivers.child.send({ type: "floor-reset" } satisfies ReceiversCommand);
      const cpuBefore = await cpuSample();
      const seconds = await floorSender.run({
        urls: receivers.urls,
        total,
        concurrency: floorConcurrency,
        perEndpoint: PER_ENDPOINT_CONCURRENCY,
        label,
        body: template.body,
        headers: floorHeaders,
      });
      // Every POST was answered 200 before the sender stopped its clock; the receivers say how many were distinct.
      const { floorDistinct } = await receivers.flush();
      if (floorDistinct !== total) throw new Error(`floor ${label}: ${floorDistinct} of ${total} POSTs arrived`);
      return { perSecond: total / seconds, cpu: cpuUsed(cpuBefore, await cpuSample()) };
    };
    // Not measured: the floor's process (started cold, unlike the worker that has just delivered the
    // warm-up event) compiles its hot path first, so that its first round is not the slowest for that alone.
    note(
      `floor warm-up: ${FLOOR_WARM_UP_POSTS} signed POSTs (${round((await floorPosts("warmup", FLOOR_WARM_UP_POSTS)).perSecond, 1)}/s)`,
    );
    const floorRounds: number[] = [];
    const floorRoundsCpu: ReturnType<typeof cpuUsed>[] = [];
    const floorRound = async () => {
      const label = String(floorRounds.length + 1);
      note(`floor round ${label}: ${EVENTS * ENDPOINTS} signed POSTs, ${floorConcurrency} concurrent`);
      const { perSecond, cpu } = await floorPosts(label, EVENTS * ENDPOINTS);
      floorRounds.push(perSecond);
      floorRoundsCpu.push(cpu);
      note(`floor round ${label}: ${round(floorRounds.at(-1)!, 1)}/s`);
    };

    /** One phase: `events` contacts created in commits of `batch`, at `eventsPerS` (null: as fast as the API takes them). */
    const phase = async (label: string, events: number, batch: number, eventsPerS: number | null) => {
      // Ids are kept across phases: a late second request for an earlier phase's message is no arrival here.
      await receivers.flush();
      const before = receivers.arrivals.length;
      const expected = events * ENDPOINTS;
      const delivered = waitForArrivals(receivers, before + expected, `${label}: delivered`);
      const [{ now: phaseStart } = { now: "" }] = (await env.benchSql.unsafe("SELECT now()::text AS now")) as {
        now: string;
      }[];
      if (PG_STATS) {
        await env.benchSql.unsafe("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        await env.benchSql.unsafe("SELECT pg_stat_statements_reset()");
      }
      const cpuBefore = await cpuSample();
      const started = Date.now();
      for (let offset = 0; offset < events; offset += batch) {
        const size = Math.min(batch, events - offset);
        await client.contacts.bulkCreate.mutate({
          workspaceId: env.workspaceId,
          contacts: contactsFrom(created + offset, size),
        });
        if (eventsPerS) {
          const due = started + ((offset + size) / eventsPerS) * 1000;
          if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        }
      }
      created += events;
      // Deliveries while the producer ran share the host with it (the API, the outbox consumer and
      // Postgres writing the contacts and messages); after it, delivery has the host alone.
      const produced = Date.now();
      note(
        `${label}: ${events} contacts created in ${round((Date.now() - started) / 1000, 1)} s; waiting for deliveries`,
      );
      const complete = await delivered;
      const cpu = cpuUsed(cpuBefore, await cpuSample());
      const statements = PG_STATS ? await statementsPerDelivery(label, expected) : null;
      await receivers.flush();
      const arrivals = receivers.arrivals.slice(before);
      const count = arrivals.length;
      if (!complete) note(`${label}: only ${count}/${expected} arrived within ${DEADLINE_MS / 60_000} minutes`);
      // Arrival times are the receivers' (same host clock), so the split at `produced` is exact.
      const deliveredWhileProducing = arrivals.filter((arrival) => arrival <= produced).length;
      const lastArrival = arrivals.reduce((last, arrival) => Math.max(last, arrival), 0);
      const latencies = Float64Array.from(receivers.latencies.slice(before)).sort();
      // The receiver answers before the worker records the success: give the last ones a moment.
      let deliveredInDatabase = 0;
      for (let wait = 0; wait < 50 && deliveredInDatabase < count; wait++) {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, 200));
        const [row] = await env.benchSql.unsafe(
          `SELECT count(*)::int AS n FROM webhook_messages WHERE status = 'delivered' AND created_at >= '${phaseStart}'`,
        );
        deliveredInDatabase = Number(row?.n ?? 0);
      }
      // Where the time went: event commit -> message written (the outbox consumer), message -> POST
      // started (waking a job, claiming), the POST (the worker's view of the receiver).
      const [stages] = await env.benchSql.unsafe(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms) AS message_p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms) AS message_p99,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_ms) AS wait_p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY wait_ms) AS wait_p99,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS post_p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS post_p99,
                avg(body_bytes) AS body_bytes
         FROM (SELECT extract(epoch FROM m.created_at - (m.body::jsonb->>'timestamp')::timestamptz) * 1000 AS lag_ms,
                      extract(epoch FROM a.created_at - m.created_at) * 1000 - a.duration_ms AS wait_ms, a.duration_ms,
                      octet_length(m.body) AS body_bytes
               FROM webhook_messages m JOIN webhook_attempts a ON a.message_id = m.id AND a.attempt = 1
               WHERE m.created_at >= '${phaseStart}') AS t`,
      );
      const stage = (value: unknown) => round(Number(value ?? Number.NaN), 1);
      return {
        expected,
        delivered: count,
        delivered_in_database: deliveredInDatabase,
        seconds: (lastArrival - started) / 1000,
        produceSeconds: (produced - started) / 1000,
        whileProducingPerSecond: deliveredWhileProducing / ((produced - started) / 1000),
        afterProducingPerSecond: (count - deliveredWhileProducing) / Math.max(0.001, (lastArrival - produced) / 1000),
        p50: round(percentile(latencies, 50), 1),
        p99: round(percentile(latencies, 99), 1),
        max: round(latencies.at(-1) ?? Number.NaN, 1),
        bodyBytes: stage(stages?.body_bytes),
        cpu,
        statements,
        stages: {
          p50_commit_to_message_ms: stage(stages?.message_p50),
          p99_commit_to_message_ms: stage(stages?.message_p99),
          p50_message_to_post_ms: stage(stages?.wait_p50),
          p99_message_to_post_ms: stage(stages?.wait_p99),
          p50_post_ms: stage(stages?.post_p50),
          p99_post_ms: stage(stages?.post_p99),
        },
      };
    };

    // The floor's rounds interleaved with the phases (see the header), each alone on the host's share it gets then.
    await floorRound();
    const throughput = await phase("throughput", EVENTS, BATCH, null);
    await floorRound();
    const latency = await phase("latency", LATENCY_EVENTS, LATENCY_BATCH, LATENCY_EVENTS_PER_S);
    await floorRound();
    const { requests } = await receivers.flush();
    const duplicates = requests - warmUpDelivered - throughput.delivered - latency.delivered;
    const floorPerSecond = [...floorRounds].sort((a, b) => a - b)[Math.floor(floorRounds.length / 2)]!;

    const deliveriesPerSecond = throughput.delivered / throughput.seconds;
    const result = {
      benchmark: "webhooks",
      date: new Date().toISOString(),
      node: process.version,
      events: EVENTS,
      endpoints: ENDPOINTS,
      batch: BATCH,
      expected: throughput.expected,
      delivered: throughput.delivered,
      delivered_in_database: throughput.delivered_in_database,
      duplicate_requests: duplicates,
      delivery_s: round(throughput.seconds, 2),
      // Not targets: where deliveries_per_s comes from (see the header).
      produce_s: round(throughput.produceSeconds, 2),
      deliveries_while_producing_per_s: round(throughput.whileProducingPerSecond, 1),
      deliveries_after_producing_per_s: round(throughput.afterProducingPerSecond, 1),
      deliveries_per_s: round(deliveriesPerSecond, 1),
      floor_per_s: round(floorPerSecond, 1),
      floor_rounds_per_s: floorRounds.map((value) => round(value, 1)),
      floor_concurrency: floorConcurrency,
      // What the floor runs as: its own process sending to the receivers' process (see the header).
      floor_process: "separate (bench/webhook-floor.ts)",
      receivers_process: "separate (bench/webhook-receivers.ts)",
      floor_body_bytes: floorBodyBytes,
      delivery_body_bytes_avg: throughput.bodyBytes,
      ratio_to_floor: round(deliveriesPerSecond / floorPerSecond, 3),
      ratio_to_floor_rounds: floorRounds.map((value) => round(deliveriesPerSecond / value, 3)),
      // Not targets: CPU seconds each process used (see the header), and per delivery or floor POST.
      throughput_cpu_s: throughput.cpu,
      throughput_cpu_ms_per_delivery: round((throughput.cpu.measured_total * 1000) / throughput.expected, 3),
      floor_rounds_cpu_s: floorRoundsCpu,
      floor_cpu_ms_per_post: floorRoundsCpu.map(({ measured_total }) =>
        round((measured_total * 1000) / (EVENTS * ENDPOINTS), 3),
      ),
      host_cpus: availableParallelism(),
      // The unpaced producer's backlog: how long the queue grew, not a latency (see the header).
      backlog_p50_commit_to_delivery_ms: throughput.p50,
      backlog_p99_commit_to_delivery_ms: throughput.p99,
      throughput_stages: throughput.stages,
      ...(throughput.statements && { throughput_statements: throughput.statements }),
      latency_events: LATENCY_EVENTS,
      latency_events_per_s: LATENCY_EVENTS_PER_S,
      latency_batch: LATENCY_BATCH,
      latency_expected: latency.expected,
      latency_delivered: latency.delivered,
      latency_deliveries_per_s: round(latency.delivered / latency.seconds, 1),
      p50_commit_to_delivery_ms: latency.p50,
      p99_commit_to_delivery_ms: latency.p99,
      max_commit_to_delivery_ms: latency.max,
      latency_stages: latency.stages,
      targets: TARGETS,
      met: {
        delivered: throughput.delivered === throughput.expected && latency.delivered === latency.expected,
        deliveries_vs_floor: deliveriesPerSecond >= TARGETS.deliveries_vs_floor * floorPerSecond,
        p99_commit_to_delivery_ms: latency.p99 < TARGETS.p99_commit_to_delivery_ms,
      },
    };
    mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    note(`wrote ${RESULTS}`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await stopChild(worker.child, 20_000);
    await stopChild(floorSender.child);
    await stopChild(receivers.child);
  }
});
