import { ManualClock } from "@rapport/api";
import { afterAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app";
import { until } from "./support/until";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver";

const WEBHOOK_ENV = {
  WEBHOOK_PLAIN_HTTP_HOSTS: "127.0.0.1",
  WEBHOOK_ALLOWED_CIDRS: "127.0.0.0/8",
  WEBHOOK_RETRY_DELAY_SCALE: "0.001",
  WEBHOOK_TIMEOUT_MS: "5000",
};
const MESSAGES = 40;

/**
 * A backlog older than any lease: messages wait in the queue while no worker runs, the
 * sweeper (here called by hand, with the API's clock ten minutes ahead) wakes delivery for
 * them again and again, then two worker instances compete for all those jobs. A message's
 * attempt is claimed by one job only: every webhook-id reaches the receiver once per attempt.
 */
describe("webhook delivery under a backlog (Postgres, Redis, BullMQ)", () => {
  const apps: TestApp[] = [];
  let receiver: WebhookReceiver | undefined;
  afterAll(async () => {
    await receiver?.close();
    // The API instance owns the database: close it last.
    for (const app of apps.reverse()) await app.close();
  });

  it("each webhook-id reaches the receiver once per attempt, however often its delivery is queued", async () => {
    const clock = new ManualClock(new Date());
    // This process serves the API and writes the messages; nothing here delivers them.
    const api = await createTestApp({ role: "api", env: WEBHOOK_ENV, clock });
    apps.push(api);
    const firstSeen = new Set<string>();
    // Every message's first attempt fails (a retry follows), the second succeeds, both a little slowly.
    receiver = await startReceiver((request) => {
      const id = String(request.headers["webhook-id"]);
      if (firstSeen.has(id)) return { status: 200, delayMs: 20 };
      firstSeen.add(id);
      return { status: 500, delayMs: 20 };
    });
    const owner = await api.signUp("Bea Backlog");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Backlogged" })).id;
    const { endpoint } = await owner.client.webhooks.create.mutate({
      workspaceId,
      url: receiver.url,
      eventTypes: ["contact.created"],
      rateLimitPerSecond: 1_000,
    });
    await owner.client.contacts.bulkCreate.mutate({
      workspaceId,
      contacts: Array.from({ length: MESSAGES }, (_, i) => ({ name: `Waiting ${i}` })),
    });
    const messages = () =>
      api.query<{ id: string; status: string; attempts: number }>`
        SELECT id, status, attempts FROM webhook_messages WHERE endpoint_id = ${endpoint.id}`;
    await until("the messages", async () => (await messages()).length === MESSAGES);

    // The backlog outlives every lease: the sweeper runs again and again, each time ten minutes on.
    const sweep = async () => {
      clock.advance(10 * 60_000);
      await api.runtime.services.webhooks.delivery.dispatchDue();
    };
    for (let i = 0; i < 3; i++) await sweep();
    expect(receiver.received).toHaveLength(0);

    // Two workers take the queued jobs, while the sweeper keeps running.
    for (let i = 0; i < 2; i++) apps.push(await createTestApp({ instanceOf: api, role: "worker", env: WEBHOOK_ENV }));
    let sweeping = true;
    const sweeper = (async () => {
      while (sweeping) {
        await sweep();
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    try {
      await until(
        "every message delivered",
        async () => (await messages()).every((message) => message.status === "delivered"),
        60_000,
      );
    } finally {
      sweeping = false;
      await sweeper;
    }
    // Late duplicates would arrive now.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const perId = new Map<string, number>();
    for (const request of receiver.received) {
      const id = String(request.headers["webhook-id"]);
      perId.set(id, (perId.get(id) ?? 0) + 1);
    }
    const rows = await messages();
    expect(perId.size).toBe(MESSAGES);
    for (const row of rows) expect(perId.get(row.id), `requests for ${row.id}`).toBe(row.attempts);
    expect(rows.every((row) => row.attempts === 2)).toBe(true);
    expect(receiver.received).toHaveLength(2 * MESSAGES);
    const [recorded] = await api.query<{ n: number }>`
      SELECT count(*)::int AS n FROM webhook_attempts WHERE endpoint_id = ${endpoint.id}`;
    expect(recorded!.n).toBe(2 * MESSAGES);
  }, 120_000);
});
