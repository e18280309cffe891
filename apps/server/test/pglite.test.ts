import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRuntime, loadConfig, type Readiness, type Runtime } from "@rapport/api";
import { createRapportClient } from "@rapport/client";
import { queryRows } from "@rapport/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRapportServer, type RapportServer } from "../src/http";

/** The embedded default: no DATABASE_URL, no REDIS_URL. Same migrations, same flows. */
describe("embedded mode (PGlite, no Redis)", () => {
  let dir: string;
  let runtime: Runtime;
  let server: RapportServer;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rapport-pglite-"));
    const config = loadConfig({ NODE_ENV: "test", PGLITE_DIR: dir, LOG_LEVEL: "silent", EVENT_POLL_MS: "20" });
    runtime = await createRuntime(config);
    await runtime.start("all");
    server = createRapportServer(runtime);
    url = (await server.listen(0, "127.0.0.1")).url;
  });
  afterAll(async () => {
    await server.close(1_000);
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs on PGlite with the in-process queue, and is ready as it is: one process needs no Redis", async () => {
    expect(runtime.database.kind).toBe("pglite");
    expect(runtime.queue.driver).toBe("in-process");
    const ready = (await (await fetch(`${url}/readyz`)).json()) as Readiness;
    expect(ready).toMatchObject({
      status: "ok",
      degraded: [],
      checks: { database: { ok: true, kind: "pglite" }, redis: { ok: false, configured: false } },
    });
  });

  it("register → workspace → contact → interaction → timeline → activity", async () => {
    const anonymous = createRapportClient({ url });
    const { accessToken } = await anonymous.auth.register.mutate({
      email: "pg@lite.example",
      password: "embedded password",
      name: "Lite",
    });
    const client = createRapportClient({ url, token: accessToken });
    const { id: workspaceId } = await client.workspaces.create.mutate({ name: "Embedded" });
    const contact = await client.contacts.create.mutate({
      workspaceId,
      name: "Ana",
      email: "ANA@lite.example",
      tags: ["vip"],
    });
    const dup = await client.contacts.create
      .mutate({ workspaceId, name: "Ana 2", email: "ana@lite.example" })
      .catch((e) => e.data.code);
    expect(dup).toBe("CONFLICT");
    await client.interactions.create.mutate({
      workspaceId,
      contactId: contact.id,
      type: "meeting",
      direction: "outbound",
      occurredAt: new Date(),
      subject: "Catch-up",
    });
    const timeline = await client.interactions.listForContact.query({ workspaceId, contactId: contact.id });
    expect(timeline.items).toHaveLength(1);
    const list = await client.contacts.list.query({ workspaceId, tag: "vip", sort: "name" });
    expect(list.items).toEqual([contact]);
    const heard: string[] = [];
    const stop = runtime.bus.subscribe((e) => heard.push(e.type));
    await client.contacts.update.mutate({ workspaceId, contactId: contact.id, patch: { company: "Lite Co" } });
    await runtime.dispatcher.drain();
    stop();
    expect(heard).toContain("contact.updated");
    const feed = await client.activity.list.query({ workspaceId });
    expect(feed.items[0]!.type).toBe("contact.updated");
  });

  it("runs jobs in-process through the same handlers", async () => {
    const jobId = await runtime.queue.enqueue("contacts.purge-deleted", {});
    let status = await runtime.queue.status(jobId);
    for (let i = 0; i < 100 && status?.state !== "completed"; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = await runtime.queue.status(jobId);
    }
    expect(status).toMatchObject({ state: "completed", result: { purged: 0 } });
  });

  it("the audit trigger works on PGlite too", async () => {
    const [{ n }] = (await queryRows<{ n: number }>(
      runtime.database.db,
      sql`SELECT count(*)::int AS n FROM audit_log`,
    )) as [{ n: number }];
    expect(n).toBeGreaterThan(0);
    const error = await runtime.database.db.execute(sql`DELETE FROM audit_log`).catch((e: Error) => e);
    expect(String((error as Error & { cause?: Error }).cause?.message ?? error)).toMatch(/append-only/);
  });
});
