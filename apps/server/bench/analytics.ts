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
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { FIRST_NAMES, LAST_NAMES } from "@rapport/db/seed";
import { type BenchEnv, bulkSeed, HOST, intArg, repoRoot, sqlArray, withBenchEnvironment, zipfSample } from "./env";
import { note, percentile, round } from "./load";

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
const DIST = join(repoRoot, "apps/web/dist");
const TARGETS = {
  metrics_cold_ms: 1_500,
  metrics_cold_vs_floor: 3,
  metrics_warm_ms: 10,
  export_peak_rss_mb: 300,
  dashboard_ready_ms: 2_000,
} as const;

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

// ---------------------------------------------------------------- seed

async function seed(env: BenchEnv): Promise<{ contacts: number; interactions: number; deleted: number; ms: number }> {
  const sql = env.benchSql;
  const ws = env.workspaceId;
  const deleted = Math.floor(CONTACTS / 100);
  const ms = await bulkSeed(env, {
    contacts: CONTACTS,
    interactions: INTERACTIONS,
    chunk: 500_000,
    insertContacts: `
    INSERT INTO contacts (workspace_id, email, name, company, title, tags, source, created_by, created_at, updated_at)
    SELECT '${ws}', 'person' || g || '@company' || (g % 12500) || '.example',
           (${sqlArray(FIRST_NAMES.slice(0, 16))})[1 + (g % 16)]
             || ' ' || (${sqlArray(LAST_NAMES.slice(0, 12))})[1 + ((g / 16) % 12)],
           'Company ' || (g % 12500), 'Title', '{}', 'import', '${env.userId}', t, t
    FROM (SELECT g, now() - (random() * 600) * interval '1 day' AS t FROM generate_series(1, ${CONTACTS}) g) s`,
    insertInteractions: (first, last) => `
      INSERT INTO interactions (workspace_id, contact_id, type, direction, occurred_at, source, created_by, created_at)
      SELECT '${ws}', r.id,
             CASE WHEN x.u < 0.55 THEN 'email' WHEN x.u < 0.70 THEN 'meeting' WHEN x.u < 0.85 THEN 'call' WHEN x.u < 0.95 THEN 'linkedin' ELSE 'note' END,
             CASE WHEN x.v < 0.5 THEN 'inbound' ELSE 'outbound' END,
             r.created_at + (now() - r.created_at) * power(x.w, 0.6),
             'import', '${env.userId}', r.created_at + (now() - r.created_at) * power(x.w, 0.6)
      FROM ${zipfSample(CONTACTS, first, last)} x
      JOIN bench_rank r ON r.rank = x.rank`,
    // One contact in a hundred soft-deleted: the figures must leave them out.
    afterLoad: async () => {
      await sql.unsafe(
        `UPDATE contacts SET deleted_at = now() WHERE id IN (SELECT id FROM bench_rank WHERE rank % 100 = 7 LIMIT ${deleted})`,
      );
    },
  });
  return { contacts: CONTACTS, interactions: INTERACTIONS, deleted, ms };
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

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

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

/** The slice of playwright-core used here (typed locally: it is apps/web's dependency, not this package's). */
interface Locator {
  click(): Promise<void>;
  fill(value: string): Promise<void>;
  waitFor(): Promise<void>;
}
interface BenchPage {
  goto(url: string, options?: { waitUntil?: "commit" }): Promise<unknown>;
  getByRole(role: string, options: { name: string }): Locator;
  getByLabel(label: string): Locator;
  addInitScript(script: string): Promise<void>;
  waitForURL(url: string): Promise<void>;
  waitForFunction(
    fn: () => unknown,
    arg: undefined,
    options: { timeout: number },
  ): Promise<{ jsonValue(): Promise<unknown> }>;
}
interface ChromiumLauncher {
  launch(options: { executablePath: string; args: string[]; headless: boolean }): Promise<{
    newContext(options: {
      baseURL: string;
      viewport: { width: number; height: number };
    }): Promise<{ setDefaultTimeout(ms: number): void; newPage(): Promise<BenchPage>; close(): Promise<void> }>;
    close(): Promise<void>;
  }>;
}

async function dashboardRuns(env: BenchEnv): Promise<{ runs: number[]; warm: number[] } | { skipped: string }> {
  if (args["no-browser"]) return { skipped: "--no-browser" };
  if (!existsSync(join(DIST, "index.html")))
    return { skipped: "apps/web/dist is not built (pnpm bench:analytics builds it)" };
  const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(chromiumPath)) return { skipped: `no Chromium at ${chromiumPath}` };
  // playwright-core is the web app's dev dependency; resolve it from there.
  const loaded = (await import(createRequire(join(repoRoot, "apps/web/package.json")).resolve("playwright-core"))) as {
    chromium?: ChromiumLauncher;
    default?: { chromium: ChromiumLauncher };
  };
  const playwright = { chromium: (loaded.chromium ?? loaded.default?.chromium)! };
  const browser = await playwright.chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    headless: true,
  });
  try {
    const context = await browser.newContext({ baseURL: env.url, viewport: { width: 1280, height: 1000 } });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    // Sign in: the bench user's password is not known here, so register a second user and invite them.
    const email = `bench-dash-${env.runId}@bench.example`;
    const password = `dashboard-${env.runId}-password`;
    await page.goto("/");
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Name").fill("Dashboard Bench");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    // Membership by consent: the bench user invites the new account, which accepts on the invitation page.
    const invited = await fetch(`${env.url}/trpc/invitations.invite`, {
      method: "POST",
      headers: { ...env.headers, "content-type": "application/json" },
      body: JSON.stringify({ workspaceId: env.workspaceId, email, role: "member" }),
    });
    if (!invited.ok) throw new Error(`invitations.invite answered ${invited.status}`);
    const { result } = (await invited.json()) as { result: { data: { link: string } } };
    await page.goto(result.data.link);
    await page.getByRole("button", { name: "Accept invitation" }).click();
    await page.waitForURL(`**/w/${env.workspaceId}/contacts`);

    await page.addInitScript(`(() => {
      const check = () => {
        if (window.__readyAt !== undefined) return;
        const root = document.querySelector('[data-analytics-state="ready"]');
        if (root && root.querySelectorAll("canvas").length >= 3) { window.__readyAt = performance.now(); observer.disconnect(); }
      };
      const observer = new MutationObserver(check);
      observer.observe(document, { childList: true, subtree: true, attributes: true });
    })();`);
    const target = `/w/${env.workspaceId}/analytics`;
    const measure = async (label: string, cold: boolean) => {
      if (cold) await env.runtime.cache.invalidateWorkspace(env.workspaceId);
      await page.goto("about:blank");
      await page.goto(target, { waitUntil: "commit" });
      const handle = await page.waitForFunction(
        () => (globalThis as unknown as { __readyAt?: number }).__readyAt,
        undefined,
        { timeout: 60_000 },
      );
      const ms = round((await handle.jsonValue()) as number, 1);
      note(`dashboard ${label}: ready after ${ms} ms`);
      return ms;
    };
    const runs: number[] = [];
    const warm: number[] = [];
    await measure("warm-up (cold cache)", true);
    for (let run = 1; run <= RUNS; run++) runs.push(await measure(`run ${run} (cold cache)`, true));
    for (let run = 1; run <= RUNS; run++) warm.push(await measure(`run ${run} (warm cache)`, false));
    await context.close();
    return { runs, warm };
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------- main

await withBenchEnvironment({ contacts: 0, interactions: 0, configOverrides: { WEB_DIST_DIR: DIST } }, async (env) => {
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
});
