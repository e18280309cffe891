/**
 * dedup_scan_s for `pnpm bench:search`: the duplicates scan of the whole workspace, through
 * the HTTP API (duplicates.scan, then jobs.get until it completes; the job runs on the production
 * worker process, started before the clock), after planting near-twins
 * of 1 % of the contacts (a name one letter longer at the same company, half with the same
 * phone). Its floor, measured in the same run: reading the columns the scan reads for every
 * contact in one query (dedup_read_floor_s, median of three).
 */
import { startWorker, type BenchEnv } from "./env";
import { note, round } from "./load";

export async function measureDedupScan(env: BenchEnv) {
  const sql = env.benchSql;
  const ws = env.workspaceId;
  const [{ n }] = (await sql.unsafe(`SELECT count(*)::int AS n FROM contacts WHERE workspace_id = '${ws}'`)) as [
    { n: number },
  ];
  const twins = Math.max(1, Math.floor(n / 100));
  await sql.unsafe(`
    INSERT INTO contacts (workspace_id, name, company, title, phone, tags, source, created_by, created_at, updated_at)
    SELECT workspace_id, name || 'e', company, title, CASE WHEN k % 2 = 0 THEN phone END, '{}', 'manual', created_by, now(), now()
    FROM (SELECT c.*, row_number() OVER (ORDER BY id) AS k FROM contacts c WHERE workspace_id = '${ws}') s
    WHERE k % 100 = 0`);
  await sql.unsafe("ANALYZE contacts");
  const floors: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await sql.unsafe(
      `SELECT id, name, email, phone, company FROM contacts WHERE workspace_id = '${ws}' AND deleted_at IS NULL ORDER BY id`,
    );
    floors.push((performance.now() - started) / 1_000);
  }
  const floor = floors.sort((a, b) => a - b)[1]!;
  const worker = await startWorker(env);
  try {
    return await timeScan(env, floor, n, twins);
  } finally {
    worker.child.kill("SIGTERM");
    await Promise.race([worker.exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
  }
}

async function timeScan(env: BenchEnv, floor: number, n: number, twins: number) {
  const sql = env.benchSql;
  const ws = env.workspaceId;
  const started = performance.now();
  const response = await fetch(`${env.url}/trpc/duplicates.scan`, {
    method: "POST",
    headers: { ...env.headers, "content-type": "application/json" },
    body: JSON.stringify({ workspaceId: ws }),
  });
  if (!response.ok) throw new Error(`duplicates.scan answered ${response.status}: ${await response.text()}`);
  const { jobId } = ((await response.json()) as { result: { data: { jobId: string } } }).result.data;
  for (;;) {
    const path = `/trpc/jobs.get?input=${encodeURIComponent(JSON.stringify({ jobId }))}`;
    const progress = (await (await fetch(`${env.url}${path}`, { headers: env.headers })).json()) as {
      result?: { data: { state: string; error: string | null } };
    };
    const state = progress.result?.data.state;
    if (state === "completed") break;
    if (state === "failed") throw new Error(`the scan failed: ${progress.result?.data.error}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const scan = (performance.now() - started) / 1_000;
  const [{ pairs }] = (await sql.unsafe(
    `SELECT count(*)::int AS pairs FROM duplicate_candidates WHERE workspace_id = '${ws}'`,
  )) as [{ pairs: number }];
  note(
    `dedup: ${n + twins} contacts (${twins} planted twins), ${pairs} pairs in ${round(scan)} s; floor ${round(floor)} s`,
  );
  return {
    dedup_scan_s: round(scan, 3),
    dedup_read_floor_s: round(floor, 3),
    dedup_scan_vs_read_floor: round(scan / floor, 2),
    dedup_contacts: n + twins,
    dedup_planted_twins: twins,
    dedup_pairs: pairs,
  };
}
