/**
 * A throw-away benchmark environment: its own Postgres database and Redis key
 * prefix, the real runtime and HTTP server on 127.0.0.1, one user and workspace
 * created through the API, and seeded contacts. `cleanup()` removes all of it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createRuntime, loadConfig, type Runtime } from "@rapport/api";
import { createRapportClient } from "@rapport/client";
import { FIRST_NAMES, LAST_NAMES, seedWorkspace, type SeedResult } from "@rapport/db/seed";
import { Redis } from "ioredis";
import { createRapportServer, type RapportServer } from "../src/http";
import { note } from "./load";

export const HOST = "127.0.0.1";
export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

export function findRepoRoot(start: string): string {
  let dir = resolve(start);
  for (let depth = 0; depth < 50; depth++) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`pnpm-workspace.yaml not found above ${start}`);
}

/** The slice of postgres.js used here. */
export interface AdminSql {
  unsafe(query: string): Promise<Record<string, unknown>[]>;
  end(options?: { timeout?: number }): Promise<void>;
}
type PostgresFactory = (url: string, options?: Record<string, unknown>) => AdminSql;

function loadPostgres(): PostgresFactory {
  // Resolved from @rapport/db, which owns the dependency, so this works whether
  // or not apps/server lists postgres itself.
  return createRequire(join(repoRoot, "packages/db/package.json"))("postgres").default as PostgresFactory;
}

export interface BenchEnvOptions {
  contacts: number;
  interactions: number;
  /** Extra configuration variables (e.g. LOG_LEVEL, DATABASE_POOL_SIZE). */
  configOverrides?: Record<string, string>;
  /**
   * Create the database as a file copy of this one (a seed an earlier run kept, see
   * `cleanup({ keepAs })`) instead of empty; migrations newer than the copy still run.
   */
  templateDatabase?: string;
}

export interface BenchEnv {
  runId: string;
  dbName: string;
  databaseUrl: string;
  redisPrefix: string;
  runtime: Runtime;
  server: RapportServer;
  port: number;
  url: string;
  token: string;
  userId: string;
  workspaceId: string;
  seeded: SeedResult;
  /** Headers of an authenticated API request. */
  headers: Record<string, string>;
  /** Connection to the bench database as the admin user (EXPLAIN, stats). */
  benchSql: AdminSql;
  /** The DATABASE_POOL_SIZE the bench set (configOverrides), which other instances it starts get too. */
  poolSizeOverride: string | undefined;
  /**
   * Signs the bench user in again and puts the new access token in `token` and `headers`:
   * access tokens live minutes, a large seed can take longer.
   */
  signIn(): Promise<void>;
}

/**
 * Everything created is tracked on the returned handle as soon as it exists, so
 * `cleanup()` works after a failure half-way through `setup()`.
 */
export function createBenchEnvironment(options: BenchEnvOptions) {
  const runId = randomBytes(6).toString("hex");
  const dbName = `rapport_bench_${runId}`;
  const redisPrefix = `rapport-bench-${runId}:`;
  const adminUrl = process.env.BENCH_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${dbName}`;

  const postgres = loadPostgres();
  let admin: AdminSql | null = null;
  let benchSql: AdminSql | null = null;
  let databaseCreated = false;
  let runtime: Runtime | null = null;
  let server: RapportServer | null = null;
  let cleaned: Promise<void> | null = null;

  async function setup(): Promise<BenchEnv> {
    note(`run ${runId}: database ${dbName}, Redis prefix ${redisPrefix}`);
    admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
    if (options.templateDatabase) {
      const copyStarted = performance.now();
      // FILE_COPY: copies the files (one checkpoint) instead of writing every page to the WAL.
      await admin.unsafe(`CREATE DATABASE "${dbName}" TEMPLATE "${options.templateDatabase}" STRATEGY FILE_COPY`);
      note(`database copied from ${options.templateDatabase} in ${Math.round(performance.now() - copyStarted)} ms`);
    } else await admin.unsafe(`CREATE DATABASE "${dbName}"`);
    databaseCreated = true;

    const config = loadConfig({
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: redisPrefix,
      LOG_LEVEL: "warn",
      JWT_SECRET: randomBytes(36).toString("base64url"),
      GDPR_SUPPRESSION_KEY: randomBytes(32).toString("hex"),
      LOGIN_MAX_PER_IP: "1000000",
      // It serves HTTP only (started as "api" below), and is sized as that role is.
      ROLE: "api",
      ...options.configOverrides,
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
    const credentials = { email: `bench-${runId}@bench.example`, password: randomBytes(18).toString("base64url") };
    const registered = await client.auth.register.mutate({ ...credentials, name: "Bench User" });
    token = registered.accessToken;
    const workspace = await client.workspaces.create.mutate({ name: `Bench ${runId}` });
    note(`registered ${registered.user.email} through the API, workspace ${workspace.id}`);

    let lastShown = -1;
    const seeded = await seedWorkspace(runtime.database.db, {
      workspaceId: workspace.id,
      contacts: options.contacts,
      interactions: options.interactions,
      createdBy: registered.user.id,
      onProgress: (phase, done, total) => {
        const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
        if (tenth === lastShown && done < total) return;
        lastShown = tenth;
        note(`seed ${phase}: ${done}/${total}`);
      },
    });
    note(`seeded ${seeded.contacts} contacts, ${seeded.interactions} interactions in ${seeded.ms} ms`);

    benchSql = postgres(databaseUrl.toString(), { max: 1, onnotice: () => {}, connect_timeout: 10 });
    // Planner statistics as a live database would have them; autovacuum would
    // collect them on its own, but only some time after a bulk load.
    const analyzeStarted = performance.now();
    await benchSql.unsafe("ANALYZE");
    note(`ANALYZE in ${Math.round(performance.now() - analyzeStarted)} ms`);

    const env: BenchEnv = {
      runId,
      dbName,
      databaseUrl: databaseUrl.toString(),
      redisPrefix,
      runtime,
      server,
      port,
      url,
      token,
      userId: registered.user.id,
      workspaceId: workspace.id,
      seeded,
      headers: { authorization: `Bearer ${token}`, accept: "application/json", "user-agent": "rapport-bench" },
      benchSql,
      poolSizeOverride: options.configOverrides?.DATABASE_POOL_SIZE,
      signIn: async () => {
        const signedIn = await client.auth.login.mutate(credentials);
        env.token = signedIn.accessToken;
        env.headers.authorization = `Bearer ${signedIn.accessToken}`;
      },
    };
    return env;
  }

  /**
   * Closes and removes everything. `keepAs`: the database is renamed to that name (with
   * `comment` as its comment) instead of dropped, for later runs to copy (`templateDatabase`).
   */
  async function cleanup(options: { keepAs?: string; comment?: string } = {}): Promise<void> {
    cleaned ??= (async () => {
      const step = async (label: string, fn: () => Promise<unknown>) => {
        try {
          await fn();
        } catch (error) {
          note(`cleanup: ${label} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
      const [srv, rt, bench, adm] = [server, runtime, benchSql, admin];
      if (srv) await step("close server", () => srv.close(2_000));
      if (rt) await step("close runtime", () => rt.close());
      if (bench) await step("close bench connection", () => bench.end({ timeout: 5 }));
      // BENCH_KEEP_DATABASE=1 leaves the database for EXPLAIN after the run (drop it by hand).
      const keep = databaseCreated && process.env.BENCH_KEEP_DATABASE === "1";
      if (keep) note(`kept database ${dbName}`);
      else if (databaseCreated && adm && options.keepAs) {
        const keepAs = options.keepAs;
        await step("keep database", async () => {
          // Commented before it is renamed (a comment belongs to the database, not its name): a
          // database under the kept name is complete, and a run stopped in between leaves only
          // its own run's database behind, not a kept name without its description.
          if (options.comment !== undefined)
            await adm.unsafe(`COMMENT ON DATABASE "${dbName}" IS '${options.comment.replace(/'/g, "''")}'`);
          // A closed pool's backends may take a moment to leave the database.
          for (let attempt = 1; ; attempt++) {
            try {
              await adm.unsafe(`ALTER DATABASE "${dbName}" RENAME TO "${keepAs}"`);
              break;
            } catch (error) {
              if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
              await new Promise((resolveWait) => setTimeout(resolveWait, 250));
            }
          }
          note(`kept database ${dbName} as ${keepAs}`);
        });
      } else if (databaseCreated && adm)
        await step("drop database", () => adm.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
      if (adm) await step("close admin connection", () => adm.end({ timeout: 5 }));
      await step("delete Redis keys", () => deleteRedisKeys(redisUrl, redisPrefix));
      note(
        `cleaned up (database ${dbName} ${keep || options.keepAs ? "kept" : "dropped"}, Redis prefix ${redisPrefix} cleared)`,
      );
    })();
    return cleaned;
  }

  return { runId, setup, cleanup };
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    let cursor = "0";
    let deleted = 0;
    // SCAN ends when the cursor comes back to 0; the round cap is only a safety net.
    for (let round = 0; round < 100_000; round++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
    note(`deleted ${deleted} Redis keys under ${prefix}`);
  } finally {
    redis.disconnect();
  }
}

/**
 * The production worker (`src/main.ts --role worker`, as the Dockerfile runs it) on the
 * bench's database, Redis prefix and secrets, plus `extraEnv`; resolves once it is ready.
 * BENCH_WORKER_NODE_ARGS adds Node options (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"); BENCH_BUILT=1 runs the build.
 */
export function startWorker(
  env: BenchEnv,
  extraEnv: Record<string, string> = {},
  options: InstanceOptions = {},
): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  return startInstance(env, "worker", extraEnv, [], options);
}

export interface InstanceOptions {
  /** Run the build (`dist/main.js`) whatever BENCH_BUILT says: for figures such as RSS that tsx would inflate. */
  built?: boolean;
}

/**
 * Another API instance (`src/main.ts --role api --port <port>`) in its own process on the
 * bench's database, Redis prefix and secrets (so it accepts the bench's tokens), plus `extraEnv`.
 */
export function startApiInstance(
  env: BenchEnv,
  port: number,
  extraEnv: Record<string, string> = {},
  options: InstanceOptions = {},
): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  return startInstance(env, "api", extraEnv, ["--port", String(port)], options);
}

/** The child goes with this process, however it ends (Ctrl-C ends it from withBenchEnvironment). */
export function killedWithBench(child: ChildProcess): ChildProcess {
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  return child;
}

/** Asks a child process to stop (SIGTERM), waits up to `graceMs` for it, then kills it; resolves once it is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  // Already gone (by its own exit or a signal): "exit" will not come again.
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await exited;
  }
}

/** A port nothing listens on now (for another instance to take). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startInstance(
  env: BenchEnv,
  role: "worker" | "api",
  extraEnv: Record<string, string>,
  extraArgs: string[] = [],
  options: InstanceOptions = {},
): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const config = env.runtime.config;
  const extra = process.env.BENCH_WORKER_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  // BENCH_BUILT=1: the build (`dist/main.js`, what the image runs), not the sources through tsx
  // (whose loader and transformed sources add ~100 MB to each process's baseline).
  const built = options.built === true || process.env.BENCH_BUILT === "1";
  const entry = built ? ["dist/main.js"] : ["--import", "tsx", "src/main.ts"];
  if (built && !existsSync(join(repoRoot, "apps/server/dist/main.js")))
    throw new Error("the built server is needed first (pnpm --filter @rapport/server build)");
  const child = spawn(process.execPath, [...extra, ...entry, "--role", role, ...extraArgs], {
    cwd: join(repoRoot, "apps/server"),
    env: {
      ...process.env,
      NODE_ENV: "production",
      ROLE: role,
      DATABASE_URL: env.databaseUrl,
      // Each role's own default unless the bench set one.
      DATABASE_POOL_SIZE: env.poolSizeOverride ?? "",
      REDIS_URL: config.REDIS_URL ?? "",
      REDIS_PREFIX: env.redisPrefix,
      JWT_SECRET: config.JWT_SECRET,
      GDPR_SUPPRESSION_KEY: config.GDPR_SUPPRESSION_KEY,
      LOG_LEVEL: "info",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  killedWithBench(child);
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (/"level":(40|50|60)/.test(line)) note(`${role}: ${line.slice(0, 400)}`);
  };
  createInterface({ input: child.stderr! }).on("line", keep);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${role} not ready after 60 s:\n${tail.join("\n")}`));
    }, 60_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      keep(line);
      if (line.includes('"rapport started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited (${code}) before it was ready:\n${tail.join("\n")}`));
    });
  });
  return { child, exited };
}

/** Runs `body` with cleanup on success, failure, Ctrl-C and SIGTERM. */
export async function withBenchEnvironment(
  options: BenchEnvOptions,
  body: (env: BenchEnv) => Promise<void>,
): Promise<void> {
  const environment = createBenchEnvironment(options);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    note(`${signal}: cleaning up`);
    void environment.cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await body(await environment.setup());
  } catch (error) {
    process.exitCode = 1;
    if (!interrupted) note(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    await environment.cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function listPath(input: Record<string, unknown>): string {
  return `/trpc/contacts.list?input=${encodeURIComponent(JSON.stringify(input))}`;
}

export function httpGet(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolvePromise, reject) => {
    const req = http.request({ host: HOST, port, path, method: "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** The first page and the next `pages - 1` cursor pages of contacts.list (sort "updated"). */
export async function listPagePaths(env: BenchEnv, pageSize: number, pages: number) {
  const baseInput = { workspaceId: env.workspaceId, limit: pageSize, sort: "updated" };
  const paths = [listPath(baseInput)];
  const first = await httpGet(env.port, paths[0]!, env.headers);
  if (first.status !== 200)
    throw new Error(`contacts.list answered ${first.status}: ${first.body.toString("utf8").slice(0, 300)}`);
  let page = first;
  for (let i = 1; i < pages; i++) {
    const parsed = JSON.parse(page.body.toString("utf8")) as { result: { data: { nextCursor: string | null } } };
    const cursor = parsed.result.data.nextCursor;
    if (!cursor) break;
    const path = listPath({ ...baseInput, cursor });
    page = await httpGet(env.port, path, env.headers);
    if (page.status !== 200) throw new Error(`contacts.list (page ${i + 1}) answered ${page.status}`);
    paths.push(path);
  }
  return { paths, first };
}

/** `--name 100_000`: an integer of at least `min`, or `fallback` when absent. */
export function intArg(value: string | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

export interface BulkSeedPlan {
  contacts: number;
  interactions: number;
  /** Interactions per INSERT statement. */
  chunk: number;
  /** INSERT INTO contacts … of `contacts` rows in the bench workspace. */
  insertContacts: string;
  /**
   * INSERT INTO interactions … for the sample rows `first`..`last`: select from
   * `zipfSample(first, last)` AS x JOIN bench_rank r ON r.rank = x.rank.
   */
  insertInteractions: (first: number, last: number) => string;
  /** Runs once everything is loaded, while bench_rank still exists (rebuild indexes, mark some contacts…). */
  afterLoad?: () => Promise<void>;
}

/**
 * The one bulk load of the benchmarks that need millions of rows (the row-by-row
 * `seedWorkspace` of @rapport/db would take minutes): contacts and interactions
 * written by INSERT … SELECT generate_series, deterministic (`setseed`), activity
 * per contact Zipf-like over a random permutation of the contacts (bench_rank:
 * rank r gets about 1/r of it), then VACUUM ANALYZE so plans see the real sizes.
 */
export async function bulkSeed(env: BenchEnv, plan: BulkSeedPlan): Promise<number> {
  const sql = env.benchSql;
  const started = performance.now();
  await sql.unsafe("SELECT setseed(0.42)");
  await sql.unsafe(plan.insertContacts);
  note(`seed: ${plan.contacts} contacts in ${Math.round(performance.now() - started)} ms`);
  await sql.unsafe(`CREATE TEMP TABLE bench_rank AS
    SELECT row_number() OVER (ORDER BY random())::int AS rank, id, created_at FROM contacts WHERE workspace_id = '${env.workspaceId}'`);
  await sql.unsafe("CREATE UNIQUE INDEX ON bench_rank (rank)");
  for (let done = 0; done < plan.interactions; done += plan.chunk) {
    const n = Math.min(plan.chunk, plan.interactions - done);
    const chunkStarted = performance.now();
    await sql.unsafe(plan.insertInteractions(done + 1, done + n));
    note(`seed: interactions ${done + n}/${plan.interactions} (${Math.round(performance.now() - chunkStarted)} ms)`);
  }
  await plan.afterLoad?.();
  await sql.unsafe("DROP TABLE bench_rank");
  const vacuumStarted = performance.now();
  await sql.unsafe("VACUUM ANALYZE contacts");
  await sql.unsafe("VACUUM ANALYZE interactions");
  note(`seed: VACUUM ANALYZE in ${Math.round(performance.now() - vacuumStarted)} ms`);
  return Math.round(performance.now() - started);
}

/**
 * The CRM workload of the analytics-style benchmarks: `contacts` contacts (1 % soft-deleted)
 * created over 20 months, `interactions` interactions with log-uniform (Zipf(1)-like)
 * activity per contact, skewed toward recent dates, types email 55 % / meeting 15 % /
 * call 15 % / linkedin 10 % / note 5 %. `afterLoad` runs after the soft-deletes, while
 * bench_rank (rank, id, created_at) still exists.
 */
export function crmSeedPlan(
  env: BenchEnv,
  options: { contacts: number; interactions: number; afterLoad?: () => Promise<void> },
): BulkSeedPlan & { deleted: number } {
  const ws = env.workspaceId;
  const deleted = Math.floor(options.contacts / 100);
  return {
    contacts: options.contacts,
    interactions: options.interactions,
    deleted,
    chunk: 500_000,
    insertContacts: `
    INSERT INTO contacts (workspace_id, email, name, company, title, tags, source, created_by, created_at, updated_at)
    SELECT '${ws}', 'person' || g || '@company' || (g % 12500) || '.example',
           (${sqlArray(FIRST_NAMES.slice(0, 16))})[1 + (g % 16)]
             || ' ' || (${sqlArray(LAST_NAMES.slice(0, 12))})[1 + ((g / 16) % 12)],
           'Company ' || (g % 12500), 'Title', '{}', 'import', '${env.userId}', t, t
    FROM (SELECT g, now() - (random() * 600) * interval '1 day' AS t FROM generate_series(1, ${options.contacts}) g) s`,
    insertInteractions: (first, last) => `
      INSERT INTO interactions (workspace_id, contact_id, type, direction, occurred_at, source, created_by, created_at)
      SELECT '${ws}', r.id,
             CASE WHEN x.u < 0.55 THEN 'email' WHEN x.u < 0.70 THEN 'meeting' WHEN x.u < 0.85 THEN 'call' WHEN x.u < 0.95 THEN 'linkedin' ELSE 'note' END,
             CASE WHEN x.v < 0.5 THEN 'inbound' ELSE 'outbound' END,
             r.created_at + (now() - r.created_at) * power(x.w, 0.6),
             'import', '${env.userId}', r.created_at + (now() - r.created_at) * power(x.w, 0.6)
      FROM ${zipfSample(options.contacts, first, last)} x
      JOIN bench_rank r ON r.rank = x.rank`,
    // One contact in a hundred soft-deleted: the figures must leave them out.
    afterLoad: async () => {
      await env.benchSql.unsafe(
        `UPDATE contacts SET deleted_at = now() WHERE id IN (SELECT id FROM bench_rank WHERE rank % 100 = 7 LIMIT ${deleted})`,
      );
      await options.afterLoad?.();
    },
  };
}

/** Sample rows `first`..`last` (column g) with a Zipf-like contact rank and three uniform draws u, v, w. */
export function zipfSample(contacts: number, first: number, last: number): string {
  return `(SELECT g, least(${contacts}, floor(exp(random() * ln(${contacts} + 1)))::int) AS rank, random() AS u, random() AS v, random() AS w
           FROM generate_series(${first}, ${last}) g)`;
}

/** A SQL text array literal of `values` (quotes doubled). */
export const sqlArray = (values: readonly string[]) =>
  `ARRAY[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(",")}]`;
