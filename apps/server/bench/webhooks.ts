/**
 * Webhooks benchmark (`pnpm bench:webhooks`; not part of the tests).
 *
 *   pnpm bench:webhooks [--events 10000] [--endpoints 5] [--batch 100] [--events-per-s N]
 *
 * 1. A throw-away database and Redis prefix with the real runtime and HTTP server in
 *    this process as the api role (HTTP and the outbox dispatcher: it creates the
 *    messages) (bench/env.ts), and the production worker in a child process, which
 *    delivers them through BullMQ. Both allow plain http to 127.0.0.1 (the SSRF guard's
 *    allow-list), nothing else changes.
 * 2. --endpoints loopback receivers (node:http in this process) answering 200 at once,
 *    each registered through webhooks.create for contact.created, with the highest
 *    per-endpoint rate limit (1000/s) so the rate limit is not what is measured.
 * 3. --events contact.created events: contacts.bulkCreate calls of --batch contacts, one
 *    after another, so every event goes to every endpoint: expected = events × endpoints.
 *    Each receiver counts distinct webhook-ids and records, per delivery, the time from
 *    the event's commit to its arrival: arrival minus the body's `timestamp` (the event's
 *    transaction time, at or just before its commit, so the figure is an upper bound).
 *    --events-per-s paces them (a production rate rather than as fast as the API takes them):
 *    then p99_commit_to_delivery_ms is the latency at that rate, and deliveries_per_s is
 *    bounded by it (the ratio to the floor means nothing in such a run).
 * 4. deliveries_per_s: expected / (last arrival − first bulkCreate call).
 * 5. floor_per_s: in the same run, the same number of POSTs to the same receivers from a
 *    plain loop in this process, each signed (webhookSigner, nodeHmac) like a delivery,
 *    over keep-alive connections at the worker's concurrency (4 per endpoint, the
 *    delivery's per-endpoint limit) — no database, no queue.
 *
 * Writes bench-results/webhooks.json (paced: webhooks-paced.json) at the repo root; progress goes to stderr.
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
    "events-per-s": { type: "string" },
  },
});
const EVENTS = Number(args.events ?? 10_000);
const ENDPOINTS = Number(args.endpoints ?? 5);
const BATCH = Number(args.batch ?? 100);
const EVENTS_PER_S = args["events-per-s"] ? Number(args["events-per-s"]) : null;
/** The delivery's per-endpoint concurrency (webhooks service), so the floor gets the same parallelism. */
const PER_ENDPOINT_CONCURRENCY = 4;
const DEADLINE_MS = 15 * 60_000;
// A paced run answers another question (latency at a production rate): its own file.
const RESULTS = join(repoRoot, EVENTS_PER_S ? "bench-results/webhooks-paced.json" : "bench-results/webhooks.json");
const TARGETS = { delivered: "= expected", deliveries_vs_floor: 0.5, p99_commit_to_delivery_ms: 500 } as const;
const WEBHOOK_ENV = { WEBHOOK_ALLOWED_CIDRS: "127.0.0.1/32", WEBHOOK_PLAIN_HTTP_HOSTS: "127.0.0.1" };

interface Receiver {
  server: Server;
  url: string;
  ids: Set<string>;
  requests: number;
}

/** What every receiver saw, for the phase being measured. */
const tally = { latencies: [] as number[], lastArrival: 0, onArrival: () => {} };

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { server: http.createServer(), url: "", ids: new Set(), requests: 0 };
  receiver.server.keepAliveTimeout = 60_000;
  receiver.server.on("request", (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const arrival = Date.now();
      receiver.requests++;
      const id = request.headers["webhook-id"];
      if (typeof id === "string" && !receiver.ids.has(id)) {
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
  let shown = 0;
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
async function floorRun(receivers: Receiver[], total: number, concurrency: number): Promise<number> {
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
        const id = `floor_${index}`;
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
        rateLimitPerSecond: 1_000,
      });
    }
    note(`${ENDPOINTS} endpoints on loopback receivers; worker pid ${worker.child.pid}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // start-up work (schedules, dispatcher) settles

    const expected = EVENTS * ENDPOINTS;
    const delivered = waitForArrivals(receivers, expected, "delivered");
    const started = Date.now();
    for (let offset = 0; offset < EVENTS; offset += BATCH) {
      const size = Math.min(BATCH, EVENTS - offset);
      await client.contacts.bulkCreate.mutate({
        workspaceId: env.workspaceId,
        contacts: Array.from({ length: size }, (_, i) => ({
          name: `Bench Person ${offset + i}`,
          email: `person${offset + i}@bench-${env.runId}.example`,
          company: `Company ${(offset + i) % 100}`,
        })),
      });
      if (EVENTS_PER_S) {
        const due = started + ((offset + size) / EVENTS_PER_S) * 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
    }
    note(`${EVENTS} contacts created in ${round((Date.now() - started) / 1000, 1)} s; waiting for deliveries`);
    const complete = await delivered;
    const count = arrivals(receivers);
    const deliverySeconds = (tally.lastArrival - started) / 1000;
    const latencies = Float64Array.from(tally.latencies).sort();
    const duplicates = receivers.reduce((sum, receiver) => sum + receiver.requests - receiver.ids.size, 0);
    // The receiver answers before the worker records the success: give the last ones a moment.
    let deliveredInDatabase = 0;
    for (let wait = 0; wait < 50 && deliveredInDatabase < count; wait++) {
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      const [row] = await env.benchSql.unsafe(
        "SELECT count(*)::int AS n FROM webhook_messages WHERE status = 'delivered'",
      );
      deliveredInDatabase = Number(row?.n ?? 0);
    }
    if (!complete) note(`only ${count}/${expected} arrived within ${DEADLINE_MS / 60_000} minutes`);
    // Where the time went: event commit -> message written (the outbox consumer), message -> delivered (queue and worker).
    const [stages] = await env.benchSql.unsafe(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms) AS message_p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms) AS message_p99,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY send_ms) AS send_p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY send_ms) AS send_p99
       FROM (SELECT extract(epoch FROM created_at - (body::jsonb->>'timestamp')::timestamptz) * 1000 AS lag_ms,
                    extract(epoch FROM delivered_at - created_at) * 1000 AS send_ms
             FROM webhook_messages WHERE status = 'delivered') AS t`,
    );

    // The floor, after the deliveries: the same receivers, a fresh tally.
    const concurrency = ENDPOINTS * PER_ENDPOINT_CONCURRENCY;
    for (const receiver of receivers) receiver.ids.clear();
    note(`floor: ${expected} signed POSTs, ${concurrency} concurrent`);
    const floorPerSecond = await floorRun(receivers, expected, concurrency);

    const deliveriesPerSecond = count / deliverySeconds;
    const p99 = percentile(latencies, 99);
    const result = {
      benchmark: "webhooks",
      date: new Date().toISOString(),
      node: process.version,
      events: EVENTS,
      endpoints: ENDPOINTS,
      batch: BATCH,
      producer_events_per_s: EVENTS_PER_S ?? "unpaced",
      expected,
      delivered: count,
      delivered_in_database: deliveredInDatabase,
      duplicate_requests: duplicates,
      delivery_s: round(deliverySeconds, 2),
      deliveries_per_s: round(deliveriesPerSecond, 1),
      p50_commit_to_delivery_ms: round(percentile(latencies, 50), 1),
      p99_commit_to_delivery_ms: round(p99, 1),
      max_commit_to_delivery_ms: round(latencies.at(-1) ?? Number.NaN, 1),
      // The two stages of that time, from the database: the outbox consumer writing messages, then the queue and worker.
      p50_commit_to_message_ms: round(Number(stages?.message_p50 ?? Number.NaN), 1),
      p99_commit_to_message_ms: round(Number(stages?.message_p99 ?? Number.NaN), 1),
      p50_message_to_delivered_ms: round(Number(stages?.send_p50 ?? Number.NaN), 1),
      p99_message_to_delivered_ms: round(Number(stages?.send_p99 ?? Number.NaN), 1),
      floor_per_s: round(floorPerSecond, 1),
      floor_concurrency: concurrency,
      ratio_to_floor: round(deliveriesPerSecond / floorPerSecond, 3),
      targets: TARGETS,
      met: {
        delivered: count === expected,
        deliveries_vs_floor: deliveriesPerSecond >= TARGETS.deliveries_vs_floor * floorPerSecond,
        p99_commit_to_delivery_ms: p99 < TARGETS.p99_commit_to_delivery_ms,
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
