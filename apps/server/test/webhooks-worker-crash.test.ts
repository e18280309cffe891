import { afterAll, describe, expect, it } from "vitest";
import { createTestApp, TEST_REDIS_URL, type TestApp } from "./support/app";
import { runServer, type ServerProcess } from "./support/server-process";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver";

/**
 * At least once across a crash: the worker process delivering a webhook is killed
 * (SIGKILL, no chance to clean up) while the receiver holds the request open. Another
 * worker started afterwards sends the same message again — same webhook-id — and it
 * ends delivered. BullMQ hands a job whose worker vanished to the next worker once the
 * dead one's lock expires (about 30 s).
 */
describe("webhook delivery survives a worker killed mid-delivery", () => {
  let app: TestApp | undefined;
  let receiver: WebhookReceiver | undefined;
  const workers: ServerProcess[] = [];
  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await receiver?.close();
    await app?.close();
  });

  it("SIGKILL during the POST, restart: delivered, same webhook-id", async () => {
    const env = {
      WEBHOOK_PLAIN_HTTP_HOSTS: "127.0.0.1",
      WEBHOOK_ALLOWED_CIDRS: "127.0.0.0/8",
      WEBHOOK_TIMEOUT_MS: "60000",
    };
    // This process serves the API and runs the outbox; jobs run only in the worker processes.
    app = await createTestApp({ role: "api", env });
    const worker = () =>
      runServer({
        NODE_ENV: "test",
        ROLE: "worker",
        DATABASE_URL: app!.databaseUrl,
        DATABASE_POOL_SIZE: "3",
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: app!.redisPrefix,
        // The same keys as the API process: the worker must open the endpoint's sealed secret.
        JWT_SECRET: app!.runtime.config.JWT_SECRET,
        GDPR_SUPPRESSION_KEY: app!.runtime.config.GDPR_SUPPRESSION_KEY,
        LOG_LEVEL: "warn",
        ...env,
      });
    // The first request is never answered: the worker is killed while waiting for it.
    receiver = await startReceiver((_request, index) =>
      index === 0 ? { status: 200, delayMs: 600_000 } : { status: 200 },
    );
    const owner = await app.signUp("Kim Killed");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Crashy" })).id;
    const { endpoint } = await owner.client.webhooks.create.mutate({
      workspaceId,
      url: receiver.url,
      eventTypes: ["contact.created"],
    });
    await owner.client.contacts.create.mutate({ workspaceId, name: "Carl Crash" });

    const first = worker();
    workers.push(first);
    await receiver.waitFor(1, 60_000);
    first.child.kill("SIGKILL");
    await first.exited;
    const [pending] = (await owner.client.webhooks.messages.query({ workspaceId, endpointId: endpoint.id, limit: 5 }))
      .items;
    expect(pending).toMatchObject({ status: "pending", attempts: 0 });

    const second = worker();
    workers.push(second);
    const requests = await receiver.waitFor(2, 120_000);
    expect(requests[1]!.headers["webhook-id"]).toBe(requests[0]!.headers["webhook-id"]);
    expect(requests[1]!.body).toBe(requests[0]!.body);
    const deadline = Date.now() + 15_000;
    let message = pending;
    while (message?.status !== "delivered" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      [message] = (
        await owner.client.webhooks.messages.query({ workspaceId, endpointId: endpoint.id, limit: 5 })
      ).items;
    }
    expect(message).toMatchObject({ id: requests[0]!.headers["webhook-id"], status: "delivered", attempts: 1 });
    second.child.kill("SIGTERM");
    await second.exited;
  }, 200_000);
});
