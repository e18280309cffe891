import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "./support/app";
import { apiServerEnv, runServer, serverUrl, waitFor, type ServerProcess } from "./support/server-process";

/**
 * The server's log lines on its standard output, as `docker logs` reads them: written in
 * batches (a request's access line costs no write of its own), yet never late by more than
 * LOG_FLUSH_MS while it runs, and never lost when it stops or crashes.
 */

const INJECTOR = join(dirname(fileURLToPath(import.meta.url)), "support/fault-injector.mjs");
/** A flush delay no test waits out: what arrives came from a full buffer, an error line or the exit. */
const NEVER_MS = "10000";

describe("log output of the server process", () => {
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  const start = (env: Record<string, string> = {}) => {
    const run = runServer({
      ...apiServerEnv(database.url),
      ...env,
    });
    // Each read of the pipe, when it came: one per write the server made, or fewer.
    const reads: { at: number; text: string }[] = [];
    run.child.stdout!.on("data", (data: Buffer) => reads.push({ at: performance.now(), text: String(data) }));
    return { run, reads };
  };

  /** The access line of the request sent with this id (`x-request-id`). */
  const accessLine = (requestId: string) => new RegExp(`"requestId":"${requestId}"[^\\n]*"msg":"request"`);
  const request = async (url: string, requestId: string) => {
    const response = await fetch(`${url}/healthz`, { headers: { "x-request-id": requestId } });
    expect(response.status).toBe(200);
  };

  const stopped = async (run: ServerProcess) => {
    if (run.child.exitCode === null) run.child.kill("SIGKILL");
    await run.exited;
  };

  it("writes the lines of many requests in a few writes, each line within LOG_FLUSH_MS (250 ms) of its request", async () => {
    const { run, reads } = start();
    try {
      const url = await serverUrl(run, 60_000);
      const prefix = randomBytes(4).toString("hex");
      const answered: number[] = [];
      for (let i = 0; i < 30; i++) {
        await request(url, `${prefix}-${i}`);
        answered.push(performance.now());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await waitFor(() => accessLine(`${prefix}-29`).test(run.output()), 10_000);
      const readsWith = (id: string) => reads.findIndex((read) => accessLine(id).test(read.text));
      const delays = answered.map((at, i) => reads[readsWith(`${prefix}-${i}`)]!.at - at);
      // 250 ms, and room for two busy processes' event loops.
      expect(Math.max(...delays), `delays: ${delays.map(Math.round).join(", ")}`).toBeLessThan(1_000);
      // One write per line would be 30 reads, about 20 ms apart.
      const readsCarrying = new Set(answered.map((_, i) => readsWith(`${prefix}-${i}`)));
      expect(readsCarrying.size).toBeLessThanOrEqual(10);
    } finally {
      await stopped(run);
    }
  }, 90_000);

  it("a SIGTERM writes every line still held before the process ends", async () => {
    const { run } = start({ LOG_FLUSH_MS: NEVER_MS });
    try {
      const url = await serverUrl(run, 60_000);
      const ids = Array.from({ length: 10 }, (_, i) => `term-${i}`);
      for (const id of ids) await request(url, id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Held: this test stops the server with lines in its buffer.
      expect(run.output()).not.toMatch(accessLine(ids[0]!));
      run.child.kill("SIGTERM");
      expect(await run.exited).toBe(0);
      for (const id of ids) expect(run.output()).toMatch(accessLine(id));
      expect(run.output()).toMatch(/"msg":"shutting down: draining requests and jobs"/);
      expect(run.output()).toMatch(/"msg":"stopped"/);
    } finally {
      await stopped(run);
    }
  }, 90_000);

  it("an uncaught exception that ends the process loses no line: neither those held nor those of its shutdown", async () => {
    const { run } = start({
      LOG_FLUSH_MS: NEVER_MS,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${INJECTOR}`.trim(),
      RAPPORT_TEST_FAULT: "exception",
    });
    try {
      const url = await serverUrl(run, 60_000);
      const ids = Array.from({ length: 10 }, (_, i) => `crash-${i}`);
      for (const id of ids) await request(url, id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(run.output()).not.toMatch(accessLine(ids[0]!));
      run.child.kill("SIGUSR2");
      expect(await run.exited).toBe(1);
      const output = run.output();
      for (const id of ids) expect(output).toMatch(accessLine(id));
      // In the order they were logged.
      const fatal = output.search(/"level":60.*injected exception/);
      expect(fatal).toBeGreaterThan(output.search(accessLine("crash-9")));
      expect(output).toMatch(/"msg":"stopped"/);
    } finally {
      await stopped(run);
    }
  }, 90_000);
});
