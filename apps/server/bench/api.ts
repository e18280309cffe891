/**
 * API benchmark: contacts.list and contacts.create through the real HTTP server.
 *
 *   pnpm bench:api [--contacts 100000] [--interactions 0] [--duration 10] [--warmup 2]
 *                  [--concurrency 20] [--pages 5]
 *
 * Creates a throw-away Postgres database and Redis key prefix, starts the real
 * runtime + HTTP server on 127.0.0.1, registers a user and creates a workspace
 * through the API, bulk-seeds contacts, then drives the server with a
 * closed-loop keep-alive load generator running in a worker thread
 * (bench/loadgen.mjs). A bare node:http server answering a captured list page
 * from memory, driven the same way, gives the ceiling of this machine + load
 * generator. Results go to bench-results/api.json at the repo root and stdout.
 * Everything created is removed at the end (also on Ctrl-C).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { createRuntime, loadConfig, type Runtime } from "@rapport/api";
import { createRapportClient } from "@rapport/client";
import { seedWorkspace } from "@rapport/db/seed";
import { Redis } from "ioredis";
import { createRapportServer, type RapportServer } from "../src/http";

// ---------------------------------------------------------------- options

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = findRepoRoot(here);

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    contacts: { type: "string" },
    interactions: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    concurrency: { type: "string" },
    pages: { type: "string" },
  },
});

const CONTACTS = intArg(args.contacts, 100_000, "contacts", 0);
const INTERACTIONS = intArg(args.interactions, 0, "interactions", 0);
const DURATION_S = numArg(args.duration, 10, "duration");
const WARMUP_S = numArg(args.warmup, 2, "warmup");
const CONCURRENCY = intArg(args.concurrency, 20, "concurrency", 1);
const PAGES = intArg(args.pages, 5, "pages", 1);
const PAGE_SIZE = 50;
const TARGETS = { list_p99_ms: "< 20", create_per_s: ">= 1000" } as const;

const HOST = "127.0.0.1";
const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const RUN_ID = randomBytes(6).toString("hex");
const DB_NAME = `rapport_bench_${RUN_ID}`;
const REDIS_PREFIX = `rapport-bench-${RUN_ID}:`;

function intArg(value: string | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

function numArg(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 600) throw new Error(`--${name} must be a number of seconds between 0 and 600`);
  return n;
}

function findRepoRoot(start: string): string {
  let dir = resolve(start);
  for (let depth = 0; depth < 50; depth++) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`pnpm-workspace.yaml not found above ${start}`);
}

function note(message: string) {
  process.stderr.write(`[bench] ${message}\n`);
}

// ------------------------------------------------------- admin connection

/** The slice of postgres.js this script uses (the package belongs to @rapport/db). */
interface AdminSql {
  unsafe(query: string): Promise<unknown[]>;
  end(options?: { timeout?: number }): Promise<void>;
}
type PostgresFactory = (url: string, options?: Record<string, unknown>) => AdminSql;

function loadPostgres(): PostgresFactory {
  // apps/server does not depend on postgres directly; resolve the copy @rapport/db uses.
  const requireFromDb = createRequire(join(repoRoot, "packages/db/package.json"));
  return requireFromDb("postgres") as PostgresFactory;
}

// ------------------------------------------------------------ load runner

interface LoadSpec {
  host: string;
  port: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  headers: Record<string, string>;
  mode: "get" | "create";
  paths?: string[];
  create?: { path: string; workspaceId: string; tag: string };
}

interface LoadResult {
  latencies: Float64Array;
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

interface PhaseStats {
  requests: number;
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  errors: number;
  status_counts: Record<string, number>;
  error_samples: string[];
  /** Main-thread (server) event-loop delay during the window. */
  server_loop_delay_p99_ms: number;
  /** CPU used by this process (server thread + load-generator thread + pg client work) per wall second. */
  process_cpu_cores: number;
}

async function runLoad(label: string, spec: LoadSpec): Promise<PhaseStats> {
  note(`${label}: ${spec.concurrency} concurrent, ${spec.warmupMs / 1000} s warm-up + ${spec.durationMs / 1000} s`);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  let cpuAtWindow: NodeJS.CpuUsage | null = null;
  let wallAtWindow = 0;
  const windowTimer = setTimeout(() => {
    loopDelay.enable();
    cpuAtWindow = process.cpuUsage();
    wallAtWindow = performance.now();
  }, spec.warmupMs);
  let cpuCores = 0;
  const cpuTimer = setTimeout(() => {
    if (!cpuAtWindow) return;
    const used = process.cpuUsage(cpuAtWindow);
    cpuCores = (used.user + used.system) / 1000 / (performance.now() - wallAtWindow);
    loopDelay.disable();
  }, spec.warmupMs + spec.durationMs);

  const worker = new Worker(new URL("./loadgen.mjs", import.meta.url), { workerData: spec });
  const result = await new Promise<LoadResult>((resolvePromise, reject) => {
    worker.once("message", (message: { ok: true; result: LoadResult } | { ok: false; error: string }) => {
      if (message.ok) resolvePromise(message.result);
      else reject(new Error(`load generator failed: ${message.error}`));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`load generator exited with code ${code}`)));
  });
  clearTimeout(windowTimer);
  clearTimeout(cpuTimer);
  loopDelay.disable();
  await worker.terminate();

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
    status_counts: result.statusCounts,
    error_samples: result.errorSamples,
    server_loop_delay_p99_ms: round(loopDelay.percentile(99) / 1e6),
    process_cpu_cores: round(cpuCores),
  };
  note(
    `${label}: ${stats.requests} requests, ${stats.rps} req/s, p50 ${stats.p50_ms} ms, p99 ${stats.p99_ms} ms, ` +
      `max ${stats.max_ms} ms, errors ${stats.errors}${result.warmupErrors ? ` (+${result.warmupErrors} in warm-up)` : ""}`,
  );
  for (const sample of result.errorSamples) note(`${label}: error sample: ${sample}`);
  return stats;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// ----------------------------------------------------------- raw requests

function httpGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolvePromise, reject) => {
    const req = http.request({ host: HOST, port, path, method: "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function listPath(input: Record<string, unknown>): string {
  return `/trpc/contacts.list?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
}

// ------------------------------------------------------------------- main

let runtime: Runtime | null = null;
let server: RapportServer | null = null;
let ceiling: http.Server | null = null;
let admin: AdminSql | null = null;
let databaseCreated = false;
let cleanedUp: Promise<void> | null = null;

async function main() {
  note(`run ${RUN_ID}: node ${process.version}, ${os.cpus().length} CPUs, database ${DB_NAME}, redis prefix ${REDIS_PREFIX}`);
  const postgres = loadPostgres();
  admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  await admin.unsafe(`CREATE DATABASE "${DB_NAME}"`);
  databaseCreated = true;
  const databaseUrl = new URL(ADMIN_URL);
  databaseUrl.pathname = `/${DB_NAME}`;

  const config = loadConfig({
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL,
    REDIS_PREFIX,
    LOG_LEVEL: "warn",
    JWT_SECRET: randomBytes(36).toString("base64url"),
    LOGIN_MAX_PER_IP: "1000000",
  });
  runtime = await createRuntime(config, { migrate: true });
  if (!runtime.redis) note("warning: Redis is not answering; the runtime runs in degraded (in-process) mode");
  await runtime.start("api");
  server = createRapportServer(runtime);
  const { port, url } = await server.listen(0, HOST);
  note(`server on ${url} (DATABASE_POOL_SIZE ${config.DATABASE_POOL_SIZE}, LOG_LEVEL ${config.LOG_LEVEL})`);

  // Account and workspace through the real API.
  let token: string | null = null;
  const client = createRapportClient({ url, token: () => token, batch: false });
  const registered = await client.auth.register.mutate({
    email: `bench-${RUN_ID}@bench.example`,
    password: randomBytes(18).toString("base64url"),
    name: "Bench User",
  });
  token = registered.accessToken;
  const workspace = await client.workspaces.create.mutate({ name: `Bench ${RUN_ID}` });
  note(`registered ${registered.user.email}, workspace ${workspace.id}`);

  // Bulk data.
  let lastShown = -1;
  const seeded = await seedWorkspace(runtime.database.db, {
    workspaceId: workspace.id,
    contacts: CONTACTS,
    interactions: INTERACTIONS,
    createdBy: registered.user.id,
    onProgress: (phase, done, total) => {
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth === lastShown && done < total) return;
      lastShown = tenth;
      note(`seed ${phase}: ${done}/${total}`);
    },
  });
  note(`seeded ${seeded.contacts} contacts, ${seeded.interactions} interactions in ${seeded.ms} ms`);
  // Planner statistics as a live database would have them (autovacuum would get there on its own, later).
  await admin.unsafe("SELECT 1"); // keep the admin connection warm for the drop at the end
  const started = performance.now();
  await runtime.database.runRawTransaction(async (tx) => tx.exec("ANALYZE"));
  note(`ANALYZE in ${Math.round(performance.now() - started)} ms`);

  const headers = { authorization: `Bearer ${token}`, accept: "application/json", "user-agent": "rapport-bench" };

  // Pages to cycle through: the first page and the next PAGES-1 cursors.
  const baseInput = { workspaceId: workspace.id, limit: PAGE_SIZE, sort: "updated" };
  const paths: string[] = [listPath(baseInput)];
  const first = await httpGet(port, paths[0]!, headers);
  if (first.status !== 200) throw new Error(`contacts.list answered ${first.status}: ${first.body.toString("utf8").slice(0, 300)}`);
  const firstPage = first.body;
  let page = first;
  for (let i = 1; i < PAGES; i++) {
    const parsed = JSON.parse(page.body.toString("utf8")) as { result: { data: { json: { items: unknown[]; nextCursor: string | null } } } };
    const cursor = parsed.result.data.json.nextCursor;
    if (i === 1) note(`first page: ${parsed.result.data.json.items.length} items, ${firstPage.length} bytes`);
    if (!cursor) break;
    const path = listPath({ ...baseInput, cursor });
    paths.push(path);
    page = await httpGet(port, path, headers);
    if (page.status !== 200) throw new Error(`contacts.list (page ${i + 1}) answered ${page.status}`);
  }

  const load = {
    host: HOST,
    concurrency: CONCURRENCY,
    warmupMs: WARMUP_S * 1000,
    durationMs: DURATION_S * 1000,
    headers,
  };

  const list = await runLoad("contacts.list", { ...load, port, mode: "get", paths });
  const create = await runLoad("contacts.create", {
    ...load,
    port,
    mode: "create",
    create: { path: "/trpc/contacts.create", workspaceId: workspace.id, tag: RUN_ID },
  });

  // Ceiling: the same load generator against a bare node:http server on the same
  // thread the API server uses, answering the captured first page from memory.
  const contentType = first.headers["content-type"] ?? "application/json";
  ceiling = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": contentType, "content-length": firstPage.length });
    res.end(firstPage);
  });
  ceiling.keepAliveTimeout = 65_000;
  const ceilingPort = await new Promise<number>((resolvePromise, reject) => {
    ceiling!.once("error", reject);
    ceiling!.listen(0, HOST, () => resolvePromise((ceiling!.address() as { port: number }).port));
  });
  const bare = await runLoad("ceiling (bare node:http)", { ...load, port: ceilingPort, mode: "get", paths });

  const results = {
    list_p50_ms: list.p50_ms,
    list_p99_ms: list.p99_ms,
    list_rps: list.rps,
    create_per_s: create.rps,
    create_p99_ms: create.p99_ms,
    create_errors: create.errors,
    ceiling_rps: bare.rps,
    contacts_seeded: seeded.contacts,
    concurrency: CONCURRENCY,
    duration_s: DURATION_S,
    warmup_s: WARMUP_S,
    page_size: PAGE_SIZE,
    list_pages_cycled: paths.length,
    node: process.version,
    cpus: os.cpus().length,
    timestamp: new Date().toISOString(),
    targets: TARGETS,
    met: {
      list_p99_ms: list.p99_ms < 20,
      create_per_s: create.rps >= 1000 && create.errors === 0,
    },
    details: { list, create, ceiling: bare },
  };

  const outDir = join(repoRoot, "bench-results");
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, "api.json");
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  note(`wrote ${outFile}`);
}

async function cleanup(): Promise<void> {
  cleanedUp ??= (async () => {
    const step = async (label: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        note(`cleanup: ${label} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    if (ceiling) {
      const bareServer = ceiling;
      await step("close ceiling server", () => new Promise<void>((done) => {
        bareServer.close(() => done());
        bareServer.closeAllConnections();
      }));
    }
    if (server) await step("close server", () => server!.close(2_000));
    if (runtime) await step("close runtime", () => runtime!.close());
    if (databaseCreated && admin) {
      await step("drop database", () => admin!.unsafe(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`));
    }
    if (admin) await step("close admin connection", () => admin!.end({ timeout: 5 }));
    await step("delete Redis keys", () => deleteRedisKeys());
    note("cleaned up");
  })();
  return cleanedUp;
}

async function deleteRedisKeys(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    let cursor = "0";
    let deleted = 0;
    // Bounded: SCAN terminates when the cursor returns to 0; the cap is a safety net.
    for (let round = 0; round < 100_000; round++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${REDIS_PREFIX}*`, "COUNT", 1_000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
    note(`deleted ${deleted} Redis keys under ${REDIS_PREFIX}`);
  } finally {
    redis.disconnect();
  }
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    note(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  if (!interrupted) note(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanup();
}
// Anything left open (e.g. a stuck socket) must not keep the process alive.
setTimeout(() => process.exit(), 1_000).unref();
