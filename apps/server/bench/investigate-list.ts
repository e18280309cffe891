/**
 * Where does a contacts.list request spend its time? Diagnostics behind the
 * numbers of bench/api.ts (not part of `pnpm bench:api`):
 *
 *   cd apps/server && tsx bench/investigate-list.ts [--contacts 100000] [--duration 5]
 *       [--concurrency 20] [--iterations 300] [--pool 10] [--log-level warn]
 *
 * 1. EXPLAIN (ANALYZE, BUFFERS) of the exact SQL the service runs (first page and a cursor page).
 * 2. Sequential in-process timings of each layer: token check, membership
 *    check, the service call (SQL + row mapping), superjson + JSON, the whole
 *    tRPC procedure without HTTP, and one HTTP request at a time.
 * 3. The list load (same generator as the bench) with the server thread under
 *    the V8 sampling profiler; self time grouped by package and by function.
 * Report on stderr; JSON summary on stdout.
 */
import inspector from "node:inspector";
import os from "node:os";
import { parseArgs } from "node:util";
import { appRouter, createContextFactory } from "@rapport/api";
import { contacts } from "@rapport/db";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import superjson from "superjson";
import { HOST, httpGet, listPagePaths, withBenchEnvironment, type BenchEnv } from "./env";
import { note, percentile, round, runLoad } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    contacts: { type: "string" },
    duration: { type: "string" },
    concurrency: { type: "string" },
    iterations: { type: "string" },
    pool: { type: "string" },
    "log-level": { type: "string" },
  },
});
const CONTACTS = Number(args.contacts ?? 100_000);
const DURATION_S = Number(args.duration ?? 5);
const CONCURRENCY = Number(args.concurrency ?? 20);
const ITERATIONS = Math.min(10_000, Number(args.iterations ?? 300));
const POOL = args.pool ?? "10";
const LOG_LEVEL = args["log-level"] ?? "warn";
const PAGE_SIZE = 50;

async function timeIt(label: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < Math.min(50, ITERATIONS); i++) await fn(); // warm-up (JIT, caches, pool)
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const row = { label, p50_ms: round(percentile(samples, 50), 3), p99_ms: round(percentile(samples, 99), 3), mean_ms: round(samples.reduce((s, v) => s + v, 0) / samples.length, 3) };
  note(`  ${label.padEnd(52)} p50 ${String(row.p50_ms).padStart(8)} ms   p99 ${String(row.p99_ms).padStart(8)} ms   mean ${String(row.mean_ms).padStart(8)} ms`);
  return row;
}

/** The query ContactService.list builds for sort "updated" (kept in step with the service by hand). */
function listQuery(env: BenchEnv, cursor?: { key: string; id: string }) {
  const conditions = [eq(contacts.workspaceId, env.workspaceId), isNull(contacts.deletedAt)];
  if (cursor) conditions.push(sql`(${contacts.updatedAt}, ${contacts.id}) < (${cursor.key}::timestamptz, ${cursor.id}::uuid)`);
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
  await unsafe(query.sql, query.params); // warm the cache like a live server
  const rows = await unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${query.sql}`, query.params);
  const plan = rows.map((row) => String(row["QUERY PLAN"]));
  note(`EXPLAIN ANALYZE (${label}):`);
  for (const line of plan) note(`    ${line}`);
  return plan;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function summarizeProfile(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[]; startTime: number; endTime: number }) {
  const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { url, functionName, lineNumber } = node.callFrame;
    const pkg =
      /node_modules\/\.pnpm\/([^/]+)\//.exec(url)?.[1]?.replace(/@[\d.]+.*$/, "") ??
      (url.startsWith("node:") ? "node core" : /\/packages\/([^/]+)\//.exec(url)?.[1] ? `@rapport/${/\/packages\/([^/]+)\//.exec(url)![1]}` : url.includes("/apps/server/") ? "apps/server" : url === "" ? `(${functionName || "native"})` : url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
    const short = url.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "").replace(/^file:\/\/\/work\/main\//, "");
    const key = `${functionName || "(anonymous)"}  ${short}${url ? `:${lineNumber + 1}` : ""}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => ({ name, percent: round((hits / totalHits) * 100, 1) }));
  return { samples: totalHits, byPackage: top(byPackage, 15), byFunction: top(byFunction, 30) };
}

function post<T>(session: inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise((resolvePromise, reject) =>
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolvePromise(result as T))),
  );
}

note(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((v) => v.toFixed(2)).join(" ")}`);

await withBenchEnvironment(
  { contacts: CONTACTS, interactions: 0, configOverrides: { DATABASE_POOL_SIZE: POOL, LOG_LEVEL } },
  async (env) => {
    const { paths } = await listPagePaths(env, PAGE_SIZE, 2);

    // 1. The SQL.
    const firstPage = await listQuery(env);
    const last = firstPage[PAGE_SIZE - 1]!;
    const plans = {
      first: await explain(env, "first page", listQuery(env).toSQL()),
      cursor: await explain(env, "second page (cursor)", listQuery(env, { key: last.sortKey, id: last.contact.id }).toSQL()),
    };

    // 2. Layers, one request at a time.
    note(`sequential timings (${ITERATIONS} iterations each, after warm-up):`);
    const { services } = env.runtime;
    const input = { workspaceId: env.workspaceId, cursor: null, limit: PAGE_SIZE, sort: "updated" as const, deleted: false };
    const result = await services.contacts.list(input);
    const createContext = createContextFactory(env.runtime);
    const context = () => createContext({ requestId: "bench", ip: HOST, userAgent: "rapport-bench", authorization: `Bearer ${env.token}` });
    const layers = [
      await timeIt("auth.verifyAccessToken (JWT + cached session)", () => services.auth.verifyAccessToken(env.token)),
      await timeIt("workspaces.roleOf (cached)", () => services.workspaces.roleOf(env.workspaceId, env.userId)),
      await timeIt("SELECT 1 through the runtime pool", () => env.runtime.database.ping()),
      await timeIt("contacts.list service call (SQL + mapping)", () => services.contacts.list(input)),
      await timeIt("same SQL via drizzle, no service", () => listQuery(env)),
      await timeIt("superjson.serialize + JSON.stringify (50 rows)", async () => JSON.stringify(superjson.serialize(result))),
      await timeIt("JSON.stringify only (50 rows)", async () => JSON.stringify(result)),
      await timeIt("tRPC caller: contacts.list (no HTTP)", () => appRouter.createCaller(context()).contacts.list({ workspaceId: env.workspaceId })),
      await timeIt("HTTP GET /trpc/contacts.list (one at a time)", () => httpGet(env.port, paths[0]!, env.headers)),
      await timeIt("HTTP GET /healthz (one at a time)", () => httpGet(env.port, "/healthz", {})),
    ];

    // 3. Under load, with the server thread profiled.
    const session = new inspector.Session();
    session.connect();
    await post(session, "Profiler.enable");
    await post(session, "Profiler.setSamplingInterval", { interval: 200 });
    await post(session, "Profiler.start");
    const load = await runLoad(`contacts.list (profiled, pool ${POOL}, LOG_LEVEL ${LOG_LEVEL})`, {
      host: HOST,
      port: env.port,
      concurrency: CONCURRENCY,
      warmupMs: 1_000,
      durationMs: DURATION_S * 1000,
      headers: env.headers,
      mode: "get",
      paths,
    });
    const { profile } = await post<{ profile: Parameters<typeof summarizeProfile>[0] }>(session, "Profiler.stop");
    session.disconnect();
    const summary = summarizeProfile(profile);
    note(`server-thread CPU profile (${summary.samples} samples), self time by package:`);
    for (const row of summary.byPackage) note(`    ${String(row.percent).padStart(5)}%  ${row.name}`);
    note("top functions by self time:");
    for (const row of summary.byFunction) note(`    ${String(row.percent).padStart(5)}%  ${row.name}`);

    const pgActivity = await env.benchSql.unsafe(
      `SELECT state, wait_event_type, count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1, 2 ORDER BY 3 DESC`,
    );
    process.stdout.write(`${JSON.stringify({ contacts: env.seeded.contacts, pool: Number(POOL), logLevel: LOG_LEVEL, plans, layers, load, profile: summary, pgActivity }, null, 2)}\n`);
  },
);
setTimeout(() => process.exit(), 2_000).unref();
