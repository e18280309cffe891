/**
 * The import part of `pnpm bench:search`: a CSV of IMPORT_ROWS new contacts imported the
 * way a user does it (upload over HTTP, `imports.start`, the job to completion), against
 * the floor of the same rows COPY'd raw into the same table in the same run.
 *
 *  - import_100k_s: upload start → job completed (events, report rows, per-batch commits included);
 *  - import_floor_s: `COPY contacts (…) FROM STDIN` of the same rows (same indexes and triggers);
 *  - import_peak_rss_mb: the larger of the peak RSS (VmHWM) of the two processes doing the work,
 *    both the build as production runs it, started for this part alone: the worker (the job runs
 *    there) and an API instance (the upload streams through it, `imports.start`/`get` answer there).
 *    Not this bench process, which seeded the data and runs the sources through tsx.
 * Target: import_100k_s ≤ 3 × import_floor_s + 5, peak RSS < 300 MB.
 */
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type BenchEnv, freePort, startApiInstance, startWorker } from "./env";
import { note, round } from "./load";
import { COMPANY, FIRST, LAST, TITLE } from "./search-mix";

const IMPORT_ROWS = 100_000;
const TARGETS = { import_vs_floor: 3, import_slack_s: 5, import_peak_rss_mb: 300 } as const;

/** The rows as a user's CSV (the header first). */
async function writeCsv(path: string, prefix: string): Promise<void> {
  const out = createWriteStream(path);
  out.write("Name,Email,Company,Title,Phone,Tags\n");
  for (let i = 0; i < IMPORT_ROWS; i++) {
    const line = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]},${prefix}${i}@bench-import.example,${COMPANY[(i * 3) % COMPANY.length]},${TITLE[i % TITLE.length]},+1 555 ${String(i).padStart(7, "0")},"imported, batch-${i % 10}"\n`;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

async function trpc<T>(env: BenchEnv, base: string, path: string, input: unknown, method: "GET" | "POST"): Promise<T> {
  const url =
    method === "GET"
      ? `${base}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`
      : `${base}/trpc/${path}`;
  const response = await fetch(url, {
    method,
    headers: { ...env.headers, "content-type": "application/json" },
    body: method === "POST" ? JSON.stringify(input) : undefined,
  });
  const body = (await response.json()) as { result?: { data: T }; error?: unknown };
  if (!response.ok || !body.result) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.result.data;
}

/** A process's memory figure from /proc (kB): VmRSS now, VmHWM its peak. */
function vmKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) : 0;
}

export async function importBench(env: BenchEnv) {
  const dir = mkdtempSync(join(tmpdir(), "rapport-bench-import-"));
  try {
    const importFile = join(dir, "import.csv");
    await writeCsv(importFile, "imp");

    // Floor: the same rows (other addresses), raw COPY into contacts; the file in COPY's shape
    // (tags as an array literal, workspace and source added) is written before the clock starts.
    const sql = env.benchSql as unknown as {
      unsafe(query: string): { writable(): Promise<NodeJS.WritableStream> };
    };
    const copy = await sql
      .unsafe(
        `COPY contacts (name, email, company, title, phone, tags, workspace_id, source)
         FROM STDIN WITH (FORMAT csv, HEADER true)`,
      )
      .writable();
    // Built as a second file in COPY's shape, outside the timed part.
    const copyFile = join(dir, "floor-copy.csv");
    {
      const out = createWriteStream(copyFile);
      out.write("name,email,company,title,phone,tags,workspace_id,source\n");
      for (let i = 0; i < IMPORT_ROWS; i++) {
        const line = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]},floor${i}@bench-import.example,${COMPANY[(i * 3) % COMPANY.length]},${TITLE[i % TITLE.length]},+1 555 ${String(i).padStart(7, "0")},"{imported,batch-${i % 10}}",${env.workspaceId},import\n`;
        if (!out.write(line)) await once(out, "drain");
      }
      out.end();
      await once(out, "finish");
    }
    const copyStarted = performance.now();
    await pipeline(createReadStream(copyFile), copy);
    const floorS = (performance.now() - copyStarted) / 1_000;
    note(`import floor: COPY of ${IMPORT_ROWS} rows in ${round(floorS)} s`);

    // The import as a user runs it, on the build as production runs it: the upload and the
    // procedures through an API instance, the job on a worker (their own processes, sharing
    // the import storage directory).
    const shared = { DATA_DIR: env.runtime.config.DATA_DIR };
    const port = await freePort();
    const api = await startApiInstance(env, port, shared, { built: true });
    const worker = await startWorker(env, shared, { built: true });
    const base = `http://127.0.0.1:${port}`;
    try {
      const workerBefore = vmKb(worker.child.pid!, "VmRSS");
      const apiBefore = vmKb(api.child.pid!, "VmRSS");
      const started = performance.now();
      const upload = await fetch(`${base}/api/imports/upload?workspaceId=${env.workspaceId}&format=csv`, {
        method: "POST",
        headers: { authorization: env.headers.authorization! },
        body: Readable.toWeb(createReadStream(importFile)) as ReadableStream<Uint8Array>,
        duplex: "half",
      } as RequestInit);
      if (upload.status !== 201) throw new Error(`upload answered ${upload.status}: ${await upload.text()}`);
      const { importId } = (await upload.json()) as { importId: string };
      await trpc(
        env,
        base,
        "imports.start",
        {
          workspaceId: env.workspaceId,
          importId,
          mapping: ["name", "email", "company", "title", "phone", "tags"],
          badRows: "skip",
          existing: "fill",
        },
        "POST",
      );
      let state: { status: string; created: number; skipped: number; error: string | null };
      for (;;) {
        state = await trpc(env, base, "imports.get", { workspaceId: env.workspaceId, importId }, "GET");
        if (state.status === "completed" || state.status === "failed") break;
        if (performance.now() - started > 20 * 60_000)
          throw new Error(`the import did not finish in 20 minutes: ${JSON.stringify(state)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const importS = (performance.now() - started) / 1_000;
      if (state.status !== "completed" || state.created !== IMPORT_ROWS)
        throw new Error(`the import did not create every row: ${JSON.stringify(state)}`);
      const workerPeakMb = round(vmKb(worker.child.pid!, "VmHWM") / 1024, 1);
      const apiPeakMb = round(vmKb(api.child.pid!, "VmHWM") / 1024, 1);
      const peakMb = Math.max(workerPeakMb, apiPeakMb);
      note(
        `import: ${IMPORT_ROWS} rows in ${round(importS)} s, peak RSS worker ${workerPeakMb} MB, API ${apiPeakMb} MB`,
      );
      return {
        import_rows: IMPORT_ROWS,
        import_100k_s: round(importS),
        import_floor_s: round(floorS),
        import_vs_floor: round(importS / floorS),
        import_peak_rss_mb: peakMb,
        import_worker_peak_rss_mb: workerPeakMb,
        import_worker_rss_before_mb: round(workerBefore / 1024, 1),
        import_api_peak_rss_mb: apiPeakMb,
        import_api_rss_before_mb: round(apiBefore / 1024, 1),
        import_targets: TARGETS,
        import_met: {
          import_100k_s: importS <= TARGETS.import_vs_floor * floorS + TARGETS.import_slack_s,
          import_peak_rss_mb: peakMb < TARGETS.import_peak_rss_mb,
        },
      };
    } finally {
      for (const instance of [worker, api]) {
        instance.child.kill("SIGTERM");
        await instance.exited;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
