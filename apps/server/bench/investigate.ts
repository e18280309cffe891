/**
 * Where do contacts.list and contacts.create spend their time? Diagnostics
 * behind the numbers of bench/api.ts (not part of `pnpm bench:api`):
 *
 *   cd apps/server && tsx bench/investigate.ts [--only list|create] [--contacts 100000]
 *       [--duration 5] [--concurrency 20] [--iterations 300] [--pool 10] [--log-level warn]
 *       [--rounds 3] [--log-comparison] [--pool-comparison 20]   (with --log-comparison, send stdout elsewhere: it gets the request log)
 *
 * list:   EXPLAIN (ANALYZE, BUFFERS) of the exact SQL the service runs; one-at-a-time
 *         timings of each layer (token, membership, service, superjson, tRPC caller, HTTP);
 *         the list load with the server thread under the V8 sampling profiler; and the same
 *         load against two lean handlers in this process that call the same services
 *         without tRPC (one answering plain JSON, one superjson) to price the framework layers.
 * create: one-at-a-time service timing, then the create load with the profiler on and
 *         pg_stat_activity sampled for what the bench database's backends wait on.
 * Report on stderr; JSON summary on stdout.
 */
import http from "node:http";
import inspector from "node:inspector";
import os from "node:os";
import { parseArgs } from "node:util";
import { appRouter, createContextFactory, createRuntime, type Runtime } from "@rapport/api";
import { createRapportServer, type RapportServer } from "../src/http";
import { contacts } from "@rapport/db";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import superjson from "superjson";
import { HOST, httpGet, listPagePaths, withBenchEnvironment, type BenchEnv } from "./env";
import { note, percentile, round, runLoad, type LoadSpec, type PhaseStats } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    only: { type: "string" },
    contacts: { type: "string" },
    duration: { type: "string" },
    concurrency: { type: "string" },
    iterations: { type: "string" },
    pool: { type: "string" },
    "log-level": { type: "string" },
    rounds: { type: "string" },
    "log-comparison": { type: "boolean" },
    "pool-comparison": { type: "string" },
  },
});
const ONLY = args.only;
const CONTACTS = Number(args.contacts ?? 100_000);
const DURATION_S = Math.min(120, Number(args.duration ?? 5));
const CONCURRENCY = Number(args.concurrency ?? 20);
const ITERATIONS = Math.min(10_000, Number(args.iterations ?? 300));
const POOL = args.pool ?? "10";
const LOG_LEVEL = args["log-level"] ?? "warn";
const ROUNDS = Math.min(10, Number(args.rounds ?? 3));
const LOG_COMPARISON = args["log-comparison"] ?? false;
/** A second pool size: a second runtime + server on the same database, alternated with the first. */
const POOL_COMPARISON = args["pool-comparison"];
const PAGE_SIZE = 50;

async function timeIt(label: string, fn: (i: number) => Promise<unknown>) {
  const warm = Math.min(50, ITERATIONS);
  for (let i = 0; i < warm; i++) await fn(i); // JIT, caches, pool connections
  const samples: number[] = [];
  for (let i = warm; i < warm + ITERATIONS; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const row = {
    label,
    p50_ms: round(percentile(samples, 50), 3),
    p99_ms: round(percentile(samples, 99), 3),
    mean_ms: round(samples.reduce((s, v) => s + v, 0) / samples.length, 3),
  };
  note(
    `  ${label.padEnd(54)} p50 ${String(row.p50_ms).padStart(8)} ms   p99 ${String(row.p99_ms).padStart(8)} ms   mean ${String(row.mean_ms).padStart(8)} ms`,
  );
  return row;
}

/** The query ContactService.list builds for sort "updated" (mirrors the service; keep in step). */
function listQuery(env: BenchEnv, cursor?: { key: string; id: string }) {
  const conditions = [eq(contacts.workspaceId, env.workspaceId), isNull(contacts.deletedAt)];
  if (cursor)
    conditions.push(sql`(${contacts.updatedAt}, ${contacts.id}) < (${cursor.key}::timestamptz, ${cursor.id}::uuid)`);
  return env.runtime.database.db
    .select({ contact: contacts, sortKey: sql<string>`${contacts.updatedAt}::text` })
    .from(contacts)
    .where(and(...conditions))
    .orderBy(desc(contacts.updatedAt), desc(contacts.id))
    .limit(PAGE_SIZE + 1);
}

type Unsafe = (query: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

async function explain(env: BenchEnv, label: string, query: { sql: string; params: unknown[] }) {
  const unsafe = env.benchSql.unsafe as unknown as Unsafe;
  await unsafe(query.sql, query.params); // warm the buffer cache like a live server
  const rows = await unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${query.sql}`, query.params);
  const plan = rows.map((row) => String(row["QUERY PLAN"]));
  note(`EXPLAIN ANALYZE (${label}):`);
  for (const line of plan) note(`    ${line}`);
  return plan;
}

// ------------------------------------------------------------- profiling

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
}

function packageOf(url: string, functionName: string): string {
  const pnpm = /node_modules\/\.pnpm\/([^/]+)\//.exec(url)?.[1];
  if (pnpm) return pnpm.replace(/@[\d.]+.*$/, "").replace(/^(@[^+]+)\+/, "$1/");
  if (url.startsWith("node:")) return "node core (JS)";
  const workspacePackage = /\/packages\/([^/]+)\//.exec(url)?.[1];
  if (workspacePackage) return `@rapport/${workspacePackage}`;
  if (url.includes("/apps/server/")) return "apps/server";
  if (url === "") return `(${functionName || "native"})`;
  return url;
}

function summarizeProfile(profile: CpuProfile) {
  const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { url, functionName, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
    const short = url
      .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")
      .replace(/^file:\/\/.*?\/(packages|apps)\//, "$1/");
    const key = `${functionName || "(anonymous)"}  ${short}${url ? `:${lineNumber + 1}` : ""}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  // Inclusive (self + synchronous callees) time per function; async continuations start new stacks.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const inclusive = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const seen = new Set<string>();
    for (
      let id: number | undefined = node.id, depth = 0;
      id !== undefined && depth < 500;
      id = parent.get(id), depth++
    ) {
      const frame = byId.get(id)!.callFrame;
      if (!frame.url) continue;
      const short = frame.url
        .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")
        .replace(/^file:\/\/.*?\/(packages|apps)\//, "$1/");
      const key = `${frame.functionName || "(anonymous)"}  ${short}:${frame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
    }
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => ({ name, percent: round((hits / totalHits) * 100, 1) }));
  return {
    samples: totalHits,
    byPackage: top(byPackage, 15),
    byFunction: top(byFunction, 25),
    inclusive: top(inclusive, 45),
  };
}

function post<T>(session: inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise((resolvePromise, reject) =>
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolvePromise(result as T))),
  );
}

/** Runs a load phase with this (the server's) thread under the sampling profiler. */
async function profiledLoad(label: string, spec: LoadSpec) {
  const session = new inspector.Session();
  session.connect();
  try {
    await post(session, "Profiler.enable");
    await post(session, "Profiler.setSamplingInterval", { interval: 200 });
    await post(session, "Profiler.start");
    const load = await runLoad(label, spec);
    const { profile } = await post<{ profile: CpuProfile }>(session, "Profiler.stop");
    const summary = summarizeProfile(profile);
    note(`${label}: server-thread self time by package (${summary.samples} samples):`);
    for (const row of summary.byPackage) note(`    ${String(row.percent).padStart(5)}%  ${row.name}`);
    note(`${label}: top functions by self time:`);
    for (const row of summary.byFunction) note(`    ${String(row.percent).padStart(5)}%  ${row.name}`);
    note(`${label}: top functions by inclusive time (synchronous stacks):`);
    for (const row of summary.inclusive) note(`    ${String(row.percent).padStart(5)}%  ${row.name}`);
    return { load, profile: summary };
  } finally {
    session.disconnect();
  }
}

/** Samples what the bench database's backends are doing while `during` runs (bounded: one sample per 25 ms). */
async function sampleWaits(env: BenchEnv, during: Promise<unknown>) {
  const counts = new Map<string, number>();
  let samples = 0;
  let done = false;
  void during.finally(() => (done = true));
  const unsafe = env.benchSql.unsafe as unknown as Unsafe;
  for (let i = 0; i < 10_000 && !done; i++) {
    const rows = await unsafe(
      `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU (running)') AS what, state
       FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    samples++;
    for (const row of rows) {
      const key = `${String(row.state)} / ${String(row.what)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const result = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => ({ what, backends_avg: round(n / Math.max(1, samples), 2) }));
  note(`pg_stat_activity over ${samples} samples (average backends per state / wait event):`);
  for (const row of result) note(`    ${String(row.backends_avg).padStart(6)}  ${row.what}`);
  return result;
}

// ---------------------------------------------------------- lean handlers

/**
 * contacts.list without tRPC: the same token check, membership check and
 * service call, then either plain JSON (Dates as ISO strings) or superjson.
 * Input validation is reduced to what the service needs; this prices the
 * framework layers, it is not a proposal to drop validation.
 */
/** A server for handlers that answer every failure themselves (their whole body is one try/catch). */
function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) {
  return http.createServer((req, res) => void handler(req, res));
}

function leanListServer(env: BenchEnv, encoding: "json" | "superjson") {
  const { services } = env.runtime;
  return serve(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://bench");
      const raw = JSON.parse(url.searchParams.get("input") ?? "{}") as Record<string, unknown>;
      const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
      const claims = await services.auth.verifyAccessToken(token);
      const workspaceId = String(raw.workspaceId);
      if (!(await services.workspaces.roleOf(workspaceId, claims.userId))) throw new Error("not a member");
      const result = await services.contacts.list({
        workspaceId,
        cursor: typeof raw.cursor === "string" ? raw.cursor : null,
        limit: Number(raw.limit ?? 50),
        sort: "updated",
        deleted: false,
      });
      const body =
        encoding === "json"
          ? JSON.stringify({ result: { data: result } })
          : JSON.stringify({ result: { data: superjson.serialize(result) } });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
}

/** Reads a small JSON request body. */
function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      try {
        resolvePromise(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>);
      } catch (error) {
        reject(error);
      }
    });
    req.on("error", reject);
  });
}

/**
 * contacts.create without tRPC: same token and membership checks, then either
 * the real service (transaction: BEGIN, email pre-check, INSERT, INSERT event,
 * COMMIT) or the same writes as one statement (a CTE; atomic without BEGIN/COMMIT,
 * the partial unique index decides duplicates). Prices the layers and round trips.
 */
function leanCreateServer(env: BenchEnv, variant: "service" | "one-statement") {
  const { services } = env.runtime;
  const db = env.runtime.database.db;
  return serve(async (req, res) => {
    try {
      const input = await readJson(req);
      const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
      const claims = await services.auth.verifyAccessToken(token);
      const workspaceId = String(input.workspaceId);
      if (!(await services.workspaces.roleOf(workspaceId, claims.userId))) throw new Error("not a member");
      const name = String(input.name).trim();
      const email = String(input.email).trim().toLowerCase();
      let contact: unknown;
      if (variant === "service") {
        contact = await services.contacts.create(
          workspaceId,
          { name, email, source: "manual" },
          { actorId: claims.userId, ip: HOST, userAgent: "bench" },
        );
      } else {
        const rows = await db.execute(sql`
          WITH c AS (
            INSERT INTO contacts (workspace_id, email, name, source, created_by)
            VALUES (${workspaceId}, ${email}, ${name}, 'manual', ${claims.userId})
            ON CONFLICT (workspace_id, lower(email)) WHERE email IS NOT NULL AND deleted_at IS NULL DO NOTHING
            RETURNING *
          ), e AS (
            INSERT INTO domain_events (workspace_id, actor_id, type, payload)
            SELECT workspace_id, ${claims.userId}, 'contact.created', jsonb_build_object('contactId', id, 'source', source) FROM c
          )
          SELECT * FROM c`);
        contact = (rows as unknown as unknown[])[0];
        if (!contact) throw new Error("duplicate email");
        env.runtime.dispatcher.wake();
      }
      const body = JSON.stringify({ result: { data: contact } });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
}

async function listen(server: http.Server): Promise<{ port: number; close(): Promise<void> }> {
  const port = await new Promise<number>((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => resolvePromise((server.address() as { port: number }).port));
  });
  return {
    port,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/**
 * Alternates the variants for ROUNDS rounds (so background load on a shared
 * machine hits all of them alike) and reports each one's median figures.
 */
async function compare(
  label: string,
  variants: { name: string; port: number; before?: () => void }[],
  spec: (port: number) => LoadSpec,
) {
  const runs = new Map<string, PhaseStats[]>(variants.map((v) => [v.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const variant of variants) {
      variant.before?.();
      runs.get(variant.name)!.push(
        await runLoad(`${label} [${variant.name}] round ${round}/${ROUNDS}`, {
          ...spec(variant.port),
          warmupMs: 500,
        }),
      );
    }
  }
  const median = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const summary = variants.map((variant) => {
    const stats = runs.get(variant.name)!;
    return {
      variant: variant.name,
      rps_median: median(stats.map((s) => s.rps)),
      p50_ms_median: median(stats.map((s) => s.p50_ms)),
      p99_ms_median: median(stats.map((s) => s.p99_ms)),
      errors: stats.reduce((sum, s) => sum + s.errors, 0),
      rps_per_round: stats.map((s) => s.rps),
    };
  });
  note(`${label}: medians over ${ROUNDS} alternating rounds of ${DURATION_S} s:`);
  for (const row of summary) {
    note(
      `    ${row.variant.padEnd(30)} ${String(row.rps_median).padStart(8)} req/s   p50 ${String(row.p50_ms_median).padStart(7)} ms   p99 ${String(row.p99_ms_median).padStart(7)} ms   errors ${row.errors}   (rounds: ${row.rps_per_round.join(", ")})`,
    );
  }
  return summary;
}

// ------------------------------------------------------------------- main

note(
  `node ${process.version}, ${os.cpus().length} CPUs, load average ${os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")}`,
);

await withBenchEnvironment(
  { contacts: CONTACTS, interactions: 0, configOverrides: { DATABASE_POOL_SIZE: POOL, LOG_LEVEL } },
  async (env) => {
    const { services } = env.runtime;
    const base = {
      host: HOST,
      concurrency: CONCURRENCY,
      warmupMs: 1_000,
      durationMs: DURATION_S * 1000,
      headers: env.headers,
    };
    const report: Record<string, unknown> = {
      contacts: env.seeded.contacts,
      pool: Number(POOL),
      logLevel: LOG_LEVEL,
      cpus: os.cpus().length,
    };

    if (POOL_COMPARISON) {
      let second: Runtime | null = null;
      let secondServer: RapportServer | null = null;
      try {
        second = await createRuntime(
          { ...env.runtime.config, DATABASE_POOL_SIZE: Number(POOL_COMPARISON) },
          { migrate: false },
        );
        await second.start("api");
        secondServer = createRapportServer(second);
        const { port } = await secondServer.listen(0, HOST);
        const { paths } = await listPagePaths(env, PAGE_SIZE, 5);
        let n = 0;
        const variants = [
          { name: `pool ${POOL}`, port: env.port },
          { name: `pool ${POOL_COMPARISON}`, port },
        ];
        if (ONLY !== "create")
          report.poolComparisonList = await compare("contacts.list", variants, (p) => ({
            ...base,
            port: p,
            mode: "get",
            paths,
          }));
        if (ONLY !== "list") {
          report.poolComparisonCreate = await compare("contacts.create", variants, (p) => ({
            ...base,
            port: p,
            mode: "create",
            create: { path: "/trpc/contacts.create", workspaceId: env.workspaceId, tag: `${env.runId}-pool${n++}` },
          }));
        }
      } finally {
        await secondServer?.close(2_000);
        await second?.close();
      }
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }

    if (ONLY !== "create") {
      const { paths } = await listPagePaths(env, PAGE_SIZE, 5);
      const firstPage = await listQuery(env);
      const last = firstPage[PAGE_SIZE - 1]!;
      report.plans = {
        first: await explain(env, "first page", listQuery(env).toSQL()),
        cursor: await explain(
          env,
          "second page (cursor)",
          listQuery(env, { key: last.sortKey, id: last.contact.id }).toSQL(),
        ),
      };

      note(`contacts.list layers, one request at a time (${ITERATIONS} iterations each, after warm-up):`);
      const input = {
        workspaceId: env.workspaceId,
        cursor: null,
        limit: PAGE_SIZE,
        sort: "updated" as const,
        deleted: false,
      };
      const result = await services.contacts.list(input);
      const createContext = createContextFactory(env.runtime);
      // Only the fields the list path reads; cast so other RequestInfo additions don't break this script.
      const requestInfo = {
        requestId: "bench",
        ip: HOST,
        userAgent: "rapport-bench",
        authorization: `Bearer ${env.token}`,
        cookie: null,
        host: null,
        setCookie: () => {},
      };
      const context = () => createContext(requestInfo as unknown as Parameters<typeof createContext>[0]);
      report.layers = [
        await timeIt("auth.verifyAccessToken (JWT + cached session)", () => services.auth.verifyAccessToken(env.token)),
        await timeIt("workspaces.roleOf (cached)", () => services.workspaces.roleOf(env.workspaceId, env.userId)),
        await timeIt("SELECT 1 through the runtime pool", () => env.runtime.database.ping()),
        await timeIt("same SQL via drizzle (round trip + row mapping)", () => listQuery(env)),
        await timeIt("contacts.list service call", () => services.contacts.list(input)),
        await timeIt("createContext + authed's child logger (pino)", async () =>
          context().log.child({ userId: env.userId }),
        ),
        await timeIt("superjson.serialize + JSON.stringify (page)", async () =>
          JSON.stringify(superjson.serialize(result)),
        ),
        await timeIt("JSON.stringify only (page)", async () => JSON.stringify(result)),
        await timeIt("tRPC caller contacts.list (no HTTP, no serialization)", () =>
          appRouter.createCaller(context()).contacts.list({ workspaceId: env.workspaceId }),
        ),
        await timeIt("HTTP GET /trpc/contacts.list (client in this thread)", () =>
          httpGet(env.port, paths[0]!, env.headers),
        ),
        await timeIt("HTTP GET /healthz (client in this thread)", () => httpGet(env.port, "/healthz", {})),
      ];

      report.listLoad = await profiledLoad(`contacts.list via tRPC (pool ${POOL}, LOG_LEVEL ${LOG_LEVEL})`, {
        ...base,
        port: env.port,
        mode: "get",
        paths,
      });
      if (LOG_COMPARISON) {
        // pino levels can change at run time; per-request child loggers inherit the new level.
        const log = env.runtime.log;
        report.logLevelComparison = await compare(
          "contacts.list (request log line on/off)",
          [
            { name: "tRPC, LOG_LEVEL warn", port: env.port, before: () => (log.level = "warn") },
            { name: "tRPC, LOG_LEVEL info (stdout)", port: env.port, before: () => (log.level = "info") },
          ],
          (port) => ({ ...base, port, mode: "get", paths }),
        );
        log.level = LOG_LEVEL;
      }
      const leanJson = await listen(leanListServer(env, "json"));
      const leanSuper = await listen(leanListServer(env, "superjson"));
      try {
        report.listComparison = await compare(
          "contacts.list",
          [
            { name: "tRPC server (real)", port: env.port },
            { name: "lean handler, superjson", port: leanSuper.port },
            { name: "lean handler, plain JSON", port: leanJson.port },
          ],
          (port) => ({ ...base, port, mode: "get", paths }),
        );
      } finally {
        await leanJson.close();
        await leanSuper.close();
      }
    }

    if (ONLY !== "list") {
      note(`contacts.create, one at a time (${ITERATIONS} iterations, after warm-up):`);
      const actor = { actorId: env.userId, ip: HOST, userAgent: "rapport-bench" };
      report.createLayers = [
        await timeIt("contacts.create service call (transaction)", (i) =>
          services.contacts.create(
            env.workspaceId,
            { name: `Seq ${i}`, email: `seq-${env.runId}-${i}@load.example`, source: "manual" },
            actor,
          ),
        ),
      ];
      const load = profiledLoad(`contacts.create via tRPC (pool ${POOL})`, {
        ...base,
        port: env.port,
        mode: "create",
        create: { path: "/trpc/contacts.create", workspaceId: env.workspaceId, tag: `${env.runId}-inv` },
      });
      const waits = await sampleWaits(env, load);
      report.createLoad = { ...(await load), pgWaits: waits };
      const createSpec = (tag: string) => ({
        ...base,
        mode: "create" as const,
        create: { path: "/trpc/contacts.create", workspaceId: env.workspaceId, tag: `${env.runId}-${tag}` },
      });
      const leanService = await listen(leanCreateServer(env, "service"));
      const leanOne = await listen(leanCreateServer(env, "one-statement"));
      let runNumber = 0;
      try {
        report.createComparison = await compare(
          "contacts.create",
          [
            { name: "tRPC server (real)", port: env.port },
            { name: "lean handler, same service", port: leanService.port },
            { name: "lean handler, one statement", port: leanOne.port },
          ],
          (port) => ({ ...createSpec(`cmp${runNumber++}`), port }),
        );
      } finally {
        await leanService.close();
        await leanOne.close();
      }
      // Last, because it stops event delivery for the rest of this run.
      await env.runtime.dispatcher.stop();
      report.createWithoutDispatcher = await runLoad("contacts.create via tRPC, outbox dispatcher stopped", {
        ...createSpec("nodispatch"),
        port: env.port,
      });
    }

    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  },
);
setTimeout(() => process.exit(), 2_000).unref();
