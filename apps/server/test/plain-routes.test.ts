import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@rapport/api";
import { createRapportClient, type RapportClient } from "@rapport/client";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signDownloadToken } from "../../../packages/api/src/modules/gdpr/export/download-link";
import { createTestDatabase } from "./support/app";
import { ADMIN_URL } from "./support/global-setup";
import { runServer, serverUrl, type ServerProcess } from "./support/server-process";

/**
 * The plain HTTP routes (file downloads outside tRPC) against the real server process:
 * whatever fails below them is an answer, never the end of the process, and they
 * authorize exactly like the procedures.
 */

const JWT_SECRET = randomBytes(32).toString("hex");
/** The server's JWT_SECRET, to sign download links as it does. */
const linkConfig = loadConfig({ NODE_ENV: "test", JWT_SECRET });

describe("plain HTTP routes", () => {
  let database: { url: string; drop(): Promise<void> };
  let databaseName: string;
  let admin: postgres.Sql;
  let exportDir: string;
  let server: ServerProcess;
  let url: string;
  let accessToken: string;
  let client: RapportClient;
  let workspaceId: string;
  let downloadUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    databaseName = new URL(database.url).pathname.slice(1);
    admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    exportDir = mkdtempSync(join(tmpdir(), "rapport-exports-"));
    server = runServer({
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: database.url,
      REDIS_URL: "",
      JWT_SECRET,
      EXPORT_DIR: exportDir,
      LOG_LEVEL: "warn",
    });
    url = await serverUrl(server, 60_000);

    const session = await createRapportClient({ url, batch: false }).auth.register.mutate({
      email: `plain.${randomBytes(3).toString("hex")}@example.com`,
      password: "correct horse battery staple",
      name: "Plain Routes",
    });
    accessToken = session.accessToken;
    client = createRapportClient({ url, token: accessToken, batch: false });
    workspaceId = (await client.workspaces.create.mutate({ name: "Plain" })).id;
    await client.contacts.create.mutate({ workspaceId, name: "Ana Example", email: "ana@plain.example" });
    const { exportId } = await client.gdpr.requestExport.mutate({});
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await client.gdpr.exportStatus.query({ exportId });
      if (status.downloadUrl) {
        downloadUrl = status.downloadUrl;
        break;
      }
      if (status.status === "failed" || Date.now() > deadline)
        throw new Error(`the export did not complete: ${status.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 120_000);

  afterAll(async () => {
    server?.child.kill("SIGKILL");
    await admin?.unsafe(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS true`).catch(() => {});
    await admin?.end();
    await database?.drop();
    rmSync(exportDir, { recursive: true, force: true });
  });

  const get = (path: string, token: string | null = accessToken) =>
    fetch(`${url}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(15_000),
    });
  const exportLink = (exportId: string) =>
    `/api/gdpr/export/download?token=${encodeURIComponent(signDownloadToken(linkConfig, { x: exportId, e: Date.now() + 60_000 }))}`;

  /** Once the broadcast relay's stored cursor is at the newest event (it stores it after publishing). */
  async function relayCaughtUp() {
    const db = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const [row] = await db<{ caught_up: boolean }[]>`
          SELECT coalesce((SELECT (c.last_tx_id, c.last_event_id) >= (e.tx_id, e.id)
            FROM event_consumers c, (SELECT tx_id, id FROM domain_events ORDER BY tx_id DESC, id DESC LIMIT 1) e
            WHERE c.name = 'broadcast-relay'), false) AS caught_up`;
        if (row?.caught_up) return;
        if (Date.now() > deadline) throw new Error("the broadcast relay did not catch up in 15 s");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await db.end();
    }
  }

  async function expectServing() {
    expect(server.child.exitCode, server.output()).toBeNull();
    expect((await get("/healthz", null)).status).toBe(200);
  }

  it("a signed link whose export id is 36 dashes is refused, and the server keeps serving", async () => {
    const res = await get(exportLink("-".repeat(36)));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "UNAUTHORIZED" });
    await expectServing();
    expect((await get(downloadUrl)).status).toBe(200);
  });

  it("the database failing under each plain route is an error answer, and the server keeps serving", async () => {
    // Warm: the session and the workspace role are known to the server before the database
    // goes. A role is kept 10 s from when it was read, not from its last use: a new workspace's
    // is read here, whereas the setup's workspace's may be about to expire (on a loaded host
    // it did, before the first request below).
    const fresh = (await client.workspaces.create.mutate({ name: "Plain, fresh role" })).id;
    // Its creation's member event, relayed after the warm-up, would drop the role the warm-up
    // cached (the relay is the fallback for lost wake-ups and runs behind them): on a loaded
    // host it did. So the warm-up waits until the relay has passed every event written so far.
    await relayCaughtUp();
    const link = await client.analytics.export.mutate({ workspaceId: fresh, format: "csv" });
    expect((await get(`/api/analytics/export?workspaceId=${fresh}`)).status).toBe(200);

    await admin.unsafe(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS false`);
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${databaseName}`;
    const unavailable = { error: "The database is unavailable; try again shortly", code: "SERVICE_UNAVAILABLE" };
    try {
      // Analytics export, signed link: authorized from memory, then the export query fails
      // after the headers went out: the download breaks instead of ending incomplete but "fine".
      // First: the role the warm-up cached is kept 10 s, and each request below takes the
      // pool's retries (~0.3 s) before it answers, which on a loaded host outlasted it.
      const streamed = await get(link.url, null);
      expect(streamed.status).toBe(200);
      await expect(streamed.text()).rejects.toThrow();
      await expectServing();

      // GDPR download: the export lookup fails, at once, as "unavailable, retry" (not a bug: no 500).
      const gdpr = await get(exportLink(randomUUID()));
      expect(gdpr.status).toBe(503);
      expect(gdpr.headers.get("retry-after")).toBe("1");
      expect(await gdpr.json()).toEqual(unavailable);
      await expectServing();

      // Analytics export, bearer: the membership lookup of another workspace fails. Asked
      // several times: no pooled connection may be left waiting for the database to return.
      for (let i = 0; i < 4; i++) {
        const bearer = await get(`/api/analytics/export?workspaceId=${randomUUID()}`);
        expect(bearer.status).toBe(503);
        expect(await bearer.json()).toEqual(unavailable);
      }
      await expectServing();

      // A procedure answers the same typed error, and the same Retry-After.
      await expect(client.contacts.list.query({ workspaceId })).rejects.toMatchObject({
        data: { code: "SERVICE_UNAVAILABLE" },
      });
      const procedure = await get(`/trpc/contacts.list?input=${encodeURIComponent(JSON.stringify({ workspaceId }))}`);
      expect(procedure.status).toBe(503);
      expect(procedure.headers.get("retry-after")).toBe("1");

      // Not ready while the database is away (the load balancer stops sending traffic).
      const readiness = await get("/readyz", null);
      expect(readiness.status).toBe(503);
      expect(await readiness.json()).toMatchObject({ status: "down", checks: { database: { ok: false } } });
    } finally {
      await admin.unsafe(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS true`);
    }

    // The database is back: so are the routes and procedures, from the first request on,
    // without a restart.
    expect((await get(`/api/analytics/export?workspaceId=${workspaceId}`)).status).toBe(200);
    expect((await client.contacts.list.query({ workspaceId })).items.length).toBeGreaterThan(0);
    expect((await get(downloadUrl)).status).toBe(200);
    expect((await get("/readyz", null)).status).toBe(200);
    await expectServing();
  });

  it("a user who restricted processing gets no analytics export, by bearer or by link, exactly as from the procedure", async () => {
    const link = await client.analytics.export.mutate({ workspaceId, format: "csv" });
    await client.gdpr.restrict.mutate();
    try {
      await expect(client.analytics.export.mutate({ workspaceId })).rejects.toMatchObject({
        data: { code: "FORBIDDEN" },
      });
      for (const res of [await get(`/api/analytics/export?workspaceId=${workspaceId}`), await get(link.url, null)]) {
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ code: "FORBIDDEN", details: { reason: "processing_restricted" } });
      }
      // Viewing and exporting their own data keep working (Art. 18).
      expect((await get(downloadUrl)).status).toBe(200);
    } finally {
      await client.gdpr.unrestrict.mutate();
    }
    expect((await get(`/api/analytics/export?workspaceId=${workspaceId}`)).status).toBe(200);
  });
});
