import { createDatabase } from "@rapport/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app";
import { until } from "./support/until";

/**
 * A job id makes enqueueing idempotent while the job waits or runs. BullMQ also keeps
 * finished jobs under their ids for a while; an enqueue that reuses such an id must still
 * run, as it does on the in-process queue.
 */
describe.each([
  ["BullMQ", true],
  ["in-process", false],
] as const)("job queue (%s): a reused job id", (_driver, redis) => {
  let app: TestApp;
  const runs: string[] = [];
  beforeAll(async () => {
    app = await createTestApp({ redis });
    app.runtime.queue.define<{ run: string }>({
      name: "test.reenqueue",
      attempts: 1,
      handler: async ({ run }) => {
        runs.push(run);
        if (run === "fails") throw new Error("this run fails");
        return { run };
      },
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it("runs again once the job with that id completed or failed, and not while it waits", async () => {
    const queue = app.runtime.queue;
    expect(queue.driver).toBe(redis ? "bullmq" : "in-process");
    await queue.enqueue("test.reenqueue", { run: "first" }, { jobId: "reenqueue-a" });
    await until("the first run", async () => (await queue.status("reenqueue-a"))?.state === "completed");
    await queue.enqueue("test.reenqueue", { run: "second" }, { jobId: "reenqueue-a" });
    await until("the second run", async () => runs.includes("second"));

    await queue.enqueue("test.reenqueue", { run: "fails" }, { jobId: "reenqueue-b" });
    await until("the failed run", async () => (await queue.status("reenqueue-b"))?.state === "failed");
    await queue.enqueueMany("test.reenqueue", [{ data: { run: "after failure" }, options: { jobId: "reenqueue-b" } }]);
    await until("the run after the failure", async () => runs.includes("after failure"));

    // Queued twice while it waits (delayed): it runs once.
    await queue.enqueue("test.reenqueue", { run: "delayed" }, { jobId: "reenqueue-c", delayMs: 300 });
    await queue.enqueue("test.reenqueue", { run: "delayed again" }, { jobId: "reenqueue-c", delayMs: 300 });
    await until("the delayed run", async () => (await queue.status("reenqueue-c"))?.state === "completed");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runs).toEqual(["first", "second", "fails", "after failure", "delayed"]);
  });

  it("runs a job again when the database was unreachable, without spending its only attempt", async () => {
    // A real connection failure: a database nobody listens for.
    const unreachable = await createDatabase({ url: "postgres://postgres@127.0.0.1:1/none", poolSize: 1 });
    let calls = 0;
    app.runtime.queue.define<Record<string, never>>({
      name: "test.database-outage",
      attempts: 1,
      handler: async () => {
        if (++calls <= 2) await unreachable.db.execute(sql`select 1`);
        return { calls };
      },
    });
    try {
      await app.runtime.queue.enqueue("test.database-outage", {}, { jobId: "database-outage" });
      await until(
        "the run after the outage",
        async () => (await app.runtime.queue.status("database-outage"))?.state === "completed",
        20_000,
      );
      expect(calls).toBe(3);
    } finally {
      await unreachable.close();
    }
  });
});
