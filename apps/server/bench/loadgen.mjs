// Closed-loop HTTP load generator, run as a worker thread by bench/api.ts so its
// event loop never competes with the server's (which runs on the main thread).
// Plain JavaScript on purpose: tsx's loader does not reach worker threads on Node 20.
//
// `concurrency` loops each keep exactly one request in flight over a keep-alive
// agent (one socket per loop). Loops run warm-up then measurement back to back on
// the same connections; latencies are recorded for requests *started* inside the
// measurement window, throughput counts responses *completed* inside it. Every
// loop stops issuing at the deadline, so the run is bounded by time.
import http from "node:http";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";

/**
 * @typedef {{
 *   host: string; port: number; concurrency: number; warmupMs: number; durationMs: number;
 *   headers: Record<string, string>;
 *   mode: "get" | "create";
 *   paths?: string[];
 *   create?: { path: string; workspaceId: string; tag: string };
 *   maxRequests?: number;
 * }} LoadSpec
 */

/** @type {LoadSpec} */
const spec = workerData;
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_ERROR_SAMPLES = 3;
const agent = new http.Agent({
  keepAlive: true,
  maxSockets: spec.concurrency,
  maxFreeSockets: spec.concurrency,
  keepAliveMsecs: 1_000,
});

/**
 * @param {string} method
 * @param {string} path
 * @param {string | undefined} body
 * @param {boolean} keepBodyOnError
 * @returns {Promise<{ status: number; bytes: number; error?: string; errorBody?: string }>}
 */
function send(method, path, body, keepBodyOnError) {
  return new Promise((resolve) => {
    const headers =
      body === undefined
        ? spec.headers
        : { ...spec.headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) };
    const req = http.request({ host: spec.host, port: spec.port, method, path, agent, headers }, (res) => {
      let bytes = 0;
      /** @type {Buffer[]} */
      const chunks = [];
      const status = res.statusCode ?? 0;
      res.on("data", (chunk) => {
        bytes += chunk.length;
        if (status !== 200 && keepBodyOnError && bytes < 4_096) chunks.push(chunk);
      });
      res.on("end", () =>
        resolve(
          status === 200
            ? { status, bytes }
            : { status, bytes, errorBody: Buffer.concat(chunks).toString("utf8").slice(0, 500) },
        ),
      );
      res.on("error", (error) => resolve({ status: 0, bytes, error: error.message }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no response in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", (error) => resolve({ status: 0, bytes: 0, error: error.message }));
    req.end(body);
  });
}

async function run() {
  const maxRequests = spec.maxRequests ?? 5_000_000;
  /** @type {number[]} */
  const latencies = [];
  /** GET mode: the index in `paths` of each latency's request. */
  /** @type {number[]} */
  const pathIndices = [];
  /** @type {Record<string, number>} */
  const statusCounts = {};
  /** @type {string[]} */
  const errorSamples = [];
  let warmupRequests = 0;
  let warmupErrors = 0;
  let errors = 0;
  let completedInWindow = 0;
  let bytes = 0;
  let sequence = 0;

  const startedAt = performance.now();
  const measureStart = startedAt + spec.warmupMs;
  const end = measureStart + spec.durationMs;

  async function loop() {
    while (sequence < maxRequests) {
      const t0 = performance.now();
      if (t0 >= end) return;
      const n = sequence++;
      let result;
      if (spec.mode === "create") {
        const { path, workspaceId, tag } = /** @type {NonNullable<LoadSpec["create"]>} */ (spec.create);
        const body = JSON.stringify({
          workspaceId,
          name: `Bench Contact ${n}`,
          email: `bench-${tag}-${n}@load.example`,
        });
        result = await send("POST", path, body, errorSamples.length < MAX_ERROR_SAMPLES);
      } else {
        const paths = /** @type {string[]} */ (spec.paths);
        result = await send(
          "GET",
          /** @type {string} */ (paths[n % paths.length]),
          undefined,
          errorSamples.length < MAX_ERROR_SAMPLES,
        );
      }
      const t1 = performance.now();
      const failed = result.status !== 200;
      if (failed && errorSamples.length < MAX_ERROR_SAMPLES) {
        errorSamples.push(`${result.status || "network"}: ${result.error ?? result.errorBody ?? ""}`);
      }
      if (t0 < measureStart) {
        warmupRequests++;
        if (failed) warmupErrors++;
      } else {
        latencies.push(t1 - t0);
        if (spec.mode === "get") pathIndices.push(n % /** @type {string[]} */ (spec.paths).length);
        statusCounts[String(result.status)] = (statusCounts[String(result.status)] ?? 0) + 1;
        if (failed) errors++;
        bytes += result.bytes;
      }
      if (t1 >= measureStart && t1 < end) completedInWindow++;
    }
  }

  await Promise.all(Array.from({ length: spec.concurrency }, () => loop()));
  const finishedAt = performance.now();
  agent.destroy();
  const samples = Float64Array.from(latencies);
  return {
    latencies: samples,
    pathIndices: Int32Array.from(pathIndices),
    statusCounts,
    errors,
    errorSamples,
    warmupRequests,
    warmupErrors,
    completedInWindow,
    windowMs: spec.durationMs,
    drainMs: finishedAt - end,
    bytes,
  };
}

run().then(
  (result) => parentPort?.postMessage({ ok: true, result }, [result.latencies.buffer, result.pathIndices.buffer]),
  (error) => parentPort?.postMessage({ ok: false, error: error instanceof Error ? error.stack : String(error) }),
);
