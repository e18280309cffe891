import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app";
import { untilAccepted } from "./support/until";
import { startReceiver, type WebhookReceiver } from "./support/webhook-receiver";

/**
 * A job queued under an id of ours runs again when that id is enqueued after the job finished
 * (the queue replaces the finished job, see infra/queue.ts), and BullMQ runs a job again under
 * its id after a failure or a stall. The processors with durable effects must then repeat none
 * of them: here each runs twice, one run after the other and (the export) both at once. The app
 * runs no workers, so the test alone runs the processors. Not here: the recommendations warm-up
 * (it fills the cache, a second run with the same values) and the Gmail sync (a second run is
 * an incremental sync that finds nothing new; messages are imported once per Gmail id, see
 * gmail.test.ts).
 */
describe("processors run twice under one job id repeat no effect (Postgres)", () => {
  let app: TestApp;
  let exportDir: string;
  let hook: WebhookReceiver;
  const ctx = () => ({ attempt: 1, progress: async () => {}, log: app.runtime.log });

  beforeAll(async () => {
    exportDir = mkdtempSync(join(tmpdir(), "rapport-reruns-"));
    app = await createTestApp({
      role: "api",
      env: { EXPORT_DIR: exportDir, WEBHOOK_PLAIN_HTTP_HOSTS: "127.0.0.1", WEBHOOK_ALLOWED_CIDRS: "127.0.0.0/8" },
    });
    hook = await startReceiver();
  });
  afterAll(async () => {
    await hook?.close();
    await app?.close();
    rmSync(exportDir, { recursive: true, force: true });
  });

  const exportEffects = async (exportId: string) => {
    const [row] = await app.sql<{ status: string; file_key: string | null; completed_at: Date | null }[]>`
      SELECT status, file_key, completed_at FROM gdpr_exports WHERE id = ${exportId}`;
    const [operation] = await app.sql<{ status: string }[]>`
      SELECT o.status FROM gdpr_operations o JOIN gdpr_exports e ON e.operation_id = o.id WHERE e.id = ${exportId}`;
    const [{ events } = { events: 0 }] = await app.sql<{ events: number }[]>`
      SELECT count(*)::int AS events FROM domain_events
      WHERE type = 'gdpr.export.completed' AND payload->>'exportId' = ${exportId}`;
    const [{ audits } = { audits: 0 }] = await app.sql<{ audits: number }[]>`
      SELECT count(*)::int AS audits FROM audit_log
      WHERE action = 'gdpr.export.completed' AND metadata->>'exportId' = ${exportId}`;
    const files = readdirSync(exportDir, { recursive: true }).filter((name) => String(name).includes(exportId));
    return { row, operation: operation?.status, events, audits, files };
  };

  it("a GDPR export run again after it completed keeps its file, and is completed and announced once", async () => {
    const user = await app.signUp("Rerun Export");
    const { exportId } = await user.client.gdpr.requestExport.mutate({});
    const exports = app.runtime.services.gdprExports;
    await exports.run(exportId, ctx());
    const first = await exportEffects(exportId);
    expect(first).toMatchObject({ row: { status: "completed" }, operation: "completed", events: 1, audits: 1 });
    expect(first.files).toHaveLength(1);

    await exports.run(exportId, ctx());
    expect(await exportEffects(exportId)).toEqual(first);
  });

  it("a GDPR export run twice at once (a stalled job run again) completes once and is not reported failed", async () => {
    const user = await app.signUp("Rerun Twice");
    const { exportId } = await user.client.gdpr.requestExport.mutate({});
    const exports = app.runtime.services.gdprExports;
    await Promise.all([exports.run(exportId, ctx()), exports.run(exportId, ctx())]);
    const effects = await exportEffects(exportId);
    expect(effects).toMatchObject({ row: { status: "completed" }, operation: "completed", events: 1, audits: 1 });
    // The run that lost keeps no file of its own.
    expect(effects.files).toEqual([effects.row!.file_key]);
    expect((await user.client.gdpr.exportStatus.query({ exportId })).status).toBe("completed");
  });

  it("a webhook delivery job run again under its id sends nothing it already sent", async () => {
    const owner = await app.signUp("Rerun Hooks");
    const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Reruns" })).id;
    const { endpoint } = await owner.client.webhooks.create.mutate({
      workspaceId,
      url: hook.url,
      eventTypes: ["contact.created"],
    });
    await owner.client.contacts.bulkCreate.mutate({
      workspaceId,
      contacts: Array.from({ length: 3 }, (_, i) => ({ name: `Rerun ${i}` })),
    });
    const pending = await untilAccepted(
      "the messages written",
      async () =>
        (await owner.client.webhooks.messages.query({ workspaceId, endpointId: endpoint.id, limit: 10 })).items,
      (items) => items.length === 3,
    );
    const delivery = app.runtime.services.webhooks.delivery;
    const token = "webhook-rerun-job";
    expect((await delivery.drain({ endpointId: endpoint.id }, token)).sent).toBe(3);
    expect((await delivery.drain({ endpointId: endpoint.id }, token)).sent).toBe(0);
    // A retry the job was queued for, already delivered by then: not sent again either.
    const retries = { ids: [pending[0]!.id], by: new Date().toISOString() };
    expect((await delivery.drain({ endpointId: endpoint.id, retries }, token)).sent).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hook.received).toHaveLength(3);
    expect(new Set(hook.received.map((request) => request.headers["webhook-id"])).size).toBe(3);
    const messages = await owner.client.webhooks.messages.query({ workspaceId, endpointId: endpoint.id, limit: 10 });
    expect(messages.items.map((message) => [message.status, message.attempts])).toEqual([
      ["delivered", 1],
      ["delivered", 1],
      ["delivered", 1],
    ]);
  });
});
