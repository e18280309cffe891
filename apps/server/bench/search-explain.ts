/**
 * Where does a search spend its time? Diagnostics behind bench:search's figures (not part
 * of the benchmark): against a database a run kept (`BENCH_KEEP_DATABASE=1 pnpm bench:search`, or
 * the seed `pnpm bench:search --seed-cache` keeps),
 *
 *   cd apps/server && tsx bench/search-explain.ts --database rapport_bench_… [--top 8] [--rounds 3]
 *
 * runs the benchmark's 200 queries one at a time through `services.search` (no HTTP),
 * times every SQL statement they send, and prints the median per kind of query, the
 * statements that cost most in total, and EXPLAIN (ANALYZE, BUFFERS) of the slowest
 * instance of each. Report on stderr.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { createRuntime, loadConfig } from "@rapport/api";
import { createRequire } from "node:module";
import { intArg } from "./env";
import { note, percentile, round } from "./load";
import { queryMix } from "./search-mix";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { database: { type: "string" }, top: { type: "string" }, rounds: { type: "string" } },
});
if (!args.database || !/^rapport_bench_(search_seed_)?[0-9a-f]+$/.test(args.database)) {
  throw new Error(
    "--database rapport_bench_… (kept by BENCH_KEEP_DATABASE=1 or bench:search --seed-cache) is required",
  );
}
const TOP = intArg(args.top, 8, "top", 1);
const ROUNDS = intArg(args.rounds, 3, "rounds", 1);
const url = `postgres://postgres@127.0.0.1:5432/${args.database}`;

interface Statement {
  text: string;
  params: unknown[];
  ms: number;
}
interface Unsafe {
  unsafe(text: string, params?: unknown[], options?: unknown): Promise<unknown>;
}

const runtime = await createRuntime(
  loadConfig({
    NODE_ENV: "production",
    DATABASE_URL: url,
    LOG_LEVEL: "warn",
    JWT_SECRET: randomBytes(36).toString("base64url"),
    GDPR_SUPPRESSION_KEY: randomBytes(32).toString("hex"),
  }),
  { migrate: false },
);
const postgres = createRequire(import.meta.url)("postgres").default as (
  u: string,
  o: object,
) => Unsafe & { end(): Promise<void> };
const explainSql = postgres(url, { max: 1, onnotice: () => {} });
try {
  const [{ id: workspaceId } = { id: "" }] = (await explainSql.unsafe(
    "SELECT workspace_id AS id FROM contacts GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
  )) as { id: string }[];

  // Every statement the search sends, timed where postgres.js runs it.
  let recording: Statement[] | null = null;
  const client = (runtime.database.db as unknown as { $client: Unsafe & { begin: (...a: unknown[]) => unknown } })
    .$client;
  const timed = (target: Unsafe) => {
    const unsafe = target.unsafe.bind(target);
    target.unsafe = (text, params, options) => {
      const log = recording;
      if (!log) return unsafe(text, params, options) as never;
      // The pool's unsafe runs the statement at once (it retries on a lost connection), and
      // awaiting a native promise does not go through an overridden then: time the call itself.
      const started = performance.now();
      return Promise.resolve(unsafe(text, params, options)).then((rows) => {
        log.push({ text, params: params ?? [], ms: performance.now() - started });
        return rows;
      }) as never;
    };
  };
  timed(client);
  // Hot reads skip the pool's `unsafe` (packages/db calls the pool directly); without that
  // shortcut they go through it and are timed like every other statement.
  for (const symbol of Object.getOwnPropertySymbols(client)) {
    if (symbol.description === "rapport.poolQuery") delete (client as unknown as Record<symbol, unknown>)[symbol];
  }
  // Statements inside a transaction go through the transaction's own connection object.
  const begin = client.begin.bind(client);
  client.begin = (...beginArgs: unknown[]) => {
    const fn = beginArgs[beginArgs.length - 1] as (tx: Unsafe) => unknown;
    const wrapped = (tx: Unsafe) => {
      timed(tx);
      return fn(tx);
    };
    return beginArgs.length > 1 ? begin(beginArgs[0], wrapped) : begin(wrapped);
  };

  const mix = queryMix();
  const byKind = new Map<string, number[]>();
  const statements: (Statement & { kind: string; q: string })[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const { kind, q } of mix) {
      recording = [];
      const started = performance.now();
      await runtime.services.search.query({ workspaceId, q, limit: 10 });
      const ms = performance.now() - started;
      if (round > 0) {
        byKind.set(kind, [...(byKind.get(kind) ?? []), ms]);
        for (const s of recording) statements.push({ ...s, kind, q });
      }
      recording = null;
    }
  }
  const median = (values: number[]) =>
    round(
      percentile(
        [...values].sort((a, b) => a - b),
        50,
      ),
    );
  note(
    `per query, one at a time (median of ${ROUNDS - 1} rounds): ${JSON.stringify(Object.fromEntries([...byKind].map(([k, v]) => [k, median(v)])))}`,
  );
  note(
    `all: p50 ${median([...byKind.values()].flat())} ms, p99 ${round(
      percentile(
        [...byKind.values()].flat().sort((a, b) => a - b),
        99,
      ),
    )} ms`,
  );

  // Statements by shape (text without the parameters), by total time.
  const shapes = new Map<string, (Statement & { kind: string; q: string })[]>();
  for (const s of statements) shapes.set(s.text, [...(shapes.get(s.text) ?? []), s]);
  const ranked = [...shapes.entries()]
    .map(([text, runs]) => ({ text, runs, total: runs.reduce((sum, r) => sum + r.ms, 0) }))
    .sort((a, b) => b.total - a.total);
  for (const { text, runs, total } of ranked.slice(0, TOP)) {
    const slowest = runs.reduce((a, b) => (b.ms > a.ms ? b : a));
    note("");
    note(
      `${round(total)} ms in ${runs.length} runs (median ${median(runs.map((r) => r.ms))} ms, slowest ${round(slowest.ms)} ms for ${slowest.kind} ${JSON.stringify(slowest.q)})`,
    );
    note(text.replace(/\s+/g, " ").slice(0, 600));
    if (!/^\s*(select|with)\b/i.test(text) || /set_config/i.test(text)) continue;
    const plan = (await explainSql
      .unsafe(`BEGIN; SELECT set_config('pg_trgm.word_similarity_threshold', '0.4', true);`)
      .then(() => explainSql.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, slowest.params))
      .finally(() => explainSql.unsafe("ROLLBACK"))) as {
      "QUERY PLAN": string;
    }[];
    for (const line of plan) note(`  ${line["QUERY PLAN"]}`);
  }
} finally {
  await explainSql.end();
  await runtime.close();
}
