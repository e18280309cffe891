/**
 * Nothing personal or secret in logs or stored failure reasons, even when a write
 * fails in the database: the failing statement's parameters (an email, a name,
 * a password hash) must not be logged with the error, nor kept in Redis as a
 * BullMQ job's failure reason.
 */
import { createLogger } from "@rapport/api";
import { contacts } from "@rapport/db";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, TEST_REDIS_URL, type SignedInUser, type TestApp } from "./support/app";

const FORCED = "forced failure for the log test";

describe.each([
  { queue: "bullmq", redis: true },
  { queue: "in-process", redis: false },
])("logs of failing writes (jobs on $queue)", ({ queue, redis }) => {
  const lines: string[] = [];
  let app: TestApp;
  let owner: SignedInUser;
  let workspaceId: string;

  const logged = () => lines.join("");
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, any>);

  beforeAll(async () => {
    const log = createLogger("debug", {}, { write: (line: string) => void lines.push(line) });
    app = await createTestApp({ log, redis });
    owner = await app.signUp("Owner");
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Logs" })).id;
    // A write the database refuses for a reason that is no fault of the input: a 500 that gets logged.
    await app.sql.unsafe(`
      create function fail_for_log_test() returns trigger language plpgsql as $$ begin raise exception '${FORCED}'; end $$;
      create trigger fail_users before insert on users for each row execute function fail_for_log_test();
      create trigger fail_contacts before insert on contacts for each row execute function fail_for_log_test();
    `);
  });

  afterAll(async () => {
    await app?.close();
  });

  it("a failed registration logs the failure, but neither the email, the name nor the password hash", async () => {
    const email = "ivy.secretperson@example.com";
    const error = await errorOf(
      app.client().auth.register.mutate({ email, password: "a long enough password", name: "Ivy Secretperson" }),
    );
    expect(error.code).toBe("INTERNAL_SERVER_ERROR");

    const text = logged();
    expect(text).not.toContain(email);
    expect(text).not.toContain("Secretperson");
    expect(text).not.toContain("$argon2");
    expect(text).not.toContain("a long enough password");

    // What explains the failure stays: the database's message and SQLSTATE.
    const failure = entries().find((entry) => entry.msg === "procedure failed" && entry.path === "auth.register");
    expect(failure, "the failure itself is logged").toBeDefined();
    expect(JSON.stringify(failure!.err)).toContain(FORCED);
    expect(JSON.stringify(failure!.err)).toContain("P0001");
  });

  it("a failed contact write logs neither the contact's email, name nor phone", async () => {
    const error = await errorOf(
      owner.client.contacts.create.mutate({
        workspaceId,
        name: "Olga Hiddenname",
        email: "olga.hidden@example.com",
        phone: "+49 170 5550199",
      }),
    );
    expect(error.code).toBe("INTERNAL_SERVER_ERROR");
    expect(entries().some((entry) => entry.msg === "procedure failed" && entry.path === "contacts.create")).toBe(true);

    const text = logged();
    expect(text).not.toContain("olga.hidden@example.com");
    expect(text).not.toContain("Hiddenname");
    expect(text).not.toContain("5550199");
  });

  it("a failed job keeps its failure reason, without the values, in the log and where the queue stores it", async () => {
    const email = "pia.jobsecret@example.com";
    app.runtime.queue.define<{ email: string }>({
      name: "test.failing-write",
      attempts: 1,
      handler: async (data) => {
        await app.runtime.database.db
          .insert(contacts)
          .values({ workspaceId, name: "Pia Jobsecret", email: data.email });
      },
    });
    const jobId = await app.runtime.queue.enqueue("test.failing-write", { email });
    await expect.poll(async () => (await app.runtime.queue.status(jobId))?.state, { timeout: 15_000 }).toBe("failed");

    const status = await app.runtime.queue.status(jobId);
    expect(status!.failedReason).not.toContain("Jobsecret");
    expect(status!.failedReason).toContain(FORCED);

    if (queue === "bullmq") {
      // What BullMQ keeps in Redis for a week: the reason and the stack trace.
      const client = new Redis(TEST_REDIS_URL);
      const stored = await client.hgetall(`${app.redisPrefix}bull:rapport:${jobId}`);
      await client.quit();
      const storedOutcome = `${stored.failedReason} ${stored.stacktrace}`;
      expect(storedOutcome).not.toContain("Jobsecret");
      expect(storedOutcome).not.toContain("jobsecret");
      expect(stored.failedReason).toContain(FORCED);
    }

    await expect.poll(() => entries().some((entry) => entry.msg === "job failed" && entry.jobId === jobId)).toBe(true);
    expect(logged()).not.toContain("Jobsecret");
    expect(logged()).not.toContain("jobsecret");
  });
});
