/**
 * Today benchmark (`pnpm bench:today`; not part of the tests).
 *
 *   pnpm bench:today [--contacts 100000] [--interactions 2000000] [--runs 5] [--no-browser]
 *
 * A quick run: BENCH_CONTACTS=10000 BENCH_INTERACTIONS=200000 pnpm bench:today (the flags win).
 *
 * 1. A throw-away database and Redis prefix with the real runtime and HTTP server
 *    (bench/env.ts), the CRM workload of bench:analytics (crmSeedPlan: Zipf-like activity
 *    per contact over 20 months, 1 % of contacts soft-deleted), plus the Reconnect state a
 *    live workspace has: 2 % of contacts with a chosen keep-in-touch frequency, 1 % snoozed,
 *    1 % marked done, 0.2 % restricted (GDPR Art. 18). VACUUM ANALYZE.
 * 2. floor_ms: one scan of the interactions grouped by contact (`SELECT contact_id,
 *    count(*), max(occurred_at) … GROUP BY contact_id`), timed from this process, median of
 *    --runs after one warm-up; floor_server_ms is its EXPLAIN ANALYZE execution time.
 * 3. reconnect_cold_ms: reconnect.list (the Today page's top 10) over HTTP, computed from
 *    scratch (the workspace's cache generation moved before each call), median of --runs
 *    after one warm-up; reconnect_server_ms is the EXPLAIN ANALYZE execution time of the
 *    same statement with the service's session settings, whose plan is kept in the JSON;
 *    reconnect_warm_ms: the same call again, served from the cache layer (median of --runs).
 * 4. today_page_ready_ms (unless --no-browser or the SPA is not built): Chromium opens
 *    /w/:ws/today (full page load, session restored from the cookie) until the page marks
 *    itself ready (data-testid="today-ready": follow-ups, Reconnect, activity and health
 *    loaded), warm caches (one load before), median of --runs. The signed-in member has
 *    follow-ups overdue and due today.
 *
 * Writes bench-results/today.json at the repo root; progress goes to stderr.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { reconnectQuery, useAnalyticalSettings } from "@rapport/api";
import { DEFAULT_ANALYTICS_SETTINGS, DEFAULT_COLD_FACTOR } from "@rapport/core";
import { queryRows } from "@rapport/db";
import { sql } from "drizzle-orm";
import { timeToReady, WEB_DIST, watchReady, withMemberPage } from "./browser";
import { type BenchEnv, bulkSeed, crmSeedPlan, httpGet, intArg, repoRoot, withBenchEnvironment } from "./env";
import { median, note, round, timed } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    contacts: { type: "string" },
    interactions: { type: "string" },
    runs: { type: "string" },
    "no-browser": { type: "boolean" },
  },
});
const CONTACTS = intArg(args.contacts ?? process.env.BENCH_CONTACTS, 100_000, "contacts", 100);
const INTERACTIONS = intArg(args.interactions ?? process.env.BENCH_INTERACTIONS, 2_000_000, "interactions", 0);
const RUNS = intArg(args.runs, 5, "runs", 1);
const LIST_LIMIT = 10;
const RESULTS = join(repoRoot, "bench-results/today.json");
const TARGETS = { reconnect_cold_vs_floor: 3, today_page_ready_ms: 1_000 } as const;

async function seed(env: BenchEnv) {
  const sql = env.benchSql;
  const ws = env.workspaceId;
  const plan = crmSeedPlan(env, {
    contacts: CONTACTS,
    interactions: INTERACTIONS,
    afterLoad: async () => {
      // Keep-in-touch choices (weekly to quarterly), snoozes (ending in the coming weeks),
      // "done" marks (in the last two months) and restrictions, on disjoint contacts.
      await sql.unsafe(`
        INSERT INTO contact_reconnect (contact_id, workspace_id, keep_in_touch_days, snoozed_until, done_at)
        SELECT id, '${ws}',
               CASE WHEN rank % 100 IN (11, 12) THEN (ARRAY[7, 30, 90, 14])[1 + rank % 4] END,
               CASE WHEN rank % 100 = 13 THEN now() + (1 + rank % 30) * interval '1 day' END,
               CASE WHEN rank % 100 = 14 THEN now() - (rank % 60) * interval '1 day' END
        FROM bench_rank WHERE rank % 100 IN (11, 12, 13, 14)`);
      await sql.unsafe(`
        INSERT INTO gdpr_restrictions (subject_kind, subject_id, workspace_id)
        SELECT 'contact', id, '${ws}' FROM bench_rank WHERE rank % 500 = 15`);
    },
  });
  const ms = await bulkSeed(env, plan);
  await sql.unsafe("VACUUM ANALYZE contact_reconnect");
  await sql.unsafe("VACUUM ANALYZE gdpr_restrictions");
  return { contacts: CONTACTS, interactions: INTERACTIONS, deleted: plan.deleted, ms };
}

async function mutate<T>(env: BenchEnv, procedure: string, input: unknown): Promise<T> {
  const res = await fetch(`${env.url}/trpc/${procedure}`, {
    method: "POST",
    headers: { ...env.headers, "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  if (!res.ok) throw new Error(`${procedure} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

async function reconnectCall(env: BenchEnv) {
  const input = encodeURIComponent(JSON.stringify({ workspaceId: env.workspaceId, limit: LIST_LIMIT }));
  const res = await httpGet(env.port, `/trpc/reconnect.list?input=${input}`, env.headers);
  if (res.status !== 200)
    throw new Error(`reconnect.list answered ${res.status}: ${res.body.toString().slice(0, 300)}`);
  return (JSON.parse(res.body.toString()) as { result: { data: { items: { reason: string }[] } } }).result.data;
}

/** EXPLAIN (ANALYZE, BUFFERS) of the Reconnect statement, in a transaction with the service's settings. */
async function explainReconnect(env: BenchEnv) {
  const { db } = env.runtime.database;
  const query = reconnectQuery({
    workspaceId: env.workspaceId,
    asOfMs: Date.now(),
    values: DEFAULT_ANALYTICS_SETTINGS.valuesCents,
    coldFactor: DEFAULT_COLD_FACTOR,
    limit: LIST_LIMIT,
  });
  const rows = await db.transaction(async (tx) => {
    await useAnalyticalSettings(tx);
    return queryRows<{ "QUERY PLAN": string }>(tx, sql`EXPLAIN (ANALYZE, BUFFERS) ${query}`);
  });
  const plan = rows.map((row) => row["QUERY PLAN"]);
  const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(plan.at(-1) ?? "")?.[1] ?? Number.NaN);
  return { plan, executionMs: round(executionMs, 1) };
}

async function pageRuns(env: BenchEnv): Promise<{ warmUp: number; runs: number[] } | { skipped: string }> {
  if (args["no-browser"]) return { skipped: "--no-browser" };
  return withMemberPage(env, "pnpm bench:today builds it", async (page) => {
    // The signed-in member's follow-ups: two overdue, three due later today.
    const members = await httpGet(
      env.port,
      `/trpc/workspaces.members?input=${encodeURIComponent(JSON.stringify({ workspaceId: env.workspaceId }))}`,
      env.headers,
    );
    const listed = JSON.parse(members.body.toString()) as { result?: { data: { userId: string; name: string }[] } };
    const assigneeId = listed.result?.data.find((m) => m.name === "Page Bench")?.userId;
    if (!assigneeId) throw new Error(`the page user is not among the members (${members.status})`);
    const now = Date.now();
    for (const hours of [-30, -2, 1, 2, 3])
      await mutate(env, "tasks.create", {
        workspaceId: env.workspaceId,
        title: `Follow up ${hours}`,
        dueAt: new Date(now + hours * 3_600_000).toISOString(),
        assigneeId,
      });

    await watchReady(page, `return document.querySelector('[data-testid="today-ready"]') !== null;`);
    const target = `/w/${env.workspaceId}/today`;
    const warmUp = await timeToReady(page, target, "Today page warm-up");
    const runs: number[] = [];
    for (let run = 1; run <= RUNS; run++) runs.push(await timeToReady(page, target, `Today page run ${run} (warm)`));
    return { warmUp, runs };
  });
}

await withBenchEnvironment(
  { contacts: 0, interactions: 0, configOverrides: { WEB_DIST_DIR: WEB_DIST } },
  async (env) => {
    note(
      `node ${process.version}, ${os.cpus().length} CPUs, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    const loadStart = os.loadavg();
    const seeded = await seed(env);

    // Floor: read the interactions once, grouped by contact.
    const floorQuery = `SELECT contact_id, count(*), max(occurred_at) FROM interactions WHERE workspace_id = '${env.workspaceId}' GROUP BY contact_id`;
    await env.benchSql.unsafe(floorQuery);
    const floorRuns: number[] = [];
    for (let run = 0; run < RUNS; run++) floorRuns.push((await timed(() => env.benchSql.unsafe(floorQuery))).ms);
    const floorExplain = (await env.benchSql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${floorQuery}`)) as {
      "QUERY PLAN": [{ "Execution Time": number }];
    }[];
    const floorServerMs = round(floorExplain[0]!["QUERY PLAN"][0]["Execution Time"], 1);
    const floorMs = round(median(floorRuns), 1);
    note(
      `floor: ${floorRuns.map((ms) => round(ms, 1)).join(", ")} ms → median ${floorMs} ms (server ${floorServerMs} ms)`,
    );

    // Reconnect, from scratch every time.
    const cold = async () => {
      await env.runtime.cache.invalidateWorkspace(env.workspaceId);
      return timed(() => reconnectCall(env));
    };
    const first = await cold();
    note(`reconnect: first call ${round(first.ms, 1)} ms, ${first.value.items.length} items`);
    for (const item of first.value.items.slice(0, 3)) note(`  reason: ${item.reason}`);
    const coldRuns: number[] = [];
    for (let run = 0; run < RUNS; run++) coldRuns.push((await cold()).ms);
    const coldMs = round(median(coldRuns), 1);
    const ratio = round(coldMs / floorMs, 2);
    note(
      `reconnect cold: ${coldRuns.map((ms) => round(ms, 1)).join(", ")} ms → median ${coldMs} ms (${ratio} × floor)`,
    );
    // Warm: the list kept on the cache layer, as the Today page reads it on a later visit.
    const warmRuns: number[] = [];
    for (let run = 0; run < RUNS; run++) warmRuns.push((await timed(() => reconnectCall(env))).ms);
    const warmMs = round(median(warmRuns), 1);
    note(`reconnect warm (cached): ${warmRuns.map((ms) => round(ms, 1)).join(", ")} ms → median ${warmMs} ms`);
    const explained = await explainReconnect(env);
    note(`reconnect statement: execution ${explained.executionMs} ms (EXPLAIN ANALYZE)`);
    for (const line of explained.plan) note(`    ${line}`);

    // The server-side figures are written even when the page cannot be measured.
    const page = await pageRuns(env).catch((error: unknown) => {
      note(`Today page not measured: ${error instanceof Error ? error.message : String(error)}`);
      return { failed: error instanceof Error ? error.message.slice(0, 500) : String(error) };
    });
    const pageMs = "runs" in page ? round(median(page.runs), 1) : null;

    const results = {
      reconnect_cold_ms: coldMs,
      floor_ms: floorMs,
      reconnect_cold_vs_floor: ratio,
      today_page_ready_ms: pageMs,
      targets: {
        reconnect_cold_ms: `<= ${TARGETS.reconnect_cold_vs_floor} × floor_ms`,
        today_page_ready_ms: `< ${TARGETS.today_page_ready_ms} (warm caches)`,
      },
      met: {
        reconnect_cold_ms: ratio <= TARGETS.reconnect_cold_vs_floor,
        today_page_ready_ms: pageMs === null ? null : pageMs < TARGETS.today_page_ready_ms,
      },
      reconnect_warm_ms: warmMs,
      reconnect_cold_first_ms: round(first.ms, 1),
      reconnect_cold_runs_ms: coldRuns.map((ms) => round(ms, 1)),
      reconnect_items: first.value.items.length,
      reconnect_server_ms: explained.executionMs,
      reconnect_plan: explained.plan,
      floor_runs_ms: floorRuns.map((ms) => round(ms, 1)),
      floor_server_ms: floorServerMs,
      today_page: page,
      seeded,
      node: process.version,
      cpus: os.cpus().length,
      host_load_avg: {
        start: loadStart.map((l) => round(l, 2)),
        end: os.loadavg().map((l) => round(l, 2)),
      },
      measured_at: new Date().toISOString(),
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    note(`wrote ${RESULTS}`);
  },
);
