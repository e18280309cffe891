/**
 * API benchmark: contacts.list and contacts.create through the real HTTP server.
 *
 *   pnpm bench:api [--contacts 100000] [--interactions 0] [--duration 10] [--warmup 2]
 *                  [--concurrency 20] [--pages 5] [--rounds 3]
 *
 * Creates a throw-away Postgres database and Redis key prefix, starts the real
 * runtime + HTTP server on 127.0.0.1 (NODE_ENV=production, LOG_LEVEL=warn),
 * registers a user and creates a workspace through the API, bulk-seeds
 * contacts, then drives the server with a closed-loop keep-alive load generator
 * in a worker thread (bench/loadgen.mjs), so the generator never shares the
 * server's event loop:
 *
 *   contacts.list    GET  /trpc/contacts.list?input={workspaceId,limit:50,sort:"updated",cursor?}
 *                    cycling through the first --pages pages
 *   contacts.create  POST /trpc/contacts.create {workspaceId,name,email} (unique emails)
 *   system.ping      GET  /trpc/system.ping, the signed-in no-op procedure, through the
 *                    same server, alternated with contacts.list: what any authenticated
 *                    tRPC request costs here (trpc_ceiling_rps). list_to_trpc_ceiling =
 *                    list_rps / trpc_ceiling_rps; list_cost_beyond_trpc_ms is the CPU time
 *                    per request the list adds on top (1000/list_rps - 1000/trpc_ceiling_rps,
 *                    both CPU-bound on the one server thread)
 *   ceiling          a bare node:http server on the same thread answering the
 *                    captured first list page from memory, same generator and load
 *
 * Results go to bench-results/api.json at the repo root and to stdout; progress
 * to stderr. Everything created is removed at the end (also on Ctrl-C).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HOST, intArg, listPagePaths, repoRoot, withBenchEnvironment } from "./env";
import { note, round, runLoad } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    contacts: { type: "string" },
    interactions: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    concurrency: { type: "string" },
    pages: { type: "string" },
    rounds: { type: "string" },
  },
});

const CONTACTS = intArg(args.contacts, 100_000, "contacts", 0);
const INTERACTIONS = intArg(args.interactions, 0, "interactions", 0);
const DURATION_S = secondsArg(args.duration, 10, "duration");
const WARMUP_S = secondsArg(args.warmup, 2, "warmup");
const CONCURRENCY = intArg(args.concurrency, 20, "concurrency", 1);
const PAGES = intArg(args.pages, 5, "pages", 1);
const PAGE_SIZE = 50;
const ROUNDS = intArg(args.rounds, 3, "rounds", 1);
const TARGETS = { list_p99_ms: "< 20", create_per_s: ">= 1000", list_to_trpc_ceiling: ">= 0.5" } as const;

function medianByRps<T extends { rps: number }>(rounds: T[]): T {
  return [...rounds].sort((a, b) => a.rps - b.rps)[Math.floor((rounds.length - 1) / 2)]!;
}

function secondsArg(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 600)
    throw new Error(`--${name} must be a number of seconds between 0 and 600`);
  return n;
}

const loadAtStart = os.loadavg()[0]!;
note(
  `node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAtStart.toFixed(2)}, ${CONTACTS} contacts, concurrency ${CONCURRENCY}, ${WARMUP_S} s warm-up + ${DURATION_S} s per phase`,
);

await withBenchEnvironment({ contacts: CONTACTS, interactions: INTERACTIONS }, async (env) => {
  const { paths, first } = await listPagePaths(env, PAGE_SIZE, PAGES);
  note(`list pages cycled: ${paths.length}; first page ${first.body.length} bytes`);
  const load = {
    host: HOST,
    concurrency: CONCURRENCY,
    warmupMs: WARMUP_S * 1000,
    durationMs: DURATION_S * 1000,
    headers: env.headers,
  };

  // contacts.list and system.ping alternate (ROUNDS each), so both see the same machine
  // load; the figures are the median round of each.
  const listRounds = [];
  const pingRounds = [];
  for (let r = 1; r <= ROUNDS; r++) {
    listRounds.push(await runLoad(`contacts.list (${r}/${ROUNDS})`, { ...load, port: env.port, mode: "get", paths }));
    pingRounds.push(
      await runLoad(`system.ping (${r}/${ROUNDS})`, {
        ...load,
        port: env.port,
        mode: "get",
        paths: ["/trpc/system.ping"],
      }),
    );
  }
  const list = medianByRps(listRounds);
  const ping = medianByRps(pingRounds);
  const create = await runLoad("contacts.create", {
    ...load,
    port: env.port,
    mode: "create",
    create: { path: "/trpc/contacts.create", workspaceId: env.workspaceId, tag: env.runId },
  });

  // Ceiling: the same generator and load against a bare node:http server on the
  // thread the API server uses, answering the captured first page from memory.
  const body = first.body;
  const contentType = first.headers["content-type"] ?? "application/json";
  const bare = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": contentType, "content-length": body.length });
    res.end(body);
  });
  bare.keepAliveTimeout = 65_000;
  let ceiling: Awaited<ReturnType<typeof runLoad>>;
  try {
    const port = await new Promise<number>((resolvePromise, reject) => {
      bare.once("error", reject);
      bare.listen(0, HOST, () => resolvePromise((bare.address() as { port: number }).port));
    });
    ceiling = await runLoad("ceiling (bare node:http)", { ...load, port, mode: "get", paths });
  } finally {
    await new Promise<void>((done) => {
      bare.close(() => done());
      bare.closeAllConnections();
    });
  }

  const listToCeiling = round(list.rps / ping.rps, 3);
  const results = {
    list_p50_ms: list.p50_ms,
    list_p99_ms: list.p99_ms,
    list_rps: list.rps,
    trpc_ceiling_rps: ping.rps,
    trpc_ceiling_p99_ms: ping.p99_ms,
    list_to_trpc_ceiling: listToCeiling,
    list_cost_beyond_trpc_ms: round(1000 / list.rps - 1000 / ping.rps, 3),
    create_per_s: create.rps,
    create_p99_ms: create.p99_ms,
    create_errors: create.errors,
    ceiling_rps: ceiling.rps,
    contacts_seeded: env.seeded.contacts,
    concurrency: CONCURRENCY,
    duration_s: DURATION_S,
    warmup_s: WARMUP_S,
    page_size: PAGE_SIZE,
    list_pages_cycled: paths.length,
    node: process.version,
    cpus: os.cpus().length,
    // Other work on the machine competes with the server, Postgres and the load generator.
    host_load_avg_1m: { start: round(loadAtStart), end: round(os.loadavg()[0]!) },
    timestamp: new Date().toISOString(),
    targets: TARGETS,
    met: {
      list_p99_ms: list.p99_ms < 20,
      list_to_trpc_ceiling: listToCeiling >= 0.5,
      create_per_s: create.rps >= 1000 && create.errors === 0 && create.warmup_errors === 0,
    },
    details: {
      list,
      ping,
      create,
      ceiling,
      list_rounds_rps: listRounds.map((r) => r.rps),
      ping_rounds_rps: pingRounds.map((r) => r.rps),
    },
  };

  const outDir = join(repoRoot, "bench-results");
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, "api.json");
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(outFile, json);
  process.stdout.write(json);
  note(`wrote ${outFile}`);
});

// A stray handle (e.g. a socket that never closed) must not keep the process alive.
setTimeout(() => process.exit(), 2_000).unref();
