/**
 * Search benchmark (`pnpm bench:search`; not part of the tests).
 *
 *   pnpm bench:search [--contacts 100000] [--interactions 2000000] [--seconds 20] [--scan-sample 20]
 *                     [--only import|search] [--seed-cache]
 *
 * `--only import` seeds as asked, then runs only the import part (7.) and writes
 * bench-results/search-import.json instead (search.json keeps the last full run).
 * `--only search` runs 2.–5. only and writes bench-results/search-query.json instead.
 *
 * `--seed-cache`: the seeded database (1.) is kept, named after what it holds (sizes, seed
 * SQL, migrations), and each run works on a file copy of it (seconds instead of minutes).
 * A run without the flag seeds from scratch as before. Drop the kept databases
 * (`rapport_bench_search_seed_…`) by hand when done.
 *
 * 1. A throw-away database and Redis prefix with the real runtime and HTTP server
 *    (bench/env.ts). Bulk seed in SQL (INSERT … SELECT generate_series, as
 *    bench:analytics): contacts whose names, companies and titles come from pools
 *    with accents and hyphens, phones and tags; interactions with subjects and
 *    summaries from a vocabulary. The search indexes are dropped for the load and
 *    rebuilt from their own definitions afterwards (as a bulk import would), then
 *    VACUUM ANALYZE.
 * 2. A mix of 200 queries: name prefixes, words inside names (infix), one-letter
 *    typos, company words and interaction subject words.
 * 3. search_p50_ms / search_p99_ms: search.query over HTTP, concurrency 10, the 200
 *    queries cycled, after a warm-up.
 * 4. suggest_p99_ms: search.suggest over HTTP, concurrency 10, prefixes of 2–4 letters.
 * 5. scan_p50_ms: the floor an index-less search would pay, measured in the same run:
 *    a sequential `ILIKE '%q%'` over the same fields (contacts and interactions) for
 *    every --scan-sample-th query of the mix, one at a time, median.
 *
 * 6. dedup_scan_s: the duplicates scan of the workspace as a job (bench/dedup-scan.ts).
 * 7. import_100k_s, import_floor_s, import_peak_rss_mb: a 100,000-row CSV import against a raw
 *    COPY of the same rows (bench/search-import.ts).
 *
 * Writes bench-results/search.json at the repo root; progress goes to stderr.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { measureDedupScan } from "./dedup-scan";
import {
  type BenchEnv,
  type BulkSeedPlan,
  bulkSeed,
  createBenchEnvironment,
  HOST,
  intArg,
  repoRoot,
  sqlArray,
  withBenchEnvironment,
  zipfSample,
} from "./env";
import { note, percentile, round, runLoad } from "./load";
import { importBench } from "./search-import";
import { COMPANY, FIRST, LAST, queryMix, SUBJECT, SUMMARY_WORDS, TITLE } from "./search-mix";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    contacts: { type: "string" },
    interactions: { type: "string" },
    seconds: { type: "string" },
    "scan-sample": { type: "string" },
    only: { type: "string" },
    "seed-cache": { type: "boolean" },
  },
});
if (args.only !== undefined && args.only !== "import" && args.only !== "search")
  throw new Error("--only takes: import, search");
const ONLY_IMPORT = args.only === "import";
const ONLY_SEARCH = args.only === "search";
const CONTACTS = intArg(args.contacts, 100_000, "contacts", 100);
const INTERACTIONS = intArg(args.interactions, 2_000_000, "interactions", 0);
const SECONDS = intArg(args.seconds, 20, "seconds", 1);
const SCAN_EVERY = intArg(args["scan-sample"], 10, "scan-sample", 1);
const CONCURRENCY = 10;
const RESULTS = join(repoRoot, "bench-results/search.json");
const TARGETS = { search_p99_ms: 50, search_p99_vs_scan_p50: 0.1, suggest_p99_ms: 30 } as const;

// ---------------------------------------------------------------- seed

/** The rows loaded (bench/env.ts bulkSeed), for the bench's workspace and user. */
function seedPlan(ws: string, userId: string): Omit<BulkSeedPlan, "afterLoad"> {
  return {
    contacts: CONTACTS,
    interactions: INTERACTIONS,
    chunk: 250_000,
    insertContacts: `
    INSERT INTO contacts (workspace_id, email, name, company, title, phone, tags, source, created_by, created_at, updated_at)
    SELECT '${ws}',
           'person' || g || '@' || lower(replace(c.company, ' ', '')) || (g % 997) || '.example',
           n.first || ' ' || n.last, c.company || ' ' || (g % 97), (${sqlArray(TITLE)})[1 + (g % ${TITLE.length})],
           '+1 (' || (200 + g % 700) || ') ' || lpad((g * 7919 % 10000000)::text, 7, '0'),
           CASE WHEN g % 10 = 0 THEN ARRAY['vip'] WHEN g % 7 = 0 THEN ARRAY['lead', 'emea'] ELSE '{}' END,
           'import', '${userId}', t, t
    FROM (SELECT g, now() - (random() * 600) * interval '1 day' AS t FROM generate_series(1, ${CONTACTS}) g) s
    CROSS JOIN LATERAL (SELECT (${sqlArray(FIRST)})[1 + (g % ${FIRST.length})] AS first,
                               (${sqlArray(LAST)})[1 + ((g / ${FIRST.length}) % ${LAST.length})] || CASE WHEN g % 3 = 0 THEN '' ELSE ' ' || (g % 401) END AS last) n
    CROSS JOIN LATERAL (SELECT (${sqlArray(COMPANY)})[1 + (g % ${COMPANY.length})] AS company) c`,
    insertInteractions: (first, last) => `
      INSERT INTO interactions (workspace_id, contact_id, type, direction, occurred_at, subject, summary, source, created_by, created_at)
      SELECT '${ws}', r.id, 'email', CASE WHEN x.v < 0.5 THEN 'inbound' ELSE 'outbound' END,
             r.created_at + (now() - r.created_at) * x.w,
             (${sqlArray(SUBJECT)})[1 + floor(x.u * ${SUBJECT.length})::int] || ' #' || (x.g % 5000),
             'We ' || (${sqlArray(SUMMARY_WORDS)})[1 + (x.g % ${SUMMARY_WORDS.length})] || ' the '
               || (${sqlArray(SUMMARY_WORDS)})[1 + ((x.g / 7) % ${SUMMARY_WORDS.length})] || ' and the '
               || (${sqlArray(SUMMARY_WORDS)})[1 + ((x.g / 131) % ${SUMMARY_WORDS.length})] || ' with the team in '
               || (${sqlArray(COMPANY)})[1 + (x.g % ${COMPANY.length})] || '.',
             'import', '${userId}', now()
      FROM ${zipfSample(CONTACTS, first, last)} x
      JOIN bench_rank r ON r.rank = x.rank`,
  };
}

async function seed(env: BenchEnv) {
  const sql = env.benchSql;
  // The search indexes, dropped for the load and rebuilt from their own definitions (as a bulk import would).
  const indexes = (await sql.unsafe(
    `SELECT indexname, indexdef FROM pg_indexes
     WHERE schemaname = 'public' AND indexname LIKE '%search%' AND indexname NOT LIKE '%_pkey' ORDER BY indexname`,
  )) as { indexname: string; indexdef: string }[];
  for (const index of indexes) await sql.unsafe(`DROP INDEX ${index.indexname}`);
  const ms = await bulkSeed(env, {
    ...seedPlan(env.workspaceId, env.userId),
    afterLoad: async () => {
      await sql.unsafe("SET maintenance_work_mem = '256MB'");
      for (const index of indexes) {
        const indexStarted = performance.now();
        await sql.unsafe(index.indexdef);
        note(`seed: ${index.indexname} built in ${Math.round(performance.now() - indexStarted)} ms`);
      }
    },
  });
  return { contacts: CONTACTS, interactions: INTERACTIONS, ms };
}

/** What a kept seed holds: its workspace, and how long seeding it took. */
interface SeedCacheEntry {
  workspaceId: string;
  contacts: number;
  interactions: number;
  ms: number;
}

/**
 * The kept seed for these sizes, seed SQL and migrations (created first when there is
 * none): a database seeded as a full run seeds, described (its comment) and then renamed
 * instead of dropped, so that the kept name only ever names a complete seed.
 */
async function cachedSeed(): Promise<{ database: string; entry: SeedCacheEntry }> {
  const migrationsDir = join(repoRoot, "packages/db/src/migrations");
  const plan = seedPlan("WORKSPACE", "USER");
  const key = createHash("sha256")
    .update(JSON.stringify([plan, plan.insertInteractions(1, plan.chunk), bulkSeed.toString(), seed.toString()]))
    .update(
      readdirSync(migrationsDir)
        .sort()
        .map((file) => readFileSync(join(migrationsDir, file), "utf8"))
        .join("\0"),
    )
    .digest("hex")
    .slice(0, 16);
  const database = `rapport_bench_search_seed_${key}`;
  const adminUrl = process.env.BENCH_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const admin = createRequire(join(repoRoot, "packages/db/package.json"))("postgres").default(adminUrl, {
    max: 1,
    onnotice: () => {},
  }) as { unsafe(q: string): Promise<{ comment: string | null }[]>; end(): Promise<void> };
  try {
    const [kept] = await admin.unsafe(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = '${database}'`,
    );
    if (kept?.comment) {
      note(`seed cache: using ${database}`);
      return { database, entry: JSON.parse(kept.comment) as SeedCacheEntry };
    }
    // Kept but never described: left by a run stopped between renaming and commenting (the
    // rename came first before); what it holds is unknown, and it would block the new keep.
    if (kept) {
      note(`seed cache: ${database} has no description, dropping it`);
      await admin.unsafe(`DROP DATABASE "${database}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
  note(`seed cache: no ${database} yet, seeding it`);
  const environment = createBenchEnvironment({ contacts: 0, interactions: 0 });
  let entry: SeedCacheEntry | null = null;
  try {
    const env = await environment.setup();
    const seeded = await seed(env);
    entry = { workspaceId: env.workspaceId, ...seeded };
  } finally {
    await environment.cleanup(entry ? { keepAs: database, comment: JSON.stringify(entry) } : {});
  }
  return { database, entry };
}

/** The bench's user becomes an owner of the kept seed's workspace, which the bench then searches. */
async function adoptSeededWorkspace(env: BenchEnv, entry: SeedCacheEntry) {
  await env.benchSql.unsafe(
    `INSERT INTO memberships (workspace_id, user_id, role) VALUES ('${entry.workspaceId}', '${env.userId}', 'owner')`,
  );
  env.workspaceId = entry.workspaceId;
}

const trpcPath = (procedure: string, input: unknown) =>
  `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;

// ---------------------------------------------------------------- scan floor

async function scanFloor(env: BenchEnv, queries: string[]): Promise<number[]> {
  const times: number[] = [];
  for (const q of queries) {
    const pattern = `'%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`).replace(/'/g, "''")}%'`;
    const started = performance.now();
    await env.benchSql.unsafe(`
      SELECT id FROM contacts WHERE workspace_id = '${env.workspaceId}' AND deleted_at IS NULL
        AND (name ILIKE ${pattern} OR email ILIKE ${pattern} OR company ILIKE ${pattern} OR title ILIKE ${pattern} OR phone ILIKE ${pattern})
      LIMIT 10`);
    await env.benchSql.unsafe(`
      SELECT id FROM interactions WHERE workspace_id = '${env.workspaceId}'
        AND (subject ILIKE ${pattern} OR summary ILIKE ${pattern})
      ORDER BY occurred_at DESC LIMIT 10`);
    times.push(performance.now() - started);
  }
  return times;
}

// ---------------------------------------------------------------- main

const seedCache = args["seed-cache"] ? await cachedSeed() : null;
await withBenchEnvironment({ contacts: 0, interactions: 0, templateDatabase: seedCache?.database }, async (env) => {
  note(`node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}`);
  const loadStart = os.loadavg()[0]!;
  if (seedCache) await adoptSeededWorkspace(env, seedCache.entry);
  const seeded = seedCache?.entry ?? (await seed(env));
  note(`seeded in ${seeded.ms} ms${seedCache ? " (kept seed, copied)" : ""}`);
  // The access token signed at setup may have expired during a long seed.
  await env.signIn();
  if (ONLY_IMPORT) {
    const result = {
      generated_at: new Date().toISOString(),
      data: {
        contacts: seeded.contacts,
        interactions: seeded.interactions,
        seed_ms: seeded.ms,
        seed_cached: seedCache !== null,
      },
      ...(await importBench(env)),
      host: { cpus: os.cpus().length, load_at_start: round(loadStart), load_at_end: round(os.loadavg()[0]!) },
    };
    const path = join(repoRoot, "bench-results/search-import.json");
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
    note(`wrote ${path}`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }

  const mix = queryMix();
  const searchPaths = mix.map(({ q }) => trpcPath("search.query", { workspaceId: env.workspaceId, q, limit: 10 }));
  const suggestPaths = mix
    .filter((m) => m.kind === "prefix" || m.kind === "infix")
    .map(({ q }, i) => trpcPath("search.suggest", { workspaceId: env.workspaceId, q: q.slice(0, 2 + (i % 3)) }));
  // Every query answers 200 before anything is timed.
  for (const path of [...searchPaths.slice(0, 5), ...suggestPaths.slice(0, 2)]) {
    const response = await fetch(`${env.url}${path}`, { headers: env.headers });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  }

  const load = { host: HOST, port: env.port, concurrency: CONCURRENCY, headers: env.headers, mode: "get" as const };
  const search = await runLoad("search.query", {
    ...load,
    paths: searchPaths,
    groups: mix.map((m) => m.kind),
    warmupMs: 3_000,
    durationMs: SECONDS * 1_000,
  });
  const suggest = await runLoad("search.suggest", {
    ...load,
    paths: suggestPaths,
    warmupMs: 2_000,
    durationMs: SECONDS * 1_000,
  });

  // One request at a time per kind of query: which kind costs what, without queueing.
  const byKind: Record<string, number> = {};
  for (const kind of new Set(mix.map((m) => m.kind))) {
    const times: number[] = [];
    for (const [i, m] of mix.entries()) {
      if (m.kind !== kind) continue;
      const started = performance.now();
      const response = await fetch(`${env.url}${searchPaths[i]}`, { headers: env.headers });
      await response.arrayBuffer();
      times.push(performance.now() - started);
    }
    byKind[kind] = round(
      percentile(
        times.sort((a, b) => a - b),
        50,
      ),
    );
  }
  note(`search.query alone, p50 by kind: ${JSON.stringify(byKind)}`);

  const scanQueries = mix.filter((_, i) => i % SCAN_EVERY === 0).map((m) => m.q);
  note(`scan floor: ${scanQueries.length} queries, sequential ILIKE '%q%'`);
  const scans = (await scanFloor(env, scanQueries)).sort((a, b) => a - b);
  const scanP50 = round(percentile(scans, 50));
  note(`scan floor: p50 ${scanP50} ms`);
  // Last: it plants near-duplicate contacts the searches above must not see.
  const dedup = ONLY_SEARCH ? {} : await measureDedupScan(env);

  const result = {
    generated_at: new Date().toISOString(),
    host: { cpus: os.cpus().length, load_at_start: round(loadStart), load_at_end: round(os.loadavg()[0]!) },
    data: {
      contacts: seeded.contacts,
      interactions: seeded.interactions,
      seed_ms: seeded.ms,
      seed_cached: seedCache !== null,
    },
    queries: { mix: mix.length, kinds: ["prefix", "infix", "typo", "company", "subject"], concurrency: CONCURRENCY },
    search_p50_ms: search.p50_ms,
    search_p99_ms: search.p99_ms,
    search_rps: search.rps,
    search_errors: search.errors,
    search_by_kind: search.by_group,
    search_alone_p50_ms_by_kind: byKind,
    suggest_p50_ms: suggest.p50_ms,
    suggest_p99_ms: suggest.p99_ms,
    suggest_errors: suggest.errors,
    scan_p50_ms: scanP50,
    scan_queries: scanQueries.length,
    search_p99_vs_scan_p50: round(search.p99_ms / scanP50, 3),
    ...dedup,
    targets: TARGETS,
    met: {
      search_p99_ms: search.p99_ms < TARGETS.search_p99_ms,
      search_p99_vs_scan_p50: search.p99_ms <= TARGETS.search_p99_vs_scan_p50 * scanP50,
      suggest_p99_ms: suggest.p99_ms < TARGETS.suggest_p99_ms,
    },
  };
  if (!ONLY_SEARCH) Object.assign(result, await importBench(env));
  const path = ONLY_SEARCH ? join(repoRoot, "bench-results/search-query.json") : RESULTS;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  note(`wrote ${path}`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
});
