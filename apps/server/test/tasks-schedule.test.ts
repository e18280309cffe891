/**
 * The due reminders on BullMQ and real Redis, as production runs them: the every-minute
 * schedule is registered once however many instances start, and the job it produces runs in
 * a worker and reminds each follow-up once — also when two worker instances run the job at
 * the same moment. (tasks.test.ts covers the rules by calling the service.)
 */
import { ManualClock } from "@rapport/api";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, TEST_REDIS_URL, type TestApp } from "./support/app";
import { until } from "./support/until";

const JOB = "tasks.remindDue";
const A = Date.UTC(2026, 5, 30, 12);
const FOLLOW_UPS = 40;

describe("tasks.remindDue on BullMQ (Postgres, Redis, two worker instances)", () => {
  const clock = new ManualClock(new Date(A));
  let app: TestApp;
  let second: TestApp;
  let redis: Redis;
  // The runtime's queue, read directly: what BullMQ itself holds (infra/queue.ts names it "rapport").
  let queue: Queue;

  beforeAll(async () => {
    app = await createTestApp({ clock });
    // Another instance of the same deployment, its own workers on the same database and Redis prefix.
    second = await createTestApp({ instanceOf: app, clock, role: "worker" });
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue("rapport", { connection: redis, prefix: `${app.redisPrefix}bull` });
  });
  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await second?.close();
    await app?.close();
  });

  it("both instances registered the one schedule, every minute, with one run pending", async () => {
    const schedulers = (await queue.getJobSchedulers()).filter((scheduler) => scheduler.name === JOB);
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: JOB, pattern: "* * * * *" });
    const pending = (await queue.getDelayed()).filter((job) => job.name === JOB);
    expect(pending).toHaveLength(1);
    expect(pending[0]!.timestamp + pending[0]!.delay).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it("the scheduled run reminds each due follow-up once, with more runs racing it on two worker instances", async () => {
    const owner = await app.signUp("Owner");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Reminders on BullMQ" })).id;
    const due = await Promise.all(
      Array.from({ length: FOLLOW_UPS }, async (_, i) => {
        const task = await owner.client.tasks.create.mutate({
          workspaceId,
          title: `Call back ${i}`,
          dueAt: new Date(A - (i + 1) * 60_000),
        });
        return task.id;
      }),
    );
    await owner.client.tasks.create.mutate({ workspaceId, title: "Not yet", dueAt: new Date(A + 3_600_000) });

    // Run the schedule's pending job now (as if its minute had come), and three more runs at once.
    const [scheduled] = (await queue.getDelayed()).filter((job) => job.name === JOB);
    await scheduled!.promote();
    const extra = await queue.addBulk([1, 2, 3].map(() => ({ name: JOB, data: {} })));
    const runs = [scheduled!.id!, ...extra.map((job) => job.id!)];
    await until("every run to finish", async () => {
      const jobs = await Promise.all(runs.map((id) => queue.getJob(id)));
      const finished = await Promise.all(jobs.map(async (job) => (job ? await job.isCompleted() : false)));
      return finished.every(Boolean) && (await queue.getActiveCount()) === 0;
    });
    // Every run of the job so far (the schedule's own minute may have come round meanwhile) ran
    // in a worker, and together they reminded each due follow-up once.
    const completed = (await queue.getCompleted()).filter((job) => job.name === JOB);
    expect(completed.map((job) => job.id)).toEqual(expect.arrayContaining(runs));
    const reminded = completed.map((job) => (job.returnvalue as { reminded: number }).reminded);
    expect(reminded.reduce((sum, n) => sum + n, 0)).toBe(FOLLOW_UPS);

    const events = await app.query<{ task_id: string; n: number }>`
      SELECT payload->>'taskId' AS task_id, count(*)::int AS n FROM domain_events
      WHERE type = 'task.due' AND workspace_id = ${workspaceId} GROUP BY 1`;
    expect(events.map((row) => row.task_id).sort()).toEqual([...due].sort());
    expect(events.every((row) => row.n === 1)).toBe(true);
    // The schedule goes on: its next run is pending.
    expect((await queue.getDelayed()).filter((job) => job.name === JOB)).toHaveLength(1);
  });
});
