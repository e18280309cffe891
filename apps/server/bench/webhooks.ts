/**
 * Webhooks benchmark (`pnpm bench:webhooks`; not part of the tests).
 *
 *   pnpm bench:webhooks [--events 10000] [--endpoints 5] [--batch 100]
 *                       [--latency-events 2000] [--latency-events-per-s 40] [--latency-batch 10]
 *
 * 1. A throw-away database and Redis prefix with the real runtime and HTTP server in
 *    this process as the api role (HTTP and the outbox dispatcher: it creates the
 *    messages) (bench/env.ts), and the production worker in a child process, which
 *    delivers them through BullMQ. Both allow plain http to 127.0.0.1 (the SSRF guard's
 *    allow-list), nothing else changes.
 * 2. --endpoints loopback receivers (node:http in this process) answering 200 at once,
 *    each registered through webhooks.create for contact.created, with the highest
 *    per-endpoint rate limit (10,000/s, above any rate a run reaches, as the floor has no
 *    rate limit) so the rate limit is not what is measured: at 1,000/s, 5 endpoints could
 *    take at most 5,000 deliveries/s, and each endpoint's job paused at every window's end.
 *    Each receiver counts distinct webhook-ids and records, per delivery, the time from
 *    the event's commit to its arrival: arrival minus the body's `timestamp` (the event's
 *    transaction time, at or just before its commit, so the figure is an upper bound).
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
 *    from a plain loop in this process, each signed (webhookSigner, nodeHmac) like a
 *    delivery, over keep-alive connections at the worker's concurrency (4 per endpoint,
 *    the delivery's per-endpoint limit) — no database, no queue. Measured in three rounds
 *    interleaved with the phases (before the throughput phase, between the phases, after the
 *    latency phase) and reported as their median, each round in floor_rounds_per_s: on a
 *    shared host one round swung between 4k and 15k/s from run to run, so a single round
 *    after the phases made the ratio as much the host's load as the delivery's. The receivers
 *    do the same work for a floor POST as for a delivery (parse the body, count the id) and
 *    keep the two tallies apart.
 *
 * Writes bench-results/webhooks.json at the repo root; progress goes to stderr.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { nodeHmac } from "@rapport/api";
import { createRapportClient } from "@rapport/client";
import { webhookSigner } from "@rapport/core/webhook-signature";
import { HOST, repoRoot, startWorker, withBenchEnvironment } from "./env";
import { note, percentile, round } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    events: { type: "string" },
    endpoints: { type: "string" },
    batch: { type: "string" },
    "latency-events": { type: "string" },
    "latency-events-per-s": { type: "string" },
    "latency-batch": { type: "string" },
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
const DEADLINE_MS = 15 * 60_000;
const RESULTS = join(repoRoot, "bench-results/webhooks.json");
const TARGETS = { delivered: "= expected", deliveries_vs_floor: 0.5, p99_commit_to_delivery_ms: 500 } as const;
const WEBHOOK_ENV = { WEBHOOK_ALLOWED_CIDRS: "127.0.0.1/32", WEBHOOK_PLAIN_HTTP_HOSTS: "127.0.0.1" };

interface Receiver {
  server: Server;
  url: string;
  ids: Set<string>;
  requests: number;
  /** The floor's POSTs, apart from the deliveries. */
  floorIds: Set<string>;
}

const FLOOR_ID_PREFIX = "floor_";

/** What every receiver saw, for the phase being measured. */
const tally = { latencies: [] as number[], lastArrival: 0, onArrival: () => {} };

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { server: http.createServer(), url: "", ids: new Set(), requests: 0, floorIds: new Set() };
  receiver.server.keepAliveTimeout = 60_000;
  receiver.server.on("request", (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const arrival = Date.now();
      const id = request.headers["webhook-id"];
      if (typeof id === "string" && id.startsWith(FLOOR_ID_PREFIX)) {
        JSON.parse(Buffer.concat(chunks).toString("utf8"));
        receiver.floorIds.add(id);
      } else receiver.requests++;
      if (typeof id === "string" && !id.startsWith(FLOOR_ID_PREFIX) && !receiver.ids.has(id)) {
        receiver.ids.add(id);
        const { timestamp } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { timestamp: string };
        tally.latencies.push(arrival - Date.parse(timestamp));
        tally.lastArrival = arrival;
        tally.onArrival();
      }
      response.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, HOST, resolve));
  receiver.url = `http://${HOST}:${(receiver.server.address() as AddressInfo).port}/hook`;
  return receiver;
}

function arrivals(receivers: Receiver[]): number {
  return receivers.reduce((sum, receiver) => sum + receiver.ids.size, 0);
}

async function waitForArrivals(receivers: Receiver[], expected: number, label: string): Promise<boolean> {
  const started = Date.now();
  let shown = arrivals(receivers);
  return new Promise((resolve) => {
    const check = () => {
      const got = arrivals(receivers);
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
      tally.onArrival = () => {};
      resolve(done);
    };
    tally.onArrival = () => {
      if (arrivals(receivers) >= expected) check();
    };
  });
}

/** The plain loop: `total` signed POSTs spread over the receivers, `concurrency` at a time. */
async function floorRun(
  receivers: Receiver[],
  total: number,
  concurrency: number,
  roundNumber: number,
): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: PER_ENDPOINT_CONCURRENCY });
  // Signed as a delivery job signs: one signer, Node's HMAC.
  const sign = await webhookSigner([`whsec_${randomBytes(24).toString("base64")}`], nodeHmac);
  let next = 0;
  const post = (url: string, headers: Record<string, string>, body: string) =>
    new Promise<void>((resolve, reject) => {
      const request = http.request(url, { method: "POST", agent, headers }, (response) => {
        response.resume();
        response.on("end", () =>
          response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`)),
        );
      });
      request.on("error", reject);
      request.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const index = next++;
        const receiver = receivers[index % receivers.length]!;
        const id = `${FLOOR_ID_PREFIX}${roundNumber}_${index}`;
        const body = JSON.stringify({ type: "contact.created", timestamp: new Date().toISOString(), data: { id } });
        const timestamp = Math.floor(Date.now() / 1000);
        const headers = {
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": await sign({ id, timestamp, body }),
        };
        await post(
          receiver.url,
          { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
          body,
        );
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const arrived = receivers.reduce((sum, receiver) => sum + receiver.floorIds.size, 0);
  if (arrived !== total) throw new Error(`floor round ${roundNumber}: ${arrived} of ${total} POSTs arrived`);
  for (const receiver of receivers) receiver.floorIds.clear();
  return total / seconds;
}

await withBenchEnvironment({ contacts: 0, interactions: 0, configOverrides: WEBHOOK_ENV }, async (env) => {
  if (env.runtime.queue.driver !== "bullmq")
    throw new Error("bench:webhooks needs Redis: deliveries run in a separate worker process, through BullMQ");
  const receivers = await Promise.all(Array.from({ length: ENDPOINTS }, startReceiver));
  const worker = await startWorker(env, WEBHOOK_ENV);
  try {
    const client = createRapportClient({ url: env.url, token: env.token, batch: false });
    for (const receiver of receivers) {
      await client.webhooks.create.mutate({
        workspaceId: env.workspaceId,
        url: receiver.url,
        description: "bench receiver",
        eventTypes: ["contact.created"],
        rateLimitPerSecond: 10_000,
      });
    }
    note(`${ENDPOINTS} endpoints on loopback receivers; worker pid ${worker.child.pid}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // start-up work (schedules, dispatcher) settles

    const floorConcurrency = ENDPOINTS * PER_ENDPOINT_CONCURRENCY;
    const floorRounds: number[] = [];
    const floorRound = async () => {
      note(`floor round ${floorRounds.length + 1}: ${EVENTS * ENDPOINTS} signed POSTs, ${floorConcurrency} concurrent`);
      floorRounds.push(await floorRun(receivers, EVENTS * ENDPOINTS, floorConcurrency, floorRounds.length + 1));
      note(`floor round ${floorRounds.length}: ${round(floorRounds.at(-1)!, 1)}/s`);
    };

    let created = 0;
    /** One phase: `events` contacts created in commits of `batch`, at `eventsPerS` (null: as fast as the API takes them). */
    const phase = async (label: string, events: number, batch: number, eventsPerS: number | null) => {
      // Ids are kept across phases: a late second request for an earlier phase's message is no arrival here.
      const before = arrivals(receivers);
      tally.latencies = [];
      const expected = events * ENDPOINTS;
      const delivered = waitForArrivals(receivers, before + expected, `${label}: delivered`);
      const [{ now: phaseStart } = { now: "" }] = (await env.benchSql.unsafe("SELECT now()::text AS now")) as {
        now: string;
      }[];
      const started = Date.now();
      for (let offset = 0; offset < events; offset += batch) {
        const size = Math.min(batch, events - offset);
        await client.contacts.bulkCreate.mutate({
          workspaceId: env.workspaceId,
          contacts: Array.from({ length: size }, (_, i) => ({
            name: `Bench Person ${created + offset + i}`,
            email: `person${created + offset + i}@bench-${env.runId}.example`,
            company: `Company ${(offset + i) % 100}`,
          })),
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
      const deliveredWhileProducing = arrivals(receivers) - before;
      note(
        `${label}: ${events} contacts created in ${round((Date.now() - started) / 1000, 1)} s; waiting for deliveries`,
      );
      const complete = await delivered;
      const count = arrivals(receivers) - before;
      if (!complete) note(`${label}: only ${count}/${expected} arrived within ${DEADLINE_MS / 60_000} minutes`);
      const latencies = Float64Array.from(tally.latencies).sort();
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
                percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS post_p99
         FROM (SELECT extract(epoch FROM m.created_at - (m.body::jsonb->>'timestamp')::timestamptz) * 1000 AS lag_ms,
                      extract(epoch FROM a.created_at - m.created_at) * 1000 - a.duration_ms AS wait_ms, a.duration_ms
               FROM webhook_messages m JOIN webhook_attempts a ON a.message_id = m.id AND a.attempt = 1
               WHERE m.created_at >= '${phaseStart}') AS t`,
      );
      const stage = (value: unknown) => round(Number(value ?? Number.NaN), 1);
      return {
        expected,
        delivered: count,
        delivered_in_database: deliveredInDatabase,
        seconds: (tally.lastArrival - started) / 1000,
        produceSeconds: (produced - started) / 1000,
        whileProducingPerSecond: deliveredWhileProducing / ((produced - started) / 1000),
        afterProducingPerSecond:
          (count - deliveredWhileProducing) / Math.max(0.001, (tally.lastArrival - produced) / 1000),
        p50: round(percentile(latencies, 50), 1),
        p99: round(percentile(latencies, 99), 1),
        max: round(latencies.at(-1) ?? Number.NaN, 1),
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
    const duplicates =
      receivers.reduce((sum, receiver) => sum + receiver.requests, 0) - throughput.delivered - latency.delivered;
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
      ratio_to_floor: round(deliveriesPerSecond / floorPerSecond, 3),
      // The unpaced producer's backlog: how long the queue grew, not a latency (see the header).
      backlog_p50_commit_to_delivery_ms: throughput.p50,
      backlog_p99_commit_to_delivery_ms: throughput.p99,
      throughput_stages: throughput.stages,
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
    worker.child.kill("SIGTERM");
    await Promise.race([worker.exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
    for (const receiver of receivers) {
      receiver.server.closeAllConnections();
      receiver.server.close();
    }
  }
});
