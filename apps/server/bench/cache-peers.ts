/**
 * The cache next to the two libraries a TypeScript team would otherwise pick —
 * BentoCache 1.x and cache-manager 7 (Keyv + @keyv/redis) — at library level, on
 * one Redis, one workload:
 *
 *   pnpm bench:cache-peers [--keys 10000] [--concurrency 50] [--duration 8] [--warmup 2]
 *                          [--rounds 3] [--settings memory_redis,redis_only,stampede,redis_killed]
 *                          [--down 7] [--l1-mb N]
 *
 * Workload: --keys keys requested with Zipf(1.1), values ~7 KB of JSON (a
 * recommendation list), a 2 ms loader, --concurrency callers in a closed loop.
 * Every (library, setting) runs in a fresh child process, so memory growth is
 * that library's own; the order of the libraries rotates every round.
 *
 *   memory_redis   memory + Redis tiers with each library's default memory bound
 *                  (Rapport: CACHE_L1_MAX_BYTES' default, or --l1-mb; BentoCache: 1,000 items; cache-manager: an unbounded Keyv
 *                  Map). Rapport runs twice: with the freshness recommendations use (bounded
 *                  staleness: nothing asked per read) and with the read-after-commit fence whose
 *                  probe costs 1 ms (a Postgres round trip). Memory growth = peak RSS − RSS before
 *                  the library was imported (peak, and after a full GC at the end);
 *                  live_after_gc_growth_mb: V8 heap + external still reachable after that GC
 *                  (RSS keeps the high-water mark of the run's garbage, which grows with
 *                  throughput); memory_tier_mb = that with the memory tier − the same library's
 *                  in redis_only: the tier's own footprint.
 *   redis_only     Redis tier only.
 *   stampede       two instances × 100 concurrent calls for one cold key: loader calls.
 *   redis_killed   memory + Redis on a redis-server of its own (never the shared one): killed
 *                  after --warmup s, back after --down s, 3 s more. Errors, max latency, and how
 *                  long after its return the first write reaches Redis.
 *
 * Results: bench-results/cache-peers.json (medians over rounds per setting, ratios
 * rapport_over_bentocache and rapport_over_cache_manager); progress on stderr.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createRandom, createZipfSampler } from "@rapport/core";
import { Redis } from "ioredis";
import { median, note, numberArg, percentile, round } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    keys: { type: "string" },
    concurrency: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    rounds: { type: "string" },
    settings: { type: "string" },
    down: { type: "string" },
    child: { type: "string" },
    lib: { type: "string" },
    "l1-mb": { type: "string" },
    "l1-bytes": { type: "string" },
  },
});
const num = numberArg;
const KEYS = num(args.keys, 10_000, 10, 1_000_000, "keys");
const CONCURRENCY = num(args.concurrency, 50, 1, 1_000, "concurrency");
const DURATION_S = num(args.duration, 8, 1, 600, "duration");
const WARMUP_S = num(args.warmup, 2, 0, 600, "warmup");
const ROUNDS = num(args.rounds, 3, 1, 20, "rounds");
const DOWN_S = num(args.down, 7, 1, 120, "down");
const ZIPF_S = 1.1;
const LOADER_MS = 2;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const WORKSPACE = "0b7c3a52-3f52-4d5e-9a57-0d1f3c0e6a11";
/** Rapport's memory bound: the product's default unless --l1-mb (the parent resolves it; children get --l1-bytes). */
const L1_BYTES = args["l1-bytes"]
  ? num(args["l1-bytes"], 0, 1, 8 * 1024 ** 3, "l1-bytes")
  : args["l1-mb"]
    ? num(args["l1-mb"], 0, 1, 8_192, "l1-mb") * 2 ** 20
    : args.child
      ? 0
      : (await import("../../../packages/api/src/config")).loadConfig({ NODE_ENV: "test" }).CACHE_L1_MAX_BYTES;

type Setting = "memory_redis" | "redis_only" | "stampede" | "redis_killed";
const SETTINGS: Setting[] = ["memory_redis", "redis_only", "stampede", "redis_killed"];
type Lib = "rapport" | "rapport_fenced_1ms" | "bentocache" | "cache_manager";
const LIBS_OF: Record<Setting, Lib[]> = {
  memory_redis: ["rapport", "rapport_fenced_1ms", "bentocache", "cache_manager"],
  redis_only: ["rapport", "bentocache", "cache_manager"],
  stampede: ["rapport", "bentocache", "cache_manager"],
  redis_killed: ["rapport", "bentocache", "cache_manager"],
};

/** One cache instance, as the workload sees it. */
interface Peer {
  getOrSet(key: string, loader: () => Promise<unknown>): Promise<unknown>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- workload

/** ~7 KB of JSON per key, shaped like a recommendation list; `id` lets every answer be checked. */
function valueFor(key: string) {
  const random = createRandom(Number(key.slice(1)) + 1);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join("");
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  return {
    id: key,
    contactId: uuid(),
    k: 20,
    asOf: "2026-12-04T00:00:00.000Z",
    items: Array.from({ length: 20 }, () => ({
      contactId: uuid(),
      name: `Contact ${hex(6)}`,
      score: Math.round(random() * 1e6) / 1e6,
      strength: Math.round(random() * 1e4) / 1e4,
      via: [uuid(), uuid()],
      reasons: ["shared meetings in the last 90 days", `${Math.floor(random() * 40)} common contacts`],
    })),
  };
}

const STUCK = Symbol("stuck");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LoadFigures {
  ops: number;
  ops_per_s: number;
  /** This process' CPU time (user + system) per 1,000 calls in the measured window: less sensitive to a busy host than ops/s. */
  cpu_ms_per_1k_ops: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: number;
  wrong: number;
  loader_calls: number;
}

/** Closed loop: `concurrency` callers, Zipf keys, for warm-up + measured window (or until `until` resolves). */
async function drive(
  peer: Peer,
  options: { warmupMs: number; durationMs: number; onTick?: (elapsedMs: number) => void },
): Promise<LoadFigures & { timeline: Float64Array; timelineCount: number }> {
  const zipf = createZipfSampler(KEYS, ZIPF_S, createRandom(7));
  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const latencies = new Float64Array(5_000_000);
  // Every call (warm-up included) as start time → latency, for the fault setting.
  const timeline = new Float64Array(10_000_000);
  let timelineCount = 0;
  let count = 0;
  let errors = 0;
  let wrong = 0;
  let loaderCalls = 0;
  let measuredDone = 0;
  const loader = (key: string) => async () => {
    loaderCalls++;
    await sleep(LOADER_MS);
    return valueFor(key);
  };
  const record = (t0: number, t1: number, ok: boolean) => {
    if (timelineCount < timeline.length / 2) {
      timeline[timelineCount * 2] = t0 - started;
      timeline[timelineCount * 2 + 1] = t1 - t0;
      timelineCount++;
    }
    if (t0 >= measureFrom) {
      if (!ok) errors++;
      if (count < latencies.length) latencies[count++] = t1 - t0;
      if (t1 <= end) measuredDone++;
    } else if (!ok) errors++;
  };
  // When each caller's call in flight started (NaN: none). A call still unanswered 10 s after the
  // window is counted as an error and its caller stops. The callers are raced against that
  // deadline as a whole, once: racing every call against one long-lived promise would keep each
  // call's reaction and answer reachable until the deadline (~40 MB/s here), and the collector's
  // pauses for that garbage would be measured as the library's latency.
  const callStartedAt = new Float64Array(CONCURRENCY).fill(Number.NaN);
  let hardStopped = false;
  async function caller(index: number) {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end || hardStopped) return;
      const key = `k${zipf()}`;
      let ok = true;
      callStartedAt[index] = t0;
      try {
        const value = (await peer.getOrSet(key, loader(key))) as { id?: string } | undefined;
        if (!value || value.id !== key) wrong++;
      } catch {
        ok = false;
      }
      callStartedAt[index] = Number.NaN;
      if (hardStopped) return; // counted as stuck already
      record(t0, performance.now(), ok);
    }
  }
  // CPU time from the measured window's start until the callers are done (the callers and the
  // library; Redis runs elsewhere).
  let cpuAtStart: NodeJS.CpuUsage | null = null;
  const cpuTimer = setTimeout(() => (cpuAtStart = process.cpuUsage()), options.warmupMs);
  const ticker = options.onTick ? setInterval(() => options.onTick!(performance.now() - started), 10) : null;
  let hardTimer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => caller(i))),
    new Promise<typeof STUCK>((resolve) => {
      hardTimer = setTimeout(() => resolve(STUCK), options.warmupMs + options.durationMs + 10_000);
    }),
  ]);
  if (outcome === STUCK) {
    hardStopped = true;
    const now = performance.now();
    for (const t0 of callStartedAt) if (!Number.isNaN(t0)) record(t0, now, false);
  }
  if (ticker) clearInterval(ticker);
  clearTimeout(hardTimer);
  clearTimeout(cpuTimer);
  const cpu = cpuAtStart ? process.cpuUsage(cpuAtStart) : null;
  const sorted = latencies.subarray(0, count).sort();
  return {
    ops: count,
    ops_per_s: round(measuredDone / (options.durationMs / 1000), 1),
    cpu_ms_per_1k_ops: cpu && measuredDone > 0 ? round((cpu.user + cpu.system) / measuredDone, 3) : Number.NaN,
    p50_ms: round(percentile(sorted, 50), 3),
    p99_ms: round(percentile(sorted, 99), 3),
    max_ms: round(sorted[sorted.length - 1] ?? 0, 2),
    errors,
    wrong,
    loader_calls: loaderCalls,
    timeline,
    timelineCount,
  };
}

// ---------------------------------------------------------------- the libraries

async function createPeer(
  lib: Lib,
  tiers: "memory_redis" | "redis_only",
  redisUrl: string,
  prefix: string,
): Promise<Peer> {
  const ttlSeconds = 3_600;
  if (lib === "rapport" || lib === "rapport_fenced_1ms") {
    const { CacheManager } = await import("../../../packages/api/src/infra/cache/manager");
    const { createLogger } = await import("../../../packages/api/src/logger");
    const { systemClock } = await import("../../../packages/api/src/clock");
    const fenced = lib === "rapport_fenced_1ms";
    const cache = new CacheManager({
      settings: {
        prefix,
        redisUrl,
        timeoutMs: 50,
        breakerFailures: 3,
        breakerCooldownMs: 3_000,
        l1MaxBytes: tiers === "memory_redis" ? L1_BYTES : 0,
        lockTtlMs: 5_000,
        lockWaitMs: 1_000,
        statsFlushMs: 1_000,
      },
      // The recommendations' freshness (bounded staleness) asks nothing per read; the fenced
      // variant asks a probe that answers after 1 ms, like a Postgres round trip.
      freshness: fenced ? { rec: "read-after-commit" } : undefined,
      probe: async (since) => {
        if (fenced) await sleep(1);
        return { snapshot: since?.text ?? "1:1:", changes: [] };
      },
      log: createLogger("silent"),
      clock: systemClock,
    });
    await cache.start();
    return {
      async getOrSet(key, loader) {
        const result = await cache.getOrCompute("rec", WORKSPACE, key, async () => ({ value: await loader() }), {
          ttlSeconds,
        });
        return result.value;
      },
      close: () => cache.close(),
    };
  }
  if (lib === "bentocache") {
    const { BentoCache, bentostore } = await import("bentocache");
    const { memoryDriver } = await import("bentocache/drivers/memory");
    const { redisDriver, redisBusDriver } = await import("bentocache/drivers/redis");
    const url = new URL(redisUrl);
    const connection = { host: url.hostname, port: Number(url.port || 6379) };
    let store = bentostore();
    if (tiers === "memory_redis") store = store.useL1Layer(memoryDriver({})).useBus(redisBusDriver({ connection }));
    store = store.useL2Layer(redisDriver({ connection }));
    const bento = new BentoCache({ default: "cache", prefix, stores: { cache: store } });
    return {
      getOrSet: (key, loader) => bento.getOrSet({ key, factory: loader, ttl: `${ttlSeconds}s` }),
      close: () => bento.disconnectAll(),
    };
  }
  const { createCache } = await import("cache-manager");
  const { Keyv } = await import("keyv");
  const { default: KeyvRedis } = await import("@keyv/redis");
  const redisStore = new Keyv({ store: new KeyvRedis(redisUrl, { namespace: prefix }), namespace: prefix });
  redisStore.on("error", () => {});
  const stores = tiers === "memory_redis" ? [new Keyv(), redisStore] : [redisStore];
  const cache = createCache({ stores });
  return {
    getOrSet: (key, loader) => cache.wrap(key, loader, ttlSeconds * 1_000),
    close: () => cache.disconnect().then(() => undefined),
  };
}

// ---------------------------------------------------------------- child: one (library, setting)

async function child(setting: Setting, lib: Lib): Promise<unknown> {
  const prefix = `bench:peers:${process.pid}:${Date.now()}:`;
  const rssBefore = process.memoryUsage().rss;
  const live = () => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.external;
  };
  (globalThis as { gc?: () => void }).gc?.();
  const liveBefore = live();
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    if (setting === "memory_redis" || setting === "redis_only") {
      const peer = await createPeer(lib, setting, REDIS_URL, prefix);
      const rssAfterImport = process.memoryUsage().rss;
      const figures = await drive(peer, { warmupMs: WARMUP_S * 1_000, durationMs: DURATION_S * 1_000 });
      // What stays once the garbage of the run is collected: the memory tier itself (and the library).
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      await sleep(200);
      gc?.();
      const rssAfterGc = process.memoryUsage().rss;
      const liveAfterGc = live();
      await peer.close();
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const { timeline: _t, timelineCount: _c, ...rest } = figures;
      return {
        ...rest,
        import_mb: round((rssAfterImport - rssBefore) / 2 ** 20, 1),
        rss_growth_mb: round((peakRss - rssBefore) / 2 ** 20, 1),
        rss_after_gc_growth_mb: round((rssAfterGc - rssBefore) / 2 ** 20, 1),
        // What is still reachable then (V8 heap + external): RSS keeps the high-water mark of the garbage.
        live_after_gc_growth_mb: round((liveAfterGc - liveBefore) / 2 ** 20, 1),
      };
    }
    if (setting === "stampede") {
      const [a, b] = [
        await createPeer(lib, "memory_redis", REDIS_URL, prefix),
        await createPeer(lib, "memory_redis", REDIS_URL, prefix),
      ];
      let loaderCalls = 0;
      const loader = async () => {
        loaderCalls++;
        await sleep(LOADER_MS);
        return valueFor("k1");
      };
      const started = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).getOrSet("k1", loader)),
      );
      const ms = performance.now() - started;
      await Promise.all([a.close(), b.close()]);
      return {
        loader_calls: loaderCalls,
        errors: results.filter((r) => r.status === "rejected").length,
        wrong: results.filter((r) => r.status === "fulfilled" && (r.value as { id?: string })?.id !== "k1").length,
        all_answered_ms: round(ms, 1),
      };
    }
    return await killed(lib, prefix);
  } finally {
    clearInterval(sampler);
    if (setting !== "redis_killed") await removeKeys(prefix);
  }
}

/** The shared Redis keeps nothing of a run (other work lists keys with SCAN). */
async function removeKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", `*${prefix}*`, "COUNT", 5_000);
      cursor = next;
      if (batch.length > 0) await redis.unlink(...batch);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Memory + Redis on a redis-server of this process' own, killed for DOWN_S seconds. */
async function killed(lib: Lib, prefix: string) {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server = await startRedis(port);
  const peer = await createPeer(lib, "memory_redis", url, prefix);
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => 20,
  });
  probe.on("error", () => {});
  await probe.connect();
  const killAt = WARMUP_S * 1_000;
  const backAt = killAt + DOWN_S * 1_000;
  let phase: "up" | "down" | "restarting" | "back" = "up";
  let backSince = 0;
  let firstWriteAfterMs: number | null = null;
  let polling = false;
  const figures = await drive(peer, {
    warmupMs: 0,
    durationMs: backAt + 3_000,
    onTick: (elapsed) => {
      if (phase === "up" && elapsed >= killAt) {
        phase = "down";
        server.kill("SIGKILL");
      } else if (phase === "down" && elapsed >= backAt) {
        phase = "restarting";
        void startRedis(port).then((next) => {
          server = next;
          backSince = performance.now();
          phase = "back";
        });
      } else if (phase === "back" && firstWriteAfterMs === null && !polling) {
        // The restarted server is empty (no persistence): its first key is the first write that reached it.
        polling = true;
        probe
          .dbsize()
          .then((size) => {
            if (size > 0 && firstWriteAfterMs === null) firstWriteAfterMs = performance.now() - backSince;
          })
          .catch(() => {})
          .finally(() => {
            polling = false;
          });
      }
    },
  });
  // Latency of calls started while Redis was down or just back.
  let maxDuringFault = 0;
  for (let i = 0; i < figures.timelineCount; i++) {
    const start = figures.timeline[i * 2]!;
    if (start >= killAt && start <= backAt + 3_000)
      maxDuringFault = Math.max(maxDuringFault, figures.timeline[i * 2 + 1]!);
  }
  await Promise.race([peer.close().catch(() => {}), sleep(2_000)]);
  probe.disconnect();
  server.kill("SIGKILL");
  return {
    errors: figures.errors,
    wrong: figures.wrong,
    ops_per_s: figures.ops_per_s,
    max_ms: round(maxDuringFault, 2),
    writes_resume_ms: firstWriteAfterMs === null ? null : round(firstWriteAfterMs, 0),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
    {
      stdio: "ignore",
    },
  );
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (up) return server;
    await sleep(10);
  }
  throw new Error(`redis-server on port ${port} did not start`);
}

// ---------------------------------------------------------------- parent

function runChild(setting: Setting, lib: Lib): Promise<Record<string, number | null>> {
  const self = fileURLToPath(import.meta.url);
  const forwarded = ["keys", "concurrency", "duration", "warmup", "down"].flatMap((name) => {
    const value = (args as Record<string, string | undefined>)[name];
    return value === undefined ? [] : [`--${name}`, value];
  });
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [
        ...["--expose-gc", "--import", "tsx", self, "--child", setting, "--lib", lib],
        ...["--l1-bytes", String(L1_BYTES), ...forwarded],
      ],
      {
        cwd: dirname(dirname(self)),
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NODE_ENV: "production" },
      },
    );
    let out = "";
    let err = "";
    proc.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    // The peers log every refused reconnect while Redis is down: keep the tail for a failure only.
    proc.stderr.on("data", (chunk: Buffer) => (err = (err + chunk.toString("utf8")).slice(-4_000)));
    const killer = setTimeout(() => proc.kill("SIGKILL"), 180_000);
    proc.on("error", reject);
    proc.on("exit", (code) => {
      clearTimeout(killer);
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{"))
        reject(new Error(`${setting}/${lib} exited ${code}: ${out.slice(-500)} ${err.slice(-1_500)}`));
      else resolve(JSON.parse(line));
    });
  });
}

const TARGETS = {
  ops_per_s: "rapport_over_* >= 1.0 (memory_redis with the recommendations' freshness, redis_only)",
  p99_ms: "rapport_over_* <= 1.0",
  rss_growth_mb: "rapport_over_* <= 1.5",
  redis_killed: "0 errors, max latency < 100 ms",
} as const;

async function parent() {
  const settings = (args.settings?.split(",") ?? SETTINGS) as Setting[];
  for (const s of settings) if (!SETTINGS.includes(s)) throw new Error(`unknown setting ${s}`);
  const loadStart = os.loadavg();
  note(
    `node ${process.version}, ${os.cpus().length} CPUs, load ${loadStart.map((l) => l.toFixed(2)).join(" ")}; ` +
      `${KEYS} keys, Zipf(${ZIPF_S}), ~7 KB values, ${LOADER_MS} ms loader, concurrency ${CONCURRENCY}, ` +
      `${WARMUP_S} s + ${DURATION_S} s per run, ${ROUNDS} rounds`,
  );
  const runs: Record<string, Record<string, Record<string, number | null>[]>> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const setting of settings) {
      const libs = LIBS_OF[setting];
      const order = libs.map((_, i) => libs[(i + r) % libs.length]!);
      for (const lib of order) {
        const result = await runChild(setting, lib);
        note(`round ${r + 1} ${setting} ${lib}: ${JSON.stringify(result)} (load ${os.loadavg()[0]!.toFixed(2)})`);
        ((runs[setting] ??= {})[lib] ??= []).push(result);
      }
    }
  }
  const medians: Record<string, Record<string, Record<string, number | null>>> = {};
  for (const [setting, byLib] of Object.entries(runs)) {
    for (const [lib, list] of Object.entries(byLib)) {
      const out: Record<string, number | null> = {};
      for (const field of Object.keys(list[0]!)) {
        const values = list.map((x) => x[field]).filter((v): v is number => typeof v === "number");
        out[field] = values.length === list.length ? median(values) : null;
      }
      (medians[setting] ??= {})[lib] = out;
    }
  }
  // The memory tier's own footprint: what stays after a full GC with it, less the same library without it.
  if (medians.memory_redis && medians.redis_only) {
    for (const [lib, figures] of Object.entries(medians.memory_redis)) {
      const without = medians.redis_only[lib === "rapport_fenced_1ms" ? "rapport" : lib]?.live_after_gc_growth_mb;
      figures.memory_tier_mb =
        figures.live_after_gc_growth_mb == null || without == null
          ? null
          : round(figures.live_after_gc_growth_mb - without, 1);
    }
  }
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a == null || b == null || b === 0 ? null : round(a / b, 3);
  const ratios: Record<string, Record<string, Record<string, number | null>>> = {};
  for (const [setting, byLib] of Object.entries(medians)) {
    const fields =
      setting === "stampede"
        ? ["loader_calls"]
        : setting === "redis_killed"
          ? ["max_ms", "writes_resume_ms"]
          : [
              "ops_per_s",
              "cpu_ms_per_1k_ops",
              "p50_ms",
              "p99_ms",
              "rss_growth_mb",
              "rss_after_gc_growth_mb",
              "live_after_gc_growth_mb",
              "memory_tier_mb",
            ];
    for (const lib of ["rapport", "rapport_fenced_1ms"] as const) {
      if (!byLib[lib]) continue;
      const name = lib === "rapport" ? "" : `${lib}:`;
      for (const [peer, label] of [
        ["bentocache", "rapport_over_bentocache"],
        ["cache_manager", "rapport_over_cache_manager"],
      ] as const) {
        if (!byLib[peer]) continue;
        const entry: Record<string, number | null> = {};
        for (const field of fields) entry[field] = ratio(byLib[lib]![field], byLib[peer]![field]);
        (ratios[setting] ??= {})[`${name}${label}`] = entry;
      }
    }
  }
  const m = medians;
  const rr = ratios;
  const met: Record<string, boolean | null> = {};
  const all = (values: (number | null | undefined)[], ok: (v: number) => boolean) =>
    values.some((v) => v == null) ? null : values.every((v) => ok(v!));
  if (rr.memory_redis) {
    met.memory_redis_ops = all(
      [rr.memory_redis.rapport_over_bentocache?.ops_per_s, rr.memory_redis.rapport_over_cache_manager?.ops_per_s],
      (v) => v >= 1,
    );
    met.memory_redis_p99 = all(
      [rr.memory_redis.rapport_over_bentocache?.p99_ms, rr.memory_redis.rapport_over_cache_manager?.p99_ms],
      (v) => v <= 1,
    );
    met.memory_growth = all(
      [
        rr.memory_redis.rapport_over_bentocache?.rss_growth_mb,
        rr.memory_redis.rapport_over_cache_manager?.rss_growth_mb,
      ],
      (v) => v <= 1.5,
    );
    met.memory_within_1_5x_bound =
      m.memory_redis?.rapport?.rss_growth_mb == null
        ? null
        : m.memory_redis.rapport.rss_growth_mb! <= 1.5 * (L1_BYTES / 2 ** 20);
    met.memory_tier_within_1_5x_bound =
      m.memory_redis?.rapport?.memory_tier_mb == null
        ? null
        : m.memory_redis.rapport.memory_tier_mb! <= 1.5 * (L1_BYTES / 2 ** 20);
    met.memory_after_gc_within_1_5x_bound =
      m.memory_redis?.rapport?.rss_after_gc_growth_mb == null
        ? null
        : m.memory_redis.rapport.rss_after_gc_growth_mb! <= 1.5 * (L1_BYTES / 2 ** 20);
  }
  if (rr.redis_only) {
    met.redis_only_ops = all(
      [rr.redis_only.rapport_over_bentocache?.ops_per_s, rr.redis_only.rapport_over_cache_manager?.ops_per_s],
      (v) => v >= 1,
    );
    met.redis_only_p99 = all(
      [rr.redis_only.rapport_over_bentocache?.p99_ms, rr.redis_only.rapport_over_cache_manager?.p99_ms],
      (v) => v <= 1,
    );
  }
  if (m.stampede?.rapport) met.stampede_one_loader_call = m.stampede.rapport.loader_calls === 1;
  if (m.redis_killed?.rapport) {
    met.redis_killed = m.redis_killed.rapport.errors === 0 && (m.redis_killed.rapport.max_ms ?? Infinity) < 100;
    met.writes_resume_within_1s =
      m.redis_killed.rapport.writes_resume_ms != null && m.redis_killed.rapport.writes_resume_ms <= 1_000;
  }
  const wrong = Object.values(runs)
    .flatMap((byLib) => Object.values(byLib).flat())
    .reduce((sum, x) => sum + (Number(x.wrong) || 0), 0);
  const results = {
    medians,
    ratios,
    targets: TARGETS,
    met,
    wrong_results: wrong,
    runs,
    setup: {
      keys: KEYS,
      zipf_s: ZIPF_S,
      value_bytes: JSON.stringify(valueFor("k1")).length,
      loader_ms: LOADER_MS,
      concurrency: CONCURRENCY,
      warmup_s: WARMUP_S,
      duration_s: DURATION_S,
      rounds: ROUNDS,
      redis_down_s: DOWN_S,
      rapport_l1_bytes: L1_BYTES,
      peers: {
        bentocache: versionOf("bentocache"),
        cache_manager: versionOf("cache-manager"),
        keyv: versionOf("keyv"),
        keyv_redis: versionOf("@keyv/redis"),
      },
      node: process.version,
      cpus: os.cpus().length,
      host_load_avg: { start: loadStart.map((l) => round(l)), end: os.loadavg().map((l) => round(l)) },
      timestamp: new Date().toISOString(),
    },
  };
  const outDir = join(dirname(fileURLToPath(import.meta.url)), "../../../bench-results");
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, "cache-peers.json");
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ medians, ratios, met, wrong_results: wrong }, null, 2)}\n`);
  note(`wrote ${outFile}`);
}

function versionOf(name: string): string | null {
  try {
    const file = join(dirname(fileURLToPath(import.meta.url)), "../node_modules", name, "package.json");
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
}

if (args.child) {
  const result = await child(args.child as Setting, args.lib as Lib);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  await parent();
}
