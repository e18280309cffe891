import type { RapportClient } from "@rapport/client";
import { createDatabase, queryRows, queryRowsPrepared, type Database } from "@rapport/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createTestApp, createTestDatabase, createTestPgliteDir, type TestDriver } from "./support/app";
import { until } from "./support/until";

/** The contacts a live stream of the workspace delivered a `contact.created` event for. */
function createdHeard(client: RapportClient, workspaceId: string) {
  const contactIds: string[] = [];
  let ready = false;
  const subscription = client.activity.live.subscribe(
    { workspaceId },
    {
      onData(data) {
        if ("kind" in data) {
          if (data.kind === "ready") ready = true;
        } else if (data.data.kind === "event" && data.data.event.type === "contact.created")
          contactIds.push(String(data.data.event.payload.contactId));
      },
    },
  );
  return { contactIds, ready: () => ready, close: () => subscription.unsubscribe() };
}

describe("the live path's statements on Postgres", () => {
  it("contacts created reach a live subscriber; the insert, the dispatcher's poll and batch and the feed's read are each prepared once on the pool's one connection", async () => {
    const app = await createTestApp({ env: { DATABASE_POOL_SIZE: "1" } });
    try {
      const owner = await app.signUp("Owner");
      const workspaceId = (await owner.client.workspaces.create.mutate({ name: "Prepared" })).id;
      const stream = createdHeard(owner.client, workspaceId);
      await until("the stream to open", async () => stream.ready());
      // Different values, nulls and tags among them: the statements' text must not change with them.
      const created = [
        await owner.client.contacts.create.mutate({ workspaceId, name: "Ana Lima" }),
        await owner.client.contacts.create.mutate({
          workspaceId,
          name: "Bo Berg",
          email: "bo@berg.example",
          company: "Berg AB",
          tags: ["vip", "lead"],
        }),
      ];
      await until("both contacts' events", async () => created.every((c) => stream.contactIds.includes(c.id)));
      const count = async (pattern: string) =>
        (
          await app.query<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE ${pattern}`
        )[0]!.n;
      // The events went to the stream from their commits' wake-ups; the feed reads the outbox
      // after them a little later (sooner only when a dispatcher batch that held the read back
      // announces its end, and the relay's batches here write nothing: they take no xid and
      // announce none). The feed reads only for open streams: this one stays open until it has.
      await until(
        "the feed's read after them",
        async () => (await count("%SELECT horizon.below::text AS horizon%")) > 0,
      );
      stream.close();
      expect(await app.runtime.dispatcher.drain()).toBe(true);

      const prepared = async () => ({
        insert: await count("WITH inserted AS (%INSERT INTO contacts%"),
        horizonAndLock: await count("%pg_try_advisory_xact_lock%"),
        batchRead: await count("WITH cursor AS%"),
        cursorUpdate: await count("UPDATE event_consumers SET last_tx_id%"),
        newestPosition: await count("%WHERE e.tx_id < horizon.below%"),
        feedRead: await count("%SELECT horizon.below::text AS horizon%"),
      });
      // The dispatcher polls the newest committed position every 50 ms here: give it a few.
      let found = await prepared();
      for (let tries = 0; found.newestPosition === 0 && tries < 40; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        found = await prepared();
      }
      expect(found).toEqual({
        insert: 1,
        horizonAndLock: 1,
        batchRead: 1,
        cursorUpdate: 1,
        newestPosition: 1,
        feedRead: 1,
      });
    } finally {
      await app.close();
    }
  }, 60_000);
});

async function openDatabase(driver: TestDriver): Promise<{ database: Database; drop(): Promise<void> }> {
  if (driver === "postgres") {
    const created = await createTestDatabase();
    const database = await createDatabase({ url: created.url, poolSize: 1 });
    return {
      database,
      drop: async () => {
        await database.close();
        await created.drop();
      },
    };
  }
  const dir = createTestPgliteDir();
  const database = await createDatabase({ pgliteDir: dir.dir });
  return {
    database,
    drop: async () => {
      await database.close();
      await dir.drop();
    },
  };
}

describe.each<TestDriver>(["postgres", "pglite"])("queryRowsPrepared in a transaction (%s)", (driver) => {
  it("runs on the transaction: it sees the transaction's own writes, prepared there on Postgres", async () => {
    const { database, drop } = await openDatabase(driver);
    const name = `prepared-${driver}`;
    try {
      let seen: { rows: { name: string }[]; prepared: string[] } | null = null;
      const rolledBack = new Error("rolled back");
      await expect(
        database.db.transaction(async (tx) => {
          await queryRows(
            tx,
            sql`INSERT INTO event_consumers (name, last_tx_id, last_event_id) VALUES (${name}, '0'::xid8, 0)`,
          );
          const rows = await queryRowsPrepared<{ name: string }>(
            tx,
            sql`SELECT name FROM event_consumers WHERE name = ${name}`,
          );
          const prepared =
            driver === "postgres"
              ? await queryRows<{ statement: string }>(
                  tx,
                  sql`SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%FROM event_consumers WHERE name = $1%'`,
                )
              : [];
          seen = { rows, prepared: prepared.map((row) => row.statement) };
          throw rolledBack;
        }),
      ).rejects.toBe(rolledBack);
      expect(seen).toEqual({
        rows: [{ name }],
        prepared: driver === "postgres" ? ["SELECT name FROM event_consumers WHERE name = $1"] : [],
      });
      // Rolled back with the transaction: the read was the transaction's, not the pool's.
      expect(await queryRowsPrepared(database.db, sql`SELECT name FROM event_consumers WHERE name = ${name}`)).toEqual(
        [],
      );
    } finally {
      await drop();
    }
  });
});
