/**
 * GDPR benchmark (`pnpm bench:gdpr`; not part of the tests).
 *
 *   pnpm bench:gdpr [--contacts 10000] [--interactions 200000]
 *
 * 1. A throw-away database and Redis prefix with the real runtime, HTTP server and
 *    a BullMQ worker in this process (bench/env.ts); a user and workspace created
 *    through the API, export files in a temporary EXPORT_DIR.
 * 2. Bulk seed in SQL: --contacts contacts and --interactions interactions (with
 *    subjects, spread over the contacts), plus one contact with 500 interactions
 *    for the erasure figure. VACUUM ANALYZE.
 * 3. floor_s: reading the same rows the export writes (the owner's contacts,
 *    interactions, activity and audit entries) with plain SELECTs from this process.
 * 4. export_s: gdpr.requestExport → polling gdpr.exportStatus every 20 ms until a
 *    download URL is there (request to downloadable ZIP); export_peak_rss_mb is the
 *    peak RSS of this process (server + worker) sampled every 5 ms meanwhile;
 *    zip_mb the file's size. The ZIP is then downloaded once to check it is served.
 * 5. erase_contact_ms: gdpr.eraseContact on the contact with 500 interactions, if
 *    the procedure exists in this build (else null with a note).
 *
 * Writes bench-results/gdpr.json at the repo root; progress goes to stderr.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRapportClient } from "@rapport/client";
import { repoRoot, withBenchEnvironment, type BenchEnv } from "./env";
import { note, round } from "./load";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { contacts: { type: "string" }, interactions: { type: "string" } },
});
const CONTACTS = Number(args.contacts ?? 10_000);
const INTERACTIONS = Number(args.interactions ?? 200_000);
const ERASE_INTERACTIONS = 500;
const RESULTS = join(repoRoot, "bench-results/gdpr.json");
const TARGETS = { export_s: 5, export_vs_floor: "export_s <= 3 * floor_s + 1", export_peak_rss_mb: 300, erase_contact_ms: 500 } as const;
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
  await sql.unsafe(`CREATE TEMP TABLE bench_rank AS SELECT row_number() OVER (ORDER BY id)::int AS rank, id FROM contacts WHERE workspace_id = '${ws}'`);
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

/** The rows the owner's export holds, read with plain SELECTs (the floor). */
async function floor(env: BenchEnv): Promise<{ seconds: number; rows: number }> {
  const sql = env.benchSql;
  const started = performance.now();
  const owned = `(SELECT workspace_id FROM memberships WHERE user_id = '${env.userId}' AND role = 'owner')`;
  const parts = await Promise.all([
    sql.unsafe(`SELECT * FROM contacts WHERE workspace_id IN ${owned} OR created_by = '${env.userId}'`),
    sql.unsafe(`SELECT * FROM interactions WHERE workspace_id IN ${owned} OR created_by = '${env.userId}'`),
    sql.unsafe(`SELECT * FROM domain_events WHERE actor_id = '${env.userId}'`),
    sql.unsafe(`SELECT * FROM audit_log WHERE actor_id = '${env.userId}' OR (target_type = 'user' AND target_id = '${env.userId}')`),
  ]);
  return { seconds: round((performance.now() - started) / 1000, 3), rows: parts.reduce((sum, rows) => sum + rows.length, 0) };
}

await withBenchEnvironment({ contacts: 0, interactions: 0, configOverrides: {
  EXPORT_DIR: mkdtempSync(join(os.tmpdir(), "rapport-bench-exports-")),
  // Required in production by the erasure work (suppression-list HMAC key); a throw-away one here.
  GDPR_SUPPRESSION_KEY: randomBytes(32).toString("hex"),
} }, async (env) => {
  // The bench environment starts the api role; the export job runs in a worker here.
  await env.runtime.queue.start({ process: true });
  const seed = await bulkSeed(env);
  const client = createRapportClient({ url: env.url, token: env.token, batch: false });

  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const parts = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peak = Math.max(peak, usage.rss);
    for (const key of Object.keys(parts) as (keyof typeof parts)[]) parts[key] = Math.max(parts[key], usage[key]);
  }, 5);
  const started = performance.now();
  const requested = await client.gdpr.requestExport.mutate({});
  let status = requested;
  while (status.status !== "completed" || !status.downloadUrl) {
    if (status.status === "failed") throw new Error("export failed");
    await new Promise((resolve) => setTimeout(resolve, 20));
    status = await client.gdpr.exportStatus.query({ exportId: requested.exportId });
  }
  const exportSeconds = round((performance.now() - started) / 1000, 2);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  note(`export: ${exportSeconds} s, ${mb(status.fileSizeBytes ?? 0)} MB, peak RSS ${mb(peak)} MB (baseline ${mb(baseline)} MB)`);
  const response = await fetch(`${env.url}${status.downloadUrl}`, { headers: env.headers });
  const downloaded = (await response.arrayBuffer()).byteLength;
  if (response.status !== 200 || downloaded !== status.fileSizeBytes) throw new Error(`download: ${response.status}, ${downloaded} bytes`);

  // The floor after the export: its rows (read into this process) would inflate the RSS baseline.
  await floor(env); // warm-up
  const floorRun = await floor(env);
  note(`floor: ${floorRun.rows} rows in ${floorRun.seconds} s`);

  let eraseMs: number | null = null;
  let eraseNote: string | null = null;
  const gdpr = client.gdpr as unknown as { eraseContact?: { mutate(input: unknown): Promise<unknown> } };
  try {
    const eraseStarted = performance.now();
    await gdpr.eraseContact!.mutate({ workspaceId: env.workspaceId, contactId: seed.eraseContactId, reason: "benchmark" });
    eraseMs = Math.round(performance.now() - eraseStarted);
    note(`erase_contact: ${eraseMs} ms`);
  } catch (error) {
    eraseNote = `gdpr.eraseContact not measured: ${(error as Error).message}`;
    note(eraseNote);
  }

  const result = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, totalMemMb: mb(os.totalmem()), node: process.version, queue: env.runtime.queue.driver },
    seed: { contacts: CONTACTS + 1, interactions: INTERACTIONS + ERASE_INTERACTIONS, ms: seed.ms },
    export_s: exportSeconds,
    export_peak_rss_mb: mb(peak),
    export_baseline_rss_mb: mb(baseline),
    /** Peaks of the parts of the RSS during the export (info). */
    export_peak_memory_mb: Object.fromEntries(Object.entries(parts).map(([key, bytes]) => [key, mb(bytes)])),
    zip_mb: mb(status.fileSizeBytes ?? 0),
    floor_s: floorRun.seconds,
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
  rmSync(env.runtime.config.EXPORT_DIR, { recursive: true, force: true });
});
