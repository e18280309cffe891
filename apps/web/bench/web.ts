/**
 * Web dashboard benchmark (`pnpm bench:web`, which builds the SPA first).
 *
 *   pnpm bench:web [--contacts 100000] [--runs 5] [--rows 50]
 *
 * 1. js_kb_gzip_initial: the JavaScript the first route loads — the entry
 *    <script type="module"> of apps/web/dist/index.html plus its
 *    <link rel="modulepreload"> files — each gzipped with zlib level 9, summed, in kB (1 kB = 1024 bytes).
 * 2. contacts_list_ready_ms: a throw-away Postgres database and Redis prefix,
 *    the real runtime + HTTP server (NODE_ENV=production) serving apps/web/dist,
 *    a user registered and a workspace created through the API, --contacts
 *    contacts seeded in bulk; Debian's Chromium signs in through the sign-in
 *    form, then (one warm-up + --runs measured runs) navigates to
 *    /w/:ws/contacts as a full page load. A MutationObserver installed before
 *    the page's scripts records performance.now() (ms since the navigation
 *    started) when --rows contact rows are in the DOM. The median is reported.
 *    Each load includes restoring the session from the refresh cookie, as a
 *    person reopening the tab would see it; static assets come from the
 *    browser cache after the warm-up (they are served immutable).
 *
 * Writes bench-results/web.json at the repo root; progress goes to stderr.
 * The database, the Redis keys and the browser are removed at the end (also on
 * Ctrl-C).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { createRuntime, loadConfig, type Runtime } from "@rapport/api";
import { seedWorkspace } from "@rapport/db/seed";
import { Redis } from "ioredis";
import { chromium, type Browser } from "playwright-core";
import { createRapportServer, type RapportServer } from "../../server/src/http";

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(here, "../../..");
const DIST = resolve(REPO_ROOT, "apps/web/dist");
const RESULTS = resolve(REPO_ROOT, "bench-results/web.json");
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
const HOST = "127.0.0.1";
// Tall enough that a virtualized list has 50 rows on screen (rows are ~40-56 px).
const VIEWPORT = { width: 1280, height: 3200 };
const TARGETS = { js_kb_gzip_initial: 150, contacts_list_ready_ms: 1000 } as const;

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    contacts: { type: "string" },
    runs: { type: "string" },
    rows: { type: "string" },
  },
});
const CONTACTS = intArg(args.contacts, 100_000, "contacts", 50);
const RUNS = intArg(args.runs, 5, "runs", 1);
const ROWS = intArg(args.rows, 50, "rows", 1);

function intArg(value: string | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

function note(message: string) {
  process.stderr.write(`[bench:web] ${message}\n`);
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

// ---------------------------------------------------------------- bundle size

interface InitialFile {
  file: string;
  bytes: number;
  gzip_bytes: number;
}

/** The entry module script and the modulepreload links of dist/index.html. */
export function initialJs(distDir: string): InitialFile[] {
  const html = readFileSync(join(distDir, "index.html"), "utf8");
  const files = new Set<string>();
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) {
    if (/\btype\s*=\s*["']?module/i.test(tag)) {
      const src = /\bsrc\s*=\s*["']([^"']+)["']/i.exec(tag)?.[1];
      if (src) files.add(src);
    }
  }
  for (const tag of html.match(/<link\b[^>]*>/gi) ?? []) {
    if (/\brel\s*=\s*["']?modulepreload/i.test(tag)) {
      const href = /\bhref\s*=\s*["']([^"']+)["']/i.exec(tag)?.[1];
      if (href) files.add(href);
    }
  }
  if (files.size === 0) throw new Error(`no entry script found in ${distDir}/index.html`);
  return [...files].map((url) => {
    const path = join(distDir, url.replace(/^\//, "").split("?")[0]!);
    const content = readFileSync(path);
    return { file: url, bytes: content.length, gzip_bytes: gzipSync(content, { level: 9 }).length };
  });
}

// ---------------------------------------------------------------- environment

const runId = randomBytes(6).toString("hex");
const dbName = `rapport_benchweb_${runId}`;
const redisPrefix = `rapport-benchweb-${runId}:`;
const adminUrl = process.env.BENCH_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
type Sql = { unsafe(query: string): Promise<unknown>; end(options?: { timeout?: number }): Promise<void> };
// postgres is @rapport/db's dependency; resolve it from there.
const postgres = createRequire(join(REPO_ROOT, "packages/db/package.json"))("postgres") as (
  url: string,
  options?: object,
) => Sql;

let admin: Sql | null = null;
let databaseCreated = false;
let runtime: Runtime | null = null;
let server: RapportServer | null = null;
let browser: Browser | null = null;
let cleaning: Promise<void> | null = null;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    const step = async (label: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        note(`cleanup: ${label} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    if (browser) await step("close browser", () => browser!.close());
    if (server) await step("close server", () => server!.close(2_000));
    if (runtime) await step("close runtime", () => runtime!.close());
    if (databaseCreated && admin)
      await step("drop database", () => admin!.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    if (admin) await step("close admin connection", () => admin!.end({ timeout: 5 }));
    await step("delete Redis keys", () => deleteRedisKeys());
    note(`cleaned up (database ${dbName} dropped, Redis prefix ${redisPrefix} cleared)`);
  })();
  return cleaning;
}

async function deleteRedisKeys() {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    let cursor = "0";
    let deleted = 0;
    for (let round = 0; round < 100_000; round++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${redisPrefix}*`, "COUNT", 1_000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
    note(`deleted ${deleted} Redis keys under ${redisPrefix}`);
  } finally {
    redis.disconnect();
  }
}

/** Counted in the page: rows of the contacts list (their "Select <name>" checkboxes; table rows for a plain table). */
const ROW_COUNTER = `(() => {
  const main = document.querySelector("main") || document.body;
  const checkboxes = [...main.querySelectorAll('input[type="checkbox"]')].filter((box) => {
    const label = box.getAttribute("aria-label") || (box.labels && box.labels[0] ? box.labels[0].textContent : "") || "";
    return /^\\s*Select (?!all)/i.test(label);
  }).length;
  return Math.max(checkboxes, main.querySelectorAll("tbody tr").length);
})()`;

async function main() {
  if (!existsSync(join(DIST, "index.html")))
    throw new Error(`${DIST}/index.html is missing: run pnpm --filter @rapport/web build (pnpm bench:web does)`);
  const files = initialJs(DIST);
  const jsKb = round1(files.reduce((sum, file) => sum + file.gzip_bytes, 0) / 1024);
  note(`initial JS: ${files.map((f) => `${f.file} ${round1(f.gzip_bytes / 1024)} kB`).join(", ")} → ${jsKb} kB gzip`);

  note(
    `node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}; database ${dbName}, Redis prefix ${redisPrefix}`,
  );
  admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  await admin.unsafe(`CREATE DATABASE "${dbName}"`);
  databaseCreated = true;
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${dbName}`;

  const config = loadConfig({
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: redisPrefix,
    LOG_LEVEL: "warn",
    JWT_SECRET: randomBytes(36).toString("base64url"),
    GDPR_SUPPRESSION_KEY: randomBytes(32).toString("hex"),
    LOGIN_MAX_PER_IP: "1000000",
    WEB_DIST_DIR: DIST,
  });
  runtime = await createRuntime(config, { migrate: true });
  await runtime.start("api");
  server = createRapportServer(runtime);
  const { url } = await server.listen(0, HOST);
  note(`server on ${url}`);

  // Account and workspace through the API (what the SPA would do), then the bulk seed.
  const email = `bench-web-${runId}@bench.example`;
  const password = randomBytes(18).toString("base64url");
  const registered = await trpcPost<{ accessToken: string; user: { id: string } }>(url, "auth.register", {
    email,
    password,
    name: "Bench User",
  });
  const workspace = await trpcPost<{ id: string }>(
    url,
    "workspaces.create",
    { name: `Bench ${runId}` },
    registered.accessToken,
  );
  let lastTenth = -1;
  const seeded = await seedWorkspace(runtime.database.db, {
    workspaceId: workspace.id,
    contacts: CONTACTS,
    interactions: 0,
    createdBy: registered.user.id,
    onProgress: (_phase, done, total) => {
      const tenth = Math.floor((done / total) * 10);
      if (tenth !== lastTenth) note(`seeded ${done}/${total} contacts`);
      lastTenth = tenth;
    },
  });
  const analyze = postgres(databaseUrl.toString(), { max: 1, onnotice: () => {} });
  await analyze.unsafe("ANALYZE");
  await analyze.end({ timeout: 5 });
  note(`seeded ${seeded.contacts} contacts in ${seeded.ms} ms; ANALYZE done`);

  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ baseURL: url, viewport: VIEWPORT });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();

  // Sign in through the form; the refresh cookie then restores the session on every load.
  await page.goto("/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  note("signed in through the sign-in form");

  await page.addInitScript(`(() => {
    const rows = () => ${ROW_COUNTER};
    const check = () => {
      if (window.__rowsReadyAt === undefined && document.readyState !== "loading" && rows() >= ${ROWS}) {
        window.__rowsReadyAt = performance.now();
        observer.disconnect();
      }
    };
    const observer = new MutationObserver(check);
    observer.observe(document, { childList: true, subtree: true });
  })();`);

  const target = `/w/${workspace.id}/contacts`;
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    await page.goto("about:blank");
    await page.goto(target, { waitUntil: "commit" });
    const handle = await page.waitForFunction(
      () => (window as unknown as { __rowsReadyAt?: number }).__rowsReadyAt,
      undefined,
      { timeout: 60_000 },
    );
    const ms = round1((await handle.jsonValue()) as number);
    const shown = (await page.evaluate(ROW_COUNTER)) as number;
    note(`${run === 0 ? "warm-up" : `run ${run}`}: ${ROWS} rows after ${ms} ms (${shown} rows in the DOM)`);
    if (run > 0) times.push(ms);
  }
  await context.close();

  const readyMs = round1(median(times));
  const results = {
    js_kb_gzip_initial: jsKb,
    contacts_list_ready_ms: readyMs,
    targets: {
      js_kb_gzip_initial: `<= ${TARGETS.js_kb_gzip_initial}`,
      contacts_list_ready_ms: `<= ${TARGETS.contacts_list_ready_ms}`,
    },
    met: {
      js_kb_gzip_initial: jsKb <= TARGETS.js_kb_gzip_initial,
      contacts_list_ready_ms: readyMs <= TARGETS.contacts_list_ready_ms,
    },
    js_initial_files: files,
    contacts_list_ready_runs_ms: times,
    contacts_seeded: seeded.contacts,
    rows_awaited: ROWS,
    runs: RUNS,
    viewport: VIEWPORT,
    chromium: browser.version(),
    node: process.version,
    cpus: os.cpus().length,
    measured_at: new Date().toISOString(),
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  note(`wrote ${RESULTS}`);
}

async function trpcPost<T>(base: string, path: string, input: unknown, token?: string): Promise<T> {
  const response = await fetch(`${base}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as { result?: { data: T }; error?: unknown };
  if (!response.ok || !body.result)
    throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body.error ?? body).slice(0, 300)}`);
  return body.result.data;
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
