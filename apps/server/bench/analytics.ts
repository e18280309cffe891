/**
 * Analytics benchmark (`pnpm bench:analytics`; not part of the tests).
 *
 *   pnpm bench:analytics [--contacts 100000] [--interactions 2000000] [--runs 5] [--no-browser]
 *
 * 1. A throw-away database and Redis prefix with the real runtime and HTTP
 *    server (bench/env.ts); a user and workspace created through the API.
 * 2. Bulk seed in SQL (INSERT … SELECT generate_series; the row-by-row seed
 *    would take many minutes for 2M rows): --contacts contacts (1 % soft-deleted)
 *    created over 20 months, --interactions interactions with log-uniform
 *    (Zipf(1)-like) activity per contact, skewed toward recent dates, types
 *    email 55 % / meeting 15 % / call 15 % / linkedin 10 % / note 5 %. Then
 *    VACUUM ANALYZE, as autovacuum would leave a live database.
 * 3. floor_ms: the plain `SELECT contact_id, count(*), max(occurred_at) FROM
 *    interactions WHERE workspace_id = $1 GROUP BY contact_id` (reading the
 *    data once), timed from this process like the API calls (median of --runs
 *    after one warm-up); floor_server_ms is its EXPLAIN ANALYZE execution time.
 * 4. metrics_cold_ms: analytics.metrics over HTTP with the cache empty for the
 *    request (a new asOf each run, so nothing is cached for it), median of
 *    --runs after one warm-up; metrics_cold_first_ms is the very first call.
 * 5. metrics_warm_ms: the same request again (served from the cache), median of 50.
 * 6. export_csv_s / export_peak_rss_mb: GET /api/analytics/export (CSV, whole
 *    workspace) read to the end; the peak RSS of this process (server and
 *    reader, which only counts bytes) sampled every 5 ms during the download,
 *    measured right after the seed (so nothing else of the bench is in the
 *    heap) and after a full GC (the script runs node --expose-gc). Same for
 *    XLSX (info only).
 * 7. dashboard_ready_ms (unless --no-browser or the SPA is not built): Chromium
 *    opens /w/:ws/analytics (full page load, session restored from the cookie)
 *    until the KPI cards and the three charts are drawn, cache invalidated
 *    before each run; median of --runs after one warm-up.
 *
 * Writes bench-results/analytics.json at the repo root; progress goes to stderr.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { type BenchEnv, bulkSeed, crmSeedPlan, HOST, intArg, repoRoot, withBenchEnvironment } from "./env";
import { timeToReady, WEB_DIST, watchReady, withMemberPage } from "./browser";
import { median, note, percentile, round, timed } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    contacts: { type: "string" },
    interactions: { type: "string" },
    runs: { type: "string" },
    "no-browser": { type: "boolean" },
  },
});
const CONTACTS = intArg(args.contacts, 100_000, "contacts", 10);
const INTERACTIONS = intArg(args.interactions, 2_000_000, "interactions", 0);
const RUNS = intArg(args.runs, 5, "runs", 1);
const WARM_RUNS = 50;
const RESULTS = join(repoRoot, "bench-results/analytics.json");
const TARGETS = {
  metrics_cold_ms: 1_500,
  metrics_cold_vs_floor: 3,
  metrics_warm_ms: 10,
  export_peak_rss_mb: 300,
  dashboard_ready_ms: 2_000,
} as const;

const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

// ---------------------------------------------------------------- seed

async function seed(env: BenchEnv): Promise<{ contacts: number; interactions: number; deleted: number; ms: number }> {
  const plan = crmSeedPlan(env, { contacts: CONTACTS, interactions: INTERACTIONS });
  const ms = await bulkSeed(env, plan);
  return { contacts: CONTACTS, interactions: INTERACTIONS, deleted: plan.deleted, ms };
}

// ---------------------------------------------------------------- HTTP

function get(
  env: BenchEnv,
  path: string,
  onData?: (chunk: Buffer) => void,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: env.port, path, method: "GET", headers: env.headers }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (onData) onData(chunk);
        else chunks.push(chunk);
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bytes }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const trpcPath = (procedure: string, input: unknown) =>
  `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;

async function metricsCall(env: BenchEnv, asOf: Date) {
  const res = await get(env, trpcPath("analytics.metrics", { workspaceId: env.workspaceId, asOf: asOf.toISOString() }));
  if (res.status !== 200)
    throw new Error(`analytics.metrics answered ${res.status}: ${res.body.toString().slice(0, 300)}`);
  return JSON.parse(res.body.toString()).result.data as {
    cached: boolean;
    contacts: number;
    engagement: { interactions30d: number };
    clv: { total: number };
  };
}

async function exportRun(env: BenchEnv, format: "csv" | "xlsx") {
  if (global.gc) global.gc();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  let lines = 0;
  const { ms, value } = await timed(() =>
    get(env, `/api/analytics/export?workspaceId=${env.workspaceId}&format=${format}&sortBy=clv`, (chunk) => {
      if (format === "csv") for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    }),
  );
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (value.status !== 200) throw new Error(`export answered ${value.status}`);
  note(
    `export ${format}: ${mb(value.bytes)} MB${format === "csv" ? `, ${lines - 1} data rows` : ""} in ${round(ms / 1000, 2)} s; RSS ${mb(baseline)} → peak ${mb(peak)} MB`,
  );
  return {
    seconds: round(ms / 1000, 2),
    bytes: value.bytes,
    rows: format === "csv" ? lines - 1 : null,
    peakRssMb: mb(peak),
    baselineRssMb: mb(baseline),
    contentType: value.headers["content-type"],
    disposition: value.headers["content-disposition"],
  };
}

// ---------------------------------------------------------------- browser

async function dashboardRuns(env: BenchEnv): Promise<{ runs: number[]; warm: number[] } | { skipped: string }> {
  if (args["no-browser"]) return { skipped: "--no-browser" };
  return withMemberPage(env, "pnpm bench:analytics builds it", async (page) => {
    await watchReady(
      page,
      `const root = document.querySelector('[data-analytics-state="ready"]');
       return root !== null && root.querySelectorAll("canvas").length >= 3;`,
    );
    const target = `/w/${env.workspaceId}/analytics`;
    const measure = async (label: string, cold: boolean) => {
      if (cold) await env.runtime.cache.invalidateWorkspace(env.workspaceId);
      return timeToReady(page, target, `dashboard ${label}`);
    };
    const runs: number[] = [];
    const warm: number[] = [];
    await measure("warm-up (cold cache)", true);
    for (let run = 1; run <= RUNS; run++) runs.push(await measure(`run ${run} (cold cache)`, true));
    for (let run = 1; run <= RUNS; run++) warm.push(await measure(`run ${run} (warm cache)`, false));
    return { runs, warm };
  });
}

// ---------------------------------------------------------------- main

await withBenchEnvironment(
  { contacts: 0, interactions: 0, configOverrides: { WEB_DIST_DIR: WEB_DIST } },
  async (env) => {
    note(`node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}`);
    const loadStart = os.loadavg()[0]!;
    const seeded = await seed(env);

    // Exports first, while this process holds nothing but the server: the RSS
    // measured is the server's (the floor query below parses 100k rows in this
    // process, which would otherwise sit in the heap).
    const csv = await exportRun(env, "csv");
    const xlsx = await exportRun(env, "xlsx");

    // Floor: read the data once.
    const floorQuery = `SELECT contact_id, count(*), max(occurred_at) FROM interactions WHERE workspace_id = '${env.workspaceId}' GROUP BY contact_id`;
    await env.benchSql.unsafe(floorQuery);
    const floorRuns: number[] = [];
    for (let run = 0; run < RUNS; run++) floorRuns.push((await timed(() => env.benchSql.unsafe(floorQuery))).ms);
    const explain = (await env.benchSql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${floorQuery}`)) as {
      "QUERY PLAN": [{ "Execution Time": number; Plan: { "Node Type": string } }];
    }[];
    const floorServerMs = round(explain[0]!["QUERY PLAN"][0]["Execution Time"], 1);
    const floorMs = round(median(floorRuns), 1);
    note(
      `floor: ${floorRuns.map((ms) => round(ms, 1)).join(", ")} ms → median ${floorMs} ms (server execution ${floorServerMs} ms)`,
    );

    // Cold: a fresh asOf each call (the current minute's asOf is never reused).
    let asOfMs = Math.floor(Date.now() / 60_000) * 60_000;
    const nextAsOf = () => new Date((asOfMs -= 60_000));
    const first = await timed(() => metricsCall(env, nextAsOf()));
    note(
      `metrics: first call ${round(first.ms, 1)} ms (cached: ${first.value.cached}; ${first.value.contacts} contacts, ${first.value.engagement.interactions30d} interactions in 30 days)`,
    );
    const coldRuns: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const { ms, value } = await timed(() => metricsCall(env, nextAsOf()));
      if (value.cached) throw new Error("a cold call was served from the cache");
      coldRuns.push(ms);
    }
    const coldMs = round(median(coldRuns), 1);
    note(
      `metrics cold: ${coldRuns.map((ms) => round(ms, 1)).join(", ")} ms → median ${coldMs} ms (${round(coldMs / floorMs, 2)} × floor)`,
    );

    // Warm: the same asOf again and again.
    const warmAsOf = nextAsOf();
    await metricsCall(env, warmAsOf);
    const warmRuns: number[] = [];
    for (let run = 0; run < WARM_RUNS; run++) {
      const { ms, value } = await timed(() => metricsCall(env, warmAsOf));
      if (!value.cached) throw new Error("a warm call was not served from the cache");
      warmRuns.push(ms);
    }
    const warmMs = round(median(warmRuns), 2);
    note(
      `metrics warm: median ${warmMs} ms, p95 ${round(
        percentile(
          [...warmRuns].sort((a, b) => a - b),
          95,
        ),
        2,
      )} ms over ${WARM_RUNS}`,
    );

    const dashboard = await dashboardRuns(env);
    const dashboardMs = "runs" in dashboard ? round(median(dashboard.runs), 1) : null;

    const results = {
      metrics_cold_ms: coldMs,
      metrics_warm_ms: warmMs,
      export_csv_s: csv.seconds,
      export_peak_rss_mb: csv.peakRssMb,
      floor_ms: floorMs,
      targets: {
        metrics_cold_ms: `<= ${TARGETS.metrics_cold_vs_floor} × floor_ms and < ${TARGETS.metrics_cold_ms}`,
        metrics_warm_ms: `< ${TARGETS.metrics_warm_ms}`,
        export_peak_rss_mb: `< ${TARGETS.export_peak_rss_mb}`,
        dashboard_ready_ms: `< ${TARGETS.dashboard_ready_ms}`,
      },
      met: {
        metrics_cold_ms: coldMs <= TARGETS.metrics_cold_vs_floor * floorMs && coldMs < TARGETS.metrics_cold_ms,
        metrics_warm_ms: warmMs < TARGETS.metrics_warm_ms,
        export_peak_rss_mb: csv.peakRssMb < TARGETS.export_peak_rss_mb,
        dashboard_ready_ms: dashboardMs === null ? null : dashboardMs < TARGETS.dashboard_ready_ms,
      },
      metrics_cold_vs_floor: round(coldMs / floorMs, 2),
      metrics_cold_first_ms: round(first.ms, 1),
      metrics_cold_runs_ms: coldRuns.map((ms) => round(ms, 1)),
      metrics_warm_p95_ms: round(
        percentile(
          [...warmRuns].sort((a, b) => a - b),
          95,
        ),
        2,
      ),
      floor_runs_ms: floorRuns.map((ms) => round(ms, 1)),
      floor_server_ms: floorServerMs,
      floor_plan: explain[0]!["QUERY PLAN"][0].Plan["Node Type"],
      export_csv: csv,
      export_xlsx: xlsx,
      dashboard_ready_ms: dashboardMs,
      dashboard: dashboard,
      seeded,
      node: process.version,
      cpus: os.cpus().length,
      host_load_avg_1m: { start: round(loadStart, 1), end: round(os.loadavg()[0]!, 1) },
      measured_at: new Date().toISOString(),
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    note(`wrote ${RESULTS}`);
  },
);
