import { randomBytes } from "node:crypto";
import { createRapportClient } from "@rapport/client";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgresCluster, type PostgresCluster } from "./support/postgres-cluster";
import { runServer, serverUrl, type ServerProcess } from "./support/server-process";

/**
 * The API process under write load while its Postgres restarts (`pg_ctl restart -m fast`
 * terminates every connection). The database is a throwaway cluster of this test's own.
 */

const CONCURRENCY = 10;
const RESTARTS = 5;
/** Writes that started this long after the server accepted again must succeed. */
const RECOVERY_MS = 3_000;

interface Attempt {
  email: string;
  started: number;
  ended: number;
  contactId?: string;
  error?: string;
}

describe("Postgres restart under write load", () => {
  let cluster: PostgresCluster;
  let server: ServerProcess;
  let url: string;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    server = runServer({
      NODE_ENV: "test",
      ROLE: "api",
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: cluster.url,
      DATABASE_POOL_SIZE: "5",
      REDIS_URL: "",
      JWT_SECRET: randomBytes(32).toString("hex"),
      LOGIN_MAX_PER_IP: "10000",
      LOG_LEVEL: "warn",
    });
    url = await serverUrl(server, 60_000);
  }, 120_000);

  afterAll(async () => {
    server?.child.kill("SIGKILL");
    await cluster?.destroy();
  });

  it("keeps the process up, fails only during the restart, recovers alone, and loses or doubles no acknowledged write", async () => {
    const anonymous = createRapportClient({ url, batch: false });
    const session = await anonymous.auth.register.mutate({
      email: `restart.${randomBytes(3).toString("hex")}@example.com`,
      password: "correct horse battery staple",
      name: "Restart Tester",
    });
    const client = createRapportClient({ url, token: session.accessToken, batch: false });
    const workspace = await client.workspaces.create.mutate({ name: "Restart" });

    const attempts: Attempt[] = [];
    let counter = 0;
    let running = true;
    const writer = async () => {
      while (running) {
        const email = `c${++counter}.${randomBytes(3).toString("hex")}@example.com`;
        const attempt: Attempt = { email, started: Date.now(), ended: 0 };
        try {
          const contact = await client.contacts.create.mutate({
            workspaceId: workspace.id,
            name: `Contact ${counter}`,
            email,
          });
          attempt.contactId = contact.id;
        } catch (error) {
          attempt.error = (error as Error).message;
          // A failing database answers at once: do not spin.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        attempt.ended = Date.now();
        attempts.push(attempt);
      }
    };
    const writers = Array.from({ length: CONCURRENCY }, writer);

    const windows: Array<{ from: number; to: number }> = [];
    try {
      await sleep(1_000);
      for (let i = 0; i < RESTARTS; i++) {
        const from = Date.now();
        await cluster.restart();
        windows.push({ from, to: Date.now() });
        await sleep(RECOVERY_MS + 1_000);
      }
      // Let enough writes start after the last recovery period (a slow machine needs longer).
      const recovered = windows.at(-1)!.to + RECOVERY_MS;
      const deadline = Date.now() + 30_000;
      while (
        attempts.filter((attempt) => attempt.started > recovered).length < 2 * CONCURRENCY &&
        Date.now() < deadline
      )
        await sleep(100);
    } finally {
      running = false;
      await Promise.all(writers);
    }

    // The process survived every restart and still answers.
    expect(server.child.exitCode, server.output()).toBeNull();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(server.output()).not.toMatch(/Cannot read properties of null/);

    // Errors only for writes that overlapped a restart (or the reconnect right after it).
    const failed = attempts.filter((attempt) => attempt.error);
    const outsideWindows = failed.filter(
      (attempt) =>
        !windows.some((window) => attempt.ended >= window.from && attempt.started <= window.to + RECOVERY_MS),
    );
    expect(outsideWindows).toEqual([]);

    // Recovered on its own: writes after the last window succeed.
    const last = windows.at(-1)!;
    const afterRecovery = attempts.filter((attempt) => attempt.started > last.to + RECOVERY_MS);
    expect(afterRecovery.length).toBeGreaterThanOrEqual(2 * CONCURRENCY);
    expect(afterRecovery.filter((attempt) => attempt.error)).toEqual([]);
    // The load really ran into each restart.
    expect(failed.length).toBeGreaterThan(0);

    // Every acknowledged write is stored exactly once, with exactly one outbox event.
    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
    try {
      const acknowledged = attempts.filter((attempt) => attempt.contactId);
      const rows = await sql<{ id: string; email: string }[]>`
        SELECT id, email FROM contacts WHERE workspace_id = ${workspace.id}`;
      const events = await sql<{ contact_id: string; n: number }[]>`
        SELECT payload->>'contactId' AS contact_id, count(*)::int AS n FROM domain_events
        WHERE type = 'contact.created' AND workspace_id = ${workspace.id} GROUP BY 1`;
      const rowsByEmail = new Map<string, Array<{ id: string }>>();
      for (const row of rows) rowsByEmail.set(row.email, [...(rowsByEmail.get(row.email) ?? []), row]);
      const eventsById = new Map(events.map((event) => [event.contact_id, event.n]));
      for (const attempt of acknowledged) {
        expect(
          rowsByEmail.get(attempt.email)?.map((row) => row.id),
          attempt.email,
        ).toEqual([attempt.contactId]);
        expect(eventsById.get(attempt.contactId!), attempt.email).toBe(1);
      }
      // Nothing stored twice, and no contact without its event (or event without its contact).
      expect(rows.length).toBe(rowsByEmail.size);
      expect(new Set(rows.map((row) => row.id))).toEqual(new Set(eventsById.keys()));
      expect([...eventsById.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await sql.end();
    }
  }, 120_000);
});

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
