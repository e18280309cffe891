/**
 * Cache benchmark: recommendations.forContact through the real HTTP server.
 *
 *   pnpm bench:cache [--contacts 10000] [--interactions 200000] [--concurrency 50]
 *                    [--duration 10] [--warmup 3] [--rounds 3] [--warm-limit 3000]
 *                    [--uncached-duration 45] [--writes-duration 20]
 *
 * Seeds a throw-away workspace (bench/env.ts: own database, own Redis prefix, the
 * real runtime + HTTP server, NODE_ENV=production, LOG_LEVEL=warn) and drives it
 * with a closed-loop keep-alive load generator in a worker thread, requests
 * spread over contacts by Zipf(1.1) (rank = the contact's interaction count):
 *
 *   uncached   a second runtime + server on the same database with CACHE_ENABLED=false:
 *              every request loads the contact's neighbourhood from Postgres and scores it
 *              (same concurrency and mix; steady state after the first burst; 120 s timeout)
 *   warm-up    cache.warmup({ limit: --warm-limit }) through the API, waited for
 *   phase a    reads only, in --rounds rounds interleaved with `ceiling`, a procedure
 *              registered on the same tRPC router for this run only (same middleware and
 *              input schema as forContact) that answers the same JSON from memory
 *   bare       a bare node:http server answering the captured response bytes
 *   phase b    the same reads plus one write per second (interactions.create between two
 *              Zipf-chosen contacts). Every response is checked afterwards against the
 *              recommendations' stated freshness (event-bounded): it must equal a fresh
 *              computation (a graph rebuilt from the rows) on the data as of that request —
 *              every write the server's cache had learned of before it started (commit
 *              wake-up, probe or event), none begun after it ended. How long after the
 *              write's acknowledgement the server's cache learned of it is invalidation_ms
 *              (0 when it learned first: the committing instance applies its commit before
 *              answering); peer_invalidation_ms is the same for another instance of the
 *              deployment (a second runtime on the same database and Redis prefix, in this
 *              process, serving nothing), which learns of it from the commit's Redis message:
 *              the staleness bound for reads on instances that did not take the write. When
 *              the event itself reached the server's bus through the outbox dispatcher (the
 *              fallback path) is event_delivery_ms.
 *
 * hit rates come from the server's own counters for the measurement windows. Results go
 * to bench-results/cache.json and stdout; progress to stderr. Everything created is
 * removed at the end (also on Ctrl-C).
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { appRouter, createRuntime, type Runtime } from "@rapport/api";
import { buildRelationshipGraph, createRandom, createZipfSampler, recommend, scoringInstant } from "@rapport/core";
import { loadWorkspaceRows } from "../../../packages/api/src/modules/recommendations/loader";
import { forContactInput } from "../../../packages/api/src/modules/recommendations/schemas";
import { workspaceMember } from "../../../packages/api/src/trpc";
import { createRapportServer } from "../src/http";
import { HOST, httpGet, repoRoot, withBenchEnvironment, type BenchEnv } from "./env";
import { note, numberArg, percentile, round, runLoad, type PhaseStats } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    contacts: { type: "string" },
    interactions: { type: "string" },
    concurrency: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    rounds: { type: "string" },
    "warm-limit": { type: "string" },
    "uncached-duration": { type: "string" },
    "writes-duration": { type: "string" },
  },
});

const num = numberArg;
const CONTACTS = num(args.contacts, 10_000, 10, 1_000_000, "contacts");
const INTERACTIONS = num(args.interactions, 200_000, 0, 10_000_000, "interactions");
const CONCURRENCY = num(args.concurrency, 50, 1, 1_000, "concurrency");
const DURATION_S = num(args.duration, 10, 1, 600, "duration");
const WARMUP_S = num(args.warmup, 3, 0, 600, "warmup");
const ROUNDS = num(args.rounds, 3, 1, 20, "rounds");
const WARM_LIMIT = num(args["warm-limit"], 3_000, 1, 10_000, "warm-limit");
const UNCACHED_S = num(args["uncached-duration"], 45, 1, 600, "uncached-duration");
const UNCACHED_SKIP_S = Math.min(15, UNCACHED_S / 3);
const WRITES_S = num(args["writes-duration"], 20, 2, 600, "writes-duration");
const ZIPF_S = 1.1;
const SEQUENCE = 200_000;
let superjsonWire: boolean | null = null;
const TARGETS = {
  cached_rps: ">= 0.8 x ceiling_rps",
  uncached_over_cached_p50: ">= 20",
  hit_rate: ">= 0.9",
  wrong_results: "= 0",
  invalidation_p99_ms: "< 50 (the serving instance and another)",
} as const;

const loadAtStart = os.loadavg();
note(
  `node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAtStart.map((l) => l.toFixed(2)).join(" ")}, ` +
    `${CONTACTS} contacts / ${INTERACTIONS} interactions, concurrency ${CONCURRENCY}, Zipf(${ZIPF_S})`,
);

async function main() {
  await withBenchEnvironment({ contacts: CONTACTS, interactions: INTERACTIONS }, async (env) => {
    const { runtime } = env;
    // bench/env.ts starts the runtime as an API instance; process jobs here too (the warm-up).
    await runtime.queue.start({ process: true });
    const load = { host: HOST, concurrency: CONCURRENCY, headers: env.headers, mode: "get" as const };

    // Contacts by interaction count: Zipf rank 0 is the most active one.
    const ranked = (
      await env.benchSql.unsafe(
        `SELECT c.id FROM contacts c LEFT JOIN interaction_participants p ON p.contact_id = c.id
       WHERE c.workspace_id = '${env.workspaceId}' AND c.deleted_at IS NULL
       GROUP BY c.id ORDER BY count(p.id) DESC, c.id`,
      )
    ).map((row) => String(row.id));
    const input = await inputEncoding(env, ranked[0]!);
    const sample = (seed: number, n: number) => {
      const zipf = createZipfSampler(ranked.length, ZIPF_S, createRandom(seed));
      return Int32Array.from({ length: n }, () => zipf());
    };
    const pathsFor = (procedure: string, ranks: Int32Array) =>
      Array.from(
        ranks,
        (rank) =>
          `/trpc/${procedure}?input=${encodeURIComponent(input({ workspaceId: env.workspaceId, contactId: ranked[rank]! }))}`,
      );
    const readRanks = sample(11, SEQUENCE);
    const readPaths = pathsFor("recommendations.forContact", readRanks);
    const readRanksToPaths = (ranks: Int32Array) => pathsFor("recommendations.forContact", ranks);
    note(`${ranked.length} contacts ranked; ${SEQUENCE} Zipf-distributed request paths`);

    // --- uncached: the same reads against a runtime with the cache switched off ---------------
    const uncachedSequential = await withUncachedServer(env, async (port) => {
      const single: number[] = [];
      for (let i = 0; i < 30; i++) {
        const started = performance.now();
        const response = await httpGet(port, readPaths[i]!, env.headers);
        if (response.status !== 200)
          throw new Error(
            `uncached forContact answered ${response.status}: ${response.body.toString("utf8").slice(0, 300)}`,
          );
        single.push(performance.now() - started);
      }
      // Each uncached request takes ~0.1–1 s of Postgres and CPU, so 50 of them queue for tens of
      // seconds: the standard generator's 30 s timeout would cut that off. Requests started in the
      // first UNCACHED_SKIP_S (the initial burst of 50) are left out; the rest are the steady state.
      note(
        `uncached (CACHE_ENABLED=false): ${CONCURRENCY} concurrent for ${UNCACHED_S} s (first ${UNCACHED_SKIP_S} s not measured), 120 s request timeout`,
      );
      const record = await recordLoad({
        port,
        durationMs: UNCACHED_S * 1_000,
        timeoutMs: 120_000,
        hash: false,
        paths: readPaths,
        ranks: readRanks,
        headers: env.headers,
      });
      const firstStart = Math.min(...Array.from(record.start.subarray(0, record.count)));
      const measured: number[] = [];
      let errors = 0;
      for (let i = 0; i < record.count; i++) {
        if (record.start[i]! - firstStart < UNCACHED_SKIP_S * 1_000) continue;
        if (record.status[i] === 200) measured.push(record.end[i]! - record.start[i]!);
        else errors++;
      }
      const stats = {
        ...summarize(measured),
        errors,
        completed_total: record.count,
        throughput_rps: round(
          record.count / ((Math.max(...Array.from(record.end.subarray(0, record.count))) - firstStart) / 1000),
          2,
        ),
      };
      note(
        `uncached: ${stats.n} measured requests, p50 ${stats.p50_ms} ms, p99 ${stats.p99_ms} ms, ${stats.throughput_rps} req/s, errors ${errors}`,
      );
      return { single: summarize(single), loaded: stats };
    });
    const uncached = uncachedSequential.loaded;

    // --- warm-up through the API ----------------------------------------------------------------
    const warmStarted = performance.now();
    const warm = await api(env, "cache.warmup", "POST", { workspaceId: env.workspaceId, limit: WARM_LIMIT });
    let warmStatus = warm as {
      jobId: string;
      state: string;
      progress: number;
      contactsCached: number | null;
      recommendationsGenerated: number | null;
      timeTakenSec: number | null;
    };
    let lastProgress = -1;
    while (warmStatus.state !== "completed" && warmStatus.state !== "failed") {
      await new Promise((resolve) => setTimeout(resolve, 250));
      warmStatus = (await api(env, "cache.warmupStatus", "GET", {
        workspaceId: env.workspaceId,
        jobId: warm.jobId,
      })) as typeof warmStatus;
      if (warmStatus.progress >= lastProgress + 20) {
        lastProgress = warmStatus.progress;
        note(`warm-up ${warmStatus.progress}%`);
      }
    }
    if (warmStatus.state !== "completed") throw new Error(`warm-up ${warmStatus.state}`);
    const warmEndToEndS = round((performance.now() - warmStarted) / 1000);
    note(
      `warm-up: ${warmStatus.contactsCached} contacts, ${warmStatus.recommendationsGenerated} recommendations in ${warmStatus.timeTakenSec} s (job), ${warmEndToEndS} s end to end`,
    );

    // --- the ceiling: same router, same guard and input schema, the same JSON from memory --------
    const sampleList = await runtime.services.recommendations.forContact({
      workspaceId: env.workspaceId,
      contactId: ranked[0]!,
      k: 20,
      includeKnown: false,
    });
    const ceilingProcedure = workspaceMember("member")
      .input(forContactInput)
      .query(() => sampleList);
    (appRouter._def.procedures as Record<string, unknown>)["bench.ceiling"] = ceilingProcedure;
    const ceilingPaths = pathsFor("bench.ceiling", readRanks);
    const sampleResponse = await httpGet(env.port, readPaths[0]!, env.headers);
    const ceilingResponse = await httpGet(env.port, ceilingPaths[0]!, env.headers);
    note(`response ${sampleResponse.body.length} bytes (ceiling answers ${ceilingResponse.body.length} bytes)`);

    // Sequential cached latency, for context.
    const cachedSingle: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await httpGet(env.port, readPaths[i]!, env.headers);
      cachedSingle.push(performance.now() - started);
    }

    // --- phase a: reads only, interleaved with the ceiling ----------------------------------------
    const cachedRounds: PhaseStats[] = [];
    const ceilingRounds: PhaseStats[] = [];
    const hitWindows: { hits: number; misses: number }[] = [];
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      ceilingRounds.push(
        await runLoad(`ceiling (round ${round_ + 1})`, {
          ...load,
          port: env.port,
          warmupMs: WARMUP_S * 1_000,
          durationMs: DURATION_S * 1_000,
          paths: ceilingPaths,
        }),
      );
      const window = countersDuring(runtime, env.workspaceId, WARMUP_S * 1_000, DURATION_S * 1_000);
      cachedRounds.push(
        await runLoad(`cached (round ${round_ + 1})`, {
          ...load,
          port: env.port,
          warmupMs: WARMUP_S * 1_000,
          durationMs: DURATION_S * 1_000,
          paths: readPaths,
        }),
      );
      hitWindows.push(await window);
    }

    // --- bare node:http with the captured bytes -----------------------------------------------------
    const bare = await withBareServer(sampleResponse, (port) =>
      runLoad("bare node:http", {
        ...load,
        port,
        warmupMs: WARMUP_S * 1_000,
        durationMs: DURATION_S * 1_000,
        paths: [readPaths[0]!],
      }),
    );

    // --- phase b: reads + one write per second, every answer checked ------------------------------
    const writes = await phaseWithWrites(env, runtime, ranked, sample(12, SEQUENCE), readRanksToPaths);

    const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
    const cachedRps = round(mean(cachedRounds.map((r) => r.rps)), 1);
    const ceilingRps = round(mean(ceilingRounds.map((r) => r.rps)), 1);
    const cachedP50 = round(mean(cachedRounds.map((r) => r.p50_ms)));
    const cachedP99 = round(mean(cachedRounds.map((r) => r.p99_ms)));
    const hits = hitWindows.reduce((sum, w) => sum + w.hits, 0);
    const lookups = hits + hitWindows.reduce((sum, w) => sum + w.misses, 0);
    const hitRate = lookups === 0 ? 0 : round(hits / lookups, 4);
    const loadAtEnd = os.loadavg();

    const results = {
      uncached_p50_ms: uncached.p50_ms,
      cached_p50_ms: cachedP50,
      cached_p99_ms: cachedP99,
      cached_rps: cachedRps,
      hit_rate: hitRate,
      hit_rate_with_writes: writes.hitRate,
      wrong_results: writes.wrong,
      invalidation_p99_ms: writes.details.invalidation_ms.p99_ms,
      peer_invalidation_p99_ms: writes.details.peer_invalidation_ms.p99_ms,
      ceiling_rps: ceilingRps,
      bare_rps: bare.rps,
      targets: TARGETS,
      ratios: {
        cached_over_ceiling_rps: round(cachedRps / ceilingRps, 3),
        uncached_over_cached_p50: round(uncached.p50_ms / cachedP50, 1),
      },
      met: {
        cached_rps: cachedRps >= 0.8 * ceilingRps,
        uncached_over_cached_p50: uncached.p50_ms / cachedP50 >= 20,
        hit_rate: hitRate >= 0.9,
        wrong_results: writes.wrong === 0 && writes.checked > 0,
        invalidation_p99_ms:
          writes.details.invalidation_ms.p99_ms < 50 && writes.details.peer_invalidation_ms.p99_ms < 50,
      },
      setup: {
        contacts_seeded: env.seeded.contacts,
        interactions_seeded: env.seeded.interactions,
        participants_seeded: env.seeded.participants,
        concurrency: CONCURRENCY,
        zipf_s: ZIPF_S,
        rounds: ROUNDS,
        duration_s: DURATION_S,
        warmup_s: WARMUP_S,
        warm_limit: WARM_LIMIT,
        response_bytes: sampleResponse.body.length,
        node: process.version,
        cpus: os.cpus().length,
        // Other engineers' work shares these 2 vCPUs with the server, Postgres, Redis and the load generator.
        host_load_avg: { start: loadAtStart.map((l) => round(l)), end: loadAtEnd.map((l) => round(l)) },
        timestamp: new Date().toISOString(),
      },
      details: {
        warmup: { ...warmStatus, end_to_end_s: warmEndToEndS },
        uncached: { concurrent: uncached, sequential_ms: uncachedSequential.single },
        cached_sequential_ms: summarize(cachedSingle),
        cached_rounds: cachedRounds,
        ceiling_rounds: ceilingRounds,
        hit_windows: hitWindows,
        bare,
        writes: writes.details,
      },
    };
    const outDir = join(repoRoot, "bench-results");
    mkdirSync(outDir, { recursive: true });
    const outFile = join(outDir, "cache.json");
    const json = `${JSON.stringify(results, null, 2)}\n`;
    writeFileSync(outFile, json);
    process.stdout.write(json);
    note(`wrote ${outFile}`);
  });
}

/** GET input encoding of this server's wire format (plain JSON, or superjson's {"json": …}). */
async function inputEncoding(env: BenchEnv, contactId: string): Promise<(value: unknown) => string> {
  const plain = (value: unknown) => JSON.stringify(value);
  const wrapped = (value: unknown) => JSON.stringify({ json: value });
  for (const encode of [plain, wrapped]) {
    const response = await httpGet(
      env.port,
      `/trpc/recommendations.forContact?input=${encodeURIComponent(encode({ workspaceId: env.workspaceId, contactId }))}`,
      env.headers,
    );
    if (response.status === 200) return encode;
  }
  throw new Error("recommendations.forContact answers neither plain JSON nor superjson input");
}

/** A procedure call over HTTP (for the few calls outside the load phases). */
async function api(env: BenchEnv, path: string, method: "GET" | "POST", payload: unknown): Promise<any> {
  const plain = !(await isSuperjson(env));
  const body = JSON.stringify(plain ? payload : { json: payload });
  const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: HOST,
        port: env.port,
        method,
        path: method === "GET" ? `/trpc/${path}?input=${encodeURIComponent(body)}` : `/trpc/${path}`,
        headers: {
          ...env.headers,
          ...(method === "POST"
            ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(method === "POST" ? body : undefined);
  });
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${response.body.slice(0, 300)}`);
  return unwrap(JSON.parse(response.body));
}

async function isSuperjson(env: BenchEnv): Promise<boolean> {
  if (superjsonWire === null) {
    const response = await httpGet(env.port, `/trpc/auth.me`, env.headers);
    superjsonWire = /"json"\s*:/.test(response.body.toString("utf8").slice(0, 40));
  }
  return superjsonWire;
}

function unwrap(body: { result: { data: unknown } }): any {
  const data = body.result.data as { json?: unknown };
  return data && typeof data === "object" && "json" in data ? data.json : data;
}

function summarize(samples: number[]) {
  const sorted = Float64Array.from(samples).sort();
  return {
    n: sorted.length,
    p50_ms: round(percentile(sorted, 50)),
    p90_ms: round(percentile(sorted, 90)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted[sorted.length - 1] ?? NaN),
  };
}

/** The server's own hit/miss counters over the measurement window of a load phase. */
function countersDuring(
  runtime: Runtime,
  workspaceId: string,
  startMs: number,
  durationMs: number,
): Promise<{ hits: number; misses: number }> {
  const read = () => {
    const totals = runtime.cache.stats.totals.get(workspaceId);
    return { hits: (totals?.hitsL1 ?? 0) + (totals?.hitsL2 ?? 0), misses: totals?.misses ?? 0 };
  };
  return new Promise((resolve) => {
    setTimeout(() => {
      const start = read();
      setTimeout(() => {
        const end = read();
        resolve({ hits: end.hits - start.hits, misses: end.misses - start.misses });
      }, durationMs);
    }, startMs);
  });
}

async function withUncachedServer<T>(env: BenchEnv, body: (port: number) => Promise<T>): Promise<T> {
  const runtime = await createRuntime({ ...env.runtime.config, CACHE_ENABLED: false }, { migrate: false });
  await runtime.start("api");
  const server = createRapportServer(runtime);
  try {
    const { port } = await server.listen(0, HOST);
    return await body(port);
  } finally {
    await server.close(2_000);
    await runtime.close();
  }
}

async function withBareServer<T>(
  captured: { headers: http.IncomingHttpHeaders; body: Buffer },
  body: (port: number) => Promise<T>,
): Promise<T> {
  const contentType = captured.headers["content-type"] ?? "application/json";
  const bare = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": contentType, "content-length": captured.body.length });
    res.end(captured.body);
  });
  bare.keepAliveTimeout = 65_000;
  try {
    const port = await new Promise<number>((resolvePromise, reject) => {
      bare.once("error", reject);
      bare.listen(0, HOST, () => resolvePromise((bare.address() as { port: number }).port));
    });
    return await body(port);
  } finally {
    await new Promise<void>((done) => {
      bare.close(() => done());
      bare.closeAllConnections();
    });
  }
}

interface ReadRecord {
  rank: Int32Array;
  start: Float64Array;
  end: Float64Array;
  hash: Int32Array;
  status: Int32Array;
  hashes: string[];
  count: number;
}

/** Runs the recording load generator (closed loop, Zipf paths) for `durationMs`; resolves when every request has finished. */
function recordLoad(spec: {
  port: number;
  durationMs: number;
  timeoutMs?: number;
  hash: boolean;
  paths: string[];
  ranks: Int32Array;
  headers: Record<string, string>;
}): Promise<ReadRecord> {
  const worker = new Worker(RECORDING_LOADGEN, {
    eval: true,
    workerData: { host: HOST, concurrency: CONCURRENCY, ...spec },
  });
  return new Promise<ReadRecord>((resolve, reject) => {
    worker.once("message", (message: { ok: boolean; error?: string; result?: ReadRecord }) =>
      message.ok ? resolve(message.result!) : reject(new Error(message.error)),
    );
    worker.once("error", reject);
  }).finally(() => void worker.terminate());
}

/**
 * Phase b. Reads run in a worker (closed loop, same Zipf paths) and record, per
 * response, the contact, start/end times (epoch ms) and a hash of its items; the
 * main thread adds one interaction per second through the API and records when
 * each write started and was acknowledged. Afterwards every response is compared
 * with a fresh computation on the state as of its request.
 */
async function phaseWithWrites(
  env: BenchEnv,
  runtime: Runtime,
  ranked: string[],
  readRanks: Int32Array,
  toPaths: (ranks: Int32Array) => string[],
) {
  const readPaths = toPaths(readRanks);
  // Another instance (not started: it serves nothing and runs no consumers) hears of each write
  // the way every instance that did not take it does: the commit's Redis message, or the event.
  const peer = await createRuntime(runtime.config, { migrate: false });
  const before = { ...runtime.cache.stats.totals.get(env.workspaceId) };
  const recorded = recordLoad({
    port: env.port,
    durationMs: WRITES_S * 1_000,
    hash: true,
    paths: readPaths,
    ranks: readRanks,
    headers: env.headers,
  });
  note(`writes: ${CONCURRENCY} concurrent readers for ${WRITES_S} s, one interactions.create per second`);

  const writeRandom = createRandom(99);
  const writeZipf = createZipfSampler(ranked.length, ZIPF_S, writeRandom);
  const writes: { startedAt: number; ackedAt: number; interactionId: string; participants: string[] }[] = [];
  // When this server's cache learned of each change (by event id), and when each write's event reached its bus.
  const learnedAt = new Map<number, number>();
  const stopLearning = runtime.cache.onChange((workspaceId, eventIds) => {
    if (workspaceId !== env.workspaceId) return;
    const at = performance.timeOrigin + performance.now();
    for (const id of eventIds) learnedAt.set(id, at);
  });
  const peerLearnedAt = new Map<number, number>();
  const stopPeerLearning = peer.cache.onChange((workspaceId, eventIds) => {
    if (workspaceId !== env.workspaceId) return;
    const at = performance.timeOrigin + performance.now();
    for (const id of eventIds) peerLearnedAt.set(id, at);
  });
  const relayedAt = new Map<string, number>();
  const stopListening = runtime.bus.subscribe((event) => {
    if (event.type === "interaction.created" && event.workspaceId === env.workspaceId)
      relayedAt.set(String(event.payload.interactionId), performance.timeOrigin + performance.now());
  });
  const phaseStart = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let i = 0; Date.now() - phaseStart < WRITES_S * 1_000 - 700; i++) {
    const next = phaseStart + 500 + i * 1_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    const a = ranked[writeZipf()]!;
    let b = ranked[writeZipf()]!;
    while (b === a) b = ranked[writeZipf()]!;
    const startedAt = performance.timeOrigin + performance.now();
    const created = await api(env, "interactions.create", "POST", {
      workspaceId: env.workspaceId,
      contactId: a,
      type: "email",
      direction: "outbound",
      occurredAt: new Date().toISOString(),
      subject: "Bench write",
      participants: [{ contactId: b }],
    });
    writes.push({
      startedAt,
      ackedAt: performance.timeOrigin + performance.now(),
      interactionId: created.interaction.id,
      participants: [a, b],
    });
  }
  const reads = await recorded;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  stopListening();
  stopLearning();
  stopPeerLearning();
  await peer.close();
  // Ids the API returned (UUIDs), checked before they go into the query text.
  const written = writes.map((w) => w.interactionId).filter((id) => /^[0-9a-f-]{36}$/.test(id));
  const eventOf = new Map(
    written.length === 0
      ? []
      : (
          await env.benchSql.unsafe(
            `SELECT id::text AS id, payload->>'interactionId' AS interaction_id FROM domain_events
             WHERE workspace_id = '${env.workspaceId}' AND type = 'interaction.created'
               AND payload->>'interactionId' IN (${written.map((id) => `'${id}'`).join(", ")})`,
          )
        ).map((row) => [String(row.interaction_id), Number(row.id)] as const),
  );
  const heardAt = new Map<string, number>();
  const peerHeardAt = new Map<string, number>();
  for (const w of writes) {
    const at = learnedAt.get(eventOf.get(w.interactionId) ?? -1);
    if (at !== undefined) heardAt.set(w.interactionId, at);
    const peerAt = peerLearnedAt.get(eventOf.get(w.interactionId) ?? -1);
    if (peerAt !== undefined) peerHeardAt.set(w.interactionId, peerAt);
  }
  const after = runtime.cache.stats.totals.get(env.workspaceId)!;
  const hits = after.hitsL1 + after.hitsL2 - ((before?.hitsL1 ?? 0) + (before?.hitsL2 ?? 0));
  const misses = after.misses - (before?.misses ?? 0);
  note(
    `writes: ${writes.length} writes, ${reads.count} reads recorded; checking every answer against a fresh computation`,
  );

  // Fresh computations: the final rows, minus the writes not yet made, rebuilt into a new graph per state.
  const checkStarted = performance.now();
  const rows = await loadWorkspaceRows(runtime.database.db, env.workspaceId);
  const params = {
    halfLifeDays: runtime.config.RECS_HALF_LIFE_DAYS,
    companyWeight: runtime.config.RECS_COMPANY_WEIGHT,
    knownThreshold: runtime.config.RECS_KNOWN_THRESHOLD,
  };
  const writeIds = writes.map((w) => w.interactionId);
  const allowed = (i: number): [number, number] => {
    // States a response may show: every write whose event had arrived before it started … every write begun
    // before it ended. Writes are sequential, so the ones that must show are a prefix.
    let lo = 0;
    let hi = 0;
    while (lo < writes.length && (heardAt.get(writes[lo]!.interactionId) ?? Number.POSITIVE_INFINITY) < reads.start[i]!)
      lo++;
    for (const w of writes) if (w.startedAt < reads.end[i]!) hi++;
    return [lo, hi];
  };
  const needed = new Map<number, Set<number>>(); // state → ranks
  const ranges: [number, number][] = [];
  for (let i = 0; i < reads.count; i++) {
    if (reads.status[i] !== 200) continue;
    const range = allowed(i);
    ranges[i] = range;
    for (let state = range[0]; state <= range[1]; state++) {
      let set = needed.get(state);
      if (!set) needed.set(state, (set = new Set()));
      set.add(reads.rank[i]!);
    }
  }
  const expected = new Map<string, Set<string>>(); // `${state}:${rank}` → hashes (one per possible asOf)
  const days = new Set<number>();
  for (let i = 0; i < reads.count; i++)
    days.add(scoringInstant(reads.start[i]!).getTime()).add(scoringInstant(reads.end[i]!).getTime());
  for (const [state, rankSet] of [...needed].sort((a, b) => a[0] - b[0])) {
    const excluded = new Set(writeIds.slice(state));
    const graph = buildRelationshipGraph(
      { contacts: rows.contacts, interactions: rows.interactions.filter((x) => !excluded.has(x.id)) },
      params,
    );
    for (const rank of rankSet) {
      const hashes = new Set<string>();
      for (const day of days) hashes.add(sha1(JSON.stringify(recommend(graph, ranked[rank]!, { k: 20, asOf: day }))));
      expected.set(`${state}:${rank}`, hashes);
    }
  }
  let wrong = 0;
  let checked = 0;
  let reflectedWrite = 0;
  const wrongSamples: unknown[] = [];
  for (let i = 0; i < reads.count; i++) {
    if (reads.status[i] !== 200) continue;
    checked++;
    const [lo, hi] = ranges[i]!;
    const got = reads.hashes[reads.hash[i]!]!;
    let ok = false;
    for (let state = lo; state <= hi && !ok; state++) ok = expected.get(`${state}:${reads.rank[i]}`)!.has(got);
    if (!ok) {
      wrong++;
      if (wrongSamples.length < 5)
        wrongSamples.push({
          contactId: ranked[reads.rank[i]!],
          states: [lo, hi],
          startedAt: new Date(reads.start[i]!).toISOString(),
        });
    } else if (lo > 0 && !expected.get(`0:${reads.rank[i]}`)?.has(got)) {
      reflectedWrite++;
    }
  }
  const latencies = Array.from({ length: reads.count }, (_, i) => reads.end[i]! - reads.start[i]!);
  const errors = Array.from(reads.status.subarray(0, reads.count)).filter((s) => s !== 200).length;
  note(
    `writes: checked ${checked} answers in ${round((performance.now() - checkStarted) / 1000)} s: ${wrong} wrong, ${reflectedWrite} showed at least one of the new interactions`,
  );
  return {
    wrong,
    checked,
    hitRate: hits + misses === 0 ? 0 : round(hits / (hits + misses), 4),
    details: {
      writes: writes.length,
      write_latency_ms: summarize(writes.map((w) => w.ackedAt - w.startedAt)),
      // From the write's acknowledgement until the server's cache learned of it (0 if it came first).
      invalidation_ms: summarize(
        writes.map((w) => Math.max(0, (heardAt.get(w.interactionId) ?? Number.POSITIVE_INFINITY) - w.ackedAt)),
      ),
      changes_not_learned: writes.filter((w) => !heardAt.has(w.interactionId)).length,
      // The same for another instance of the deployment.
      peer_invalidation_ms: summarize(
        writes.map((w) => Math.max(0, (peerHeardAt.get(w.interactionId) ?? Number.POSITIVE_INFINITY) - w.ackedAt)),
      ),
      peer_changes_not_learned: writes.filter((w) => !peerHeardAt.has(w.interactionId)).length,
      // From the acknowledgement until the event reached the server's bus (outbox → dispatcher → pub/sub).
      event_delivery_ms: summarize(
        writes.map((w) => Math.max(0, (relayedAt.get(w.interactionId) ?? Number.POSITIVE_INFINITY) - w.ackedAt)),
      ),
      reads: reads.count,
      read_errors: errors,
      rps: round(reads.count / WRITES_S, 1),
      read_latency_ms: summarize(latencies),
      hits,
      misses,
      answers_checked: checked,
      answers_reflecting_a_new_interaction: reflectedWrite,
      states_rebuilt: needed.size,
      wrong_samples: wrongSamples,
    },
  };
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

/** Closed-loop reader for phase b (plain JS: tsx's loader does not reach worker threads on Node 20). */
const RECORDING_LOADGEN = `
const http = require("node:http");
const crypto = require("node:crypto");
const { parentPort, workerData: spec } = require("node:worker_threads");
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency, maxFreeSockets: spec.concurrency });
const timeoutMs = spec.timeoutMs || 30000;
const max = 2000000;
const rank = new Int32Array(max), start = new Float64Array(max), end = new Float64Array(max), hash = new Int32Array(max), status = new Int32Array(max);
const hashes = [], hashIndex = new Map();
let count = 0, sequence = 0;
const now = () => performance.timeOrigin + performance.now();
const deadline = now() + spec.durationMs;
function send(path) {
  return new Promise((resolve) => {
    const req = http.request({ host: spec.host, port: spec.port, path, agent, headers: spec.headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode || 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", () => resolve({ status: 0, body: "" }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end();
  });
}
async function loop() {
  while (count < max) {
    const t0 = now();
    if (t0 >= deadline) return;
    const n = sequence++ % spec.paths.length;
    const result = await send(spec.paths[n]);
    const i = count++;
    rank[i] = spec.ranks[n]; start[i] = t0; end[i] = now(); status[i] = result.status;
    if (result.status === 200 && spec.hash) {
      const data = JSON.parse(result.body).result.data;
      const list = data && data.json !== undefined ? data.json : data;
      const digest = crypto.createHash("sha1").update(JSON.stringify(list.items)).digest("hex");
      let index = hashIndex.get(digest);
      if (index === undefined) { index = hashes.length; hashes.push(digest); hashIndex.set(digest, index); }
      hash[i] = index;
    }
  }
}
Promise.all(Array.from({ length: spec.concurrency }, loop)).then(
  () => { agent.destroy(); parentPort.postMessage({ ok: true, result: { rank, start, end, hash, status, hashes, count } }); },
  (error) => parentPort.postMessage({ ok: false, error: String(error && error.stack || error) }),
);
`;

await main();
// A stray handle (e.g. a socket that never closed) must not keep the process alive.
setTimeout(() => process.exit(), 2_000).unref();
