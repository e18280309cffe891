/**
 * GDPR benchmark (`pnpm bench:gdpr`; not part of the tests).
 *
 *   pnpm bench:gdpr [--contacts 10000] [--interactions 200000]
 *
 * 1. A throw-away database and Redis prefix with the real runtime and HTTP server in
 *    this process, as the api role (it processes no jobs) (bench/env.ts); a user and
 *    workspace created through the API, export files in a temporary EXPORT_DIR.
 * 2. Bulk seed in SQL (generate_series on the server: nothing passes through this
 *    process): --contacts contacts and --interactions interactions (with subjects,
 *    spread over the contacts), plus one contact with 500 interactions for the erasure
 *    figure. VACUUM ANALYZE.
 * 3. A worker: `node --import tsx src/main.ts --role worker` — the production worker
 *    (the Dockerfile runs `tsx src/main.ts`, whose child process is this one) with the
 *    same database, Redis prefix, secrets and EXPORT_DIR, started after the seed, then
 *    left 2 s to settle. It runs the real `gdpr.export` job from BullMQ.
 * 4. export_s: gdpr.requestExport → polling gdpr.exportStatus every 20 ms until a
 *    download URL is there (request to downloadable ZIP). export_peak_rss_mb: the peak
 *    RSS of the worker process — the kernel's high-water mark (VmHWM, reset through
 *    /proc/<pid>/clear_refs just before the request) and VmRSS sampled every 5 ms,
 *    whichever is higher (samples only where the reset is not permitted). Everything
 *    the worker holds counts, its idle footprint included (export_worker_idle_rss_mb,
 *    for reference). zip_mb: the file's size; the ZIP is then downloaded once to check
 *    it is served.
 * 5. floor_s: the same rows the export reads — the same columns, filters and joins as
 *    the export files of modules/<module>/privacy.ts, profile to audit — with one plain SELECT per file
 *    on one connection from this process (rows parsed into objects, as any client
 *    would), after a warm-up run; the median of three runs (floor_runs_s has all three).
 * 6. erase_contact_ms: gdpr.eraseContact on the contact with 500 interactions, if
 *    the procedure exists in this build (else null with a note).
 *
 * BENCH_WORKER_NODE_ARGS adds Node options to the worker (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof" to profile the export). Writes bench-results/gdpr.json at
 * the repo root; progress goes to stderr.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRapportClient } from "@rapport/client";
import { repoRoot, startWorker, withBenchEnvironment, type BenchEnv } from "./env";
import { note, round } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { contacts: { type: "string" }, interactions: { type: "string" } },
});
const CONTACTS = Number(args.contacts ?? 10_000);
const INTERACTIONS = Number(args.interactions ?? 200_000);
const ERASE_INTERACTIONS = 500;
const RESULTS = join(repoRoot, "bench-results/gdpr.json");
const TARGETS = {
  export_s: 5,
  export_vs_floor: "export_s <= 3 * floor_s + 1",
  export_peak_rss_mb: 300,
  erase_contact_ms: 500,
} as const;
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

async function bulkSeed(env: BenchEnv): Promise<{ eraseContactId: string; ms: number }> {
  const started = performance.now();
  const sql = env.benchSql;
  const ws = env.workspaceId;
  await sql.unsafe("SELECT setseed(0.42)");
  await sql.unsafe(`
    INSERT INTO contacts (workspace_id, email, name, company, title, phone, tags, source, created_by, created_at, updated_at)
    SELECT '${ws}', 'person' || g || '@company' || (g % 2500) || '.example', 'Person ' || g, 'Company ' || (g % 2500), 'Title', '+49 30 ' || g,
           '{lead}', CASE WHEN g % 3 = 0 THEN 'gmail' ELSE 'import' END, '${env.userId}', now() - (random() * 600) * interval '1 day', now()
    FROM generate_series(1, ${CONTACTS}) g`);
  await sql.unsafe(
    `CREATE TEMP TABLE bench_rank AS SELECT row_number() OVER (ORDER BY id)::int AS rank, id FROM contacts WHERE workspace_id = '${ws}'`,
  );
  await sql.unsafe("CREATE UNIQUE INDEX ON bench_rank (rank)");
  await sql.unsafe(`
    INSERT INTO interactions (workspace_id, contact_id, type, direction, occurred_at, subject, summary, source, created_by, created_at)
    SELECT '${ws}', r.id, (ARRAY['email','meeting','call','linkedin','note'])[1 + g % 5], CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
           now() - (random() * 600) * interval '1 day', 'Subject ' || g, 'A short summary of interaction ' || g, 'import', '${env.userId}', now()
    FROM generate_series(1, ${INTERACTIONS}) g JOIN bench_rank r ON r.rank = 1 + (g % ${CONTACTS})`);
  await sql.unsafe("DROP TABLE bench_rank");
  const [erase] = await sql.unsafe(`
    INSERT INTO contacts (workspace_id, email, name, source, created_by) VALUES ('${ws}', 'erase.me@bench.example', 'Erase Me', 'gmail', '${env.userId}') RETURNING id`);
  const eraseContactId = String(erase!.id);
  await sql.unsafe(`
    INSERT INTO interactions (workspace_id, contact_id, type, direction, occurred_at, subject, source, created_by)
    SELECT '${ws}', '${eraseContactId}', 'email', 'inbound', now() - g * interval '1 hour', 'Hello from Erase Me ' || g, 'gmail', '${env.userId}'
    FROM generate_series(1, ${ERASE_INTERACTIONS}) g`);
  await sql.unsafe(`
    INSERT INTO interaction_participants (interaction_id, workspace_id, contact_id, email, display_name, role)
    SELECT id, workspace_id, contact_id, 'erase.me@bench.example', 'Erase Me', 'from' FROM interactions WHERE contact_id = '${eraseContactId}'`);
  await sql.unsafe("VACUUM ANALYZE contacts");
  await sql.unsafe("VACUUM ANALYZE interactions");
  await sql.unsafe("VACUUM ANALYZE interaction_participants");
  const ms = Math.round(performance.now() - started);
  note(`seed: ${CONTACTS + 1} contacts, ${INTERACTIONS + ERASE_INTERACTIONS} interactions in ${ms} ms`);
  return { eraseContactId, ms };
}

/**
 * The floor: the rows the owner's export writes, read with plain SELECTs over the same
 * columns, filters and joins as the export files in `modules/<module>/privacy.ts` (profile, memberships
 * with their workspace names, sessions, contacts, interactions, preferences, activity,
 * audit), one query per file on one connection, into this process as ordinary rows.
 */
async function floor(env: BenchEnv): Promise<{ seconds: number; rows: number }> {
  const sql = env.benchSql;
  const user = `'${env.userId}'`;
  const owned = `(SELECT workspace_id FROM memberships WHERE user_id = ${user} AND role = 'owner')`;
  const started = performance.now();
  let rows = 0;
  for (const query of [
    `SELECT id, email, name, created_at, updated_at FROM users WHERE id = ${user}`,
    `SELECT m.workspace_id, w.name, m.role, m.created_at FROM memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ${user}`,
    `SELECT id, created_at, last_used_at, revoked_at, revoked_reason, ip, user_agent FROM sessions WHERE user_id = ${user}`,
    `SELECT id, workspace_id, name, email, company, title, phone, tags, source, created_by, created_at, updated_at, deleted_at
       FROM contacts WHERE workspace_id IN ${owned} OR created_by = ${user}`,
    `SELECT id, workspace_id, contact_id, type, direction, occurred_at, subject, summary, source, external_id, created_by, created_at
       FROM interactions WHERE workspace_id IN ${owned} OR created_by = ${user}`,
    `SELECT * FROM analytics_settings WHERE updated_by = ${user}`,
    `SELECT id, workspace_id, actor_id, type, payload, created_at FROM domain_events WHERE actor_id = ${user}`,
    `SELECT id, workspace_id, actor_id, action, target_type, target_id, ip, user_agent, metadata, created_at
       FROM audit_log WHERE actor_id = ${user} OR (target_type = 'user' AND target_id = ${user})`,
  ]) {
    rows += (await sql.unsafe(query)).length;
  }
  return { seconds: round((performance.now() - started) / 1000, 3), rows };
}

/** A `--role worker` process (src/main.ts, as in production) on the bench database and Redis prefix. */
const KB = 1024;
function procStatus(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * KB;
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

/** Resets the kernel's peak-RSS mark (VmHWM) of `pid` to its current RSS; false where not permitted. */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

await withBenchEnvironment(
  {
    contacts: 0,
    interactions: 0,
    configOverrides: {
      EXPORT_DIR: mkdtempSync(join(os.tmpdir(), "rapport-bench-exports-")),
      // Required in production by the erasure work (suppression-list HMAC key); a throw-away one here.
      GDPR_SUPPRESSION_KEY: randomBytes(32).toString("hex"),
    },
  },
  async (env) => {
    // This process is the api role (HTTP, no job processing); the export job runs in a separate
    // worker process, started after the seed so that its memory is its own.
    if (env.runtime.queue.driver !== "bullmq")
      throw new Error("bench:gdpr needs Redis: the export job runs in a separate worker process, through BullMQ");
    const seed = await bulkSeed(env);
    const worker = await startWorker(env, { EXPORT_DIR: env.runtime.config.EXPORT_DIR });
    try {
      const pid = worker.child.pid!;
      const client = createRapportClient({ url: env.url, token: env.token, batch: false });
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // start-up work (schedules, dispatcher) settles
      const baseline = procStatus(pid).rss;
      const hwmReset = resetPeakRss(pid);
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, procStatus(pid).rss)), 5);
      const started = performance.now();
      const requested = await client.gdpr.requestExport.mutate({});
      let status = requested;
      while (status.status !== "completed" || !status.downloadUrl) {
        if (status.status === "failed") throw new Error("export failed");
        if (performance.now() - started > 300_000)
          throw new Error(`export still ${status.status} (${status.progress} %) after 5 minutes`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        status = await client.gdpr.exportStatus.query({ exportId: requested.exportId });
      }
      const exportSeconds = round((performance.now() - started) / 1000, 2);
      clearInterval(sampler);
      const after = procStatus(pid);
      peak = Math.max(peak, after.rss, hwmReset ? after.hwm : 0);
      note(
        `export: ${exportSeconds} s, ${mb(status.fileSizeBytes ?? 0)} MB, worker peak RSS ${mb(peak)} MB (idle ${mb(baseline)} MB; ${hwmReset ? "VmHWM reset before the export + 5 ms samples" : "5 ms samples only"})`,
      );
      const response = await fetch(`${env.url}${status.downloadUrl}`, { headers: env.headers });
      const downloaded = (await response.arrayBuffer()).byteLength;
      if (response.status !== 200 || downloaded !== status.fileSizeBytes)
        throw new Error(`download: ${response.status}, ${downloaded} bytes`);

      await floor(env); // warm-up
      const floorRuns = [await floor(env), await floor(env), await floor(env)];
      const floorRun = [...floorRuns].sort((a, b) => a.seconds - b.seconds)[1]!;
      note(
        `floor: ${floorRun.rows} rows in ${floorRuns.map((run) => run.seconds).join(" / ")} s (median ${floorRun.seconds})`,
      );

      let eraseMs: number | null = null;
      let eraseNote: string | null = null;
      const gdpr = client.gdpr as unknown as { eraseContact?: { mutate(input: unknown): Promise<unknown> } };
      try {
        const eraseStarted = performance.now();
        await gdpr.eraseContact!.mutate({
          workspaceId: env.workspaceId,
          contactId: seed.eraseContactId,
          reason: "benchmark",
        });
        eraseMs = Math.round(performance.now() - eraseStarted);
        note(`erase_contact: ${eraseMs} ms`);
      } catch (error) {
        eraseNote = `gdpr.eraseContact not measured: ${(error as Error).message}`;
        note(eraseNote);
      }

      const result = {
        generatedAt: new Date().toISOString(),
        machine: {
          cpus: os.cpus().length,
          cpuModel: os.cpus()[0]?.model ?? null,
          totalMemMb: mb(os.totalmem()),
          node: process.version,
          queue: env.runtime.queue.driver,
        },
        seed: { contacts: CONTACTS + 1, interactions: INTERACTIONS + ERASE_INTERACTIONS, ms: seed.ms },
        export_s: exportSeconds,
        export_peak_rss_mb: mb(peak),
        /** The worker process's RSS when idle, just before the request (info). */
        export_worker_idle_rss_mb: mb(baseline),
        export_peak_rss_method: hwmReset
          ? "worker process: VmHWM reset at the request, plus VmRSS sampled every 5 ms"
          : "worker process: VmRSS sampled every 5 ms",
        zip_mb: mb(status.fileSizeBytes ?? 0),
        floor_s: floorRun.seconds,
        floor_runs_s: floorRuns.map((run) => run.seconds),
        floor_rows: floorRun.rows,
        erase_contact_ms: eraseMs,
        ...(eraseNote ? { erase_contact_note: eraseNote } : {}),
        targets: TARGETS,
        met: {
          export_s: exportSeconds < TARGETS.export_s,
          export_vs_floor: exportSeconds <= 3 * floorRun.seconds + 1,
          export_peak_rss_mb: mb(peak) < TARGETS.export_peak_rss_mb,
          erase_contact_ms: eraseMs === null ? null : eraseMs < TARGETS.erase_contact_ms,
        },
      };
      mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
      writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
      note(`wrote ${RESULTS}`);
      console.log(JSON.stringify(result, null, 2));
    } finally {
      worker.child.kill("SIGTERM");
      await Promise.race([worker.exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
      rmSync(env.runtime.config.EXPORT_DIR, { recursive: true, force: true });
    }
  },
);
