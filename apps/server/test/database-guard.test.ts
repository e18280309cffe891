import type { Readiness } from "@rapport/api";
import { createDatabase, DatabaseTimeoutError, PoolInTransactionError, queryRows, type Database } from "@rapport/db";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestDatabase,
  createTestPgliteDir,
  errorOf,
  type SignedInUser,
  type TestApp,
  type TestDriver,
} from "./support/app";

/**
 * On a single connection (PGlite) a query through the pool from inside a transaction
 * waits for that transaction, which waits for it: the process freezes. The guard makes
 * that a loud error on both drivers, and the timeouts turn any other stuck query into
 * an error instead of a frozen server.
 */
const drivers: TestDriver[] = ["postgres", "pglite"];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The error, or its cause, of the given class (drizzle wraps driver errors). */
function causeOf<T>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let current = error; current; current = (current as { cause?: unknown }).cause)
    if (current instanceof type) return current;
  return undefined;
}

describe.each(drivers)("database guard on %s", (driver) => {
  let database: Database;
  let drop: () => Promise<void> = async () => {};

  async function open(
    options: { queryTimeoutMs?: number; transactionIdleTimeoutMs?: number; guardPoolInTransaction?: boolean } = {},
  ) {
    if (driver === "pglite") {
      const copy = createTestPgliteDir();
      drop = copy.drop;
      return createDatabase({ pgliteDir: copy.dir, ...options });
    }
    const created = await createTestDatabase();
    drop = created.drop;
    return createDatabase({ url: created.url, poolSize: 2, ...options });
  }

  afterEach(async () => {
    await database?.close();
    await drop();
    drop = async () => {};
  });

  it("a pool query inside a transaction throws PoolInTransactionError; the transaction rolls back and the pool still works", async () => {
    database = await open();
    const { db } = database;
    await db.execute(sql`CREATE TABLE guard_probe (n int)`);
    const error = await db
      .transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO guard_probe VALUES (1)`);
        await db.execute(sql`SELECT count(*) FROM guard_probe`); // the pool, not tx
      })
      .catch((e: unknown) => e);
    expect(causeOf(error, PoolInTransactionError)).toBeInstanceOf(PoolInTransactionError);
    // A second transaction from inside the first is the same deadlock.
    const nested = await db.transaction(async () => db.transaction(async () => 1)).catch((e: unknown) => e);
    expect(causeOf(nested, PoolInTransactionError)).toBeInstanceOf(PoolInTransactionError);
    expect(await queryRows(db, sql`SELECT count(*)::int AS n FROM guard_probe`)).toEqual([{ n: 0 }]);
    // Work that only started inside a transaction may use the pool once it has ended.
    let later: Promise<unknown> = Promise.resolve();
    let transactionEnded!: () => void;
    const ended = new Promise<void>((resolve) => (transactionEnded = resolve));
    await db.transaction(async (tx) => {
      await tx.execute(sql`SELECT 1`);
      later = ended.then(() => queryRows(db, sql`SELECT 2 AS n`));
    });
    transactionEnded();
    expect(await later).toEqual([{ n: 2 }]);
  });

  if (driver === "postgres") {
    it("statement_timeout: a statement longer than DATABASE_QUERY_TIMEOUT_MS fails with 57014 instead of running on", async () => {
      database = await open({ queryTimeoutMs: 200 });
      const started = performance.now();
      const error = await database.db.execute(sql`SELECT pg_sleep(5)`).catch((e: { cause?: { code?: string } }) => e);
      expect((error as { cause?: { code?: string } }).cause?.code).toBe("57014");
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it("idle_in_transaction_session_timeout ends a transaction left waiting", async () => {
      database = await open({ transactionIdleTimeoutMs: 200 });
      const error = await database.db
        .transaction(async (tx) => {
          await tx.execute(sql`SELECT 1`);
          await sleep(600);
          await tx.execute(sql`SELECT 1`);
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(await queryRows(database.db, sql`SELECT 1 AS n`)).toEqual([{ n: 1 }]);
    });

    it("sequential scans start at the table's first page (no synchronized scans): a LIMIT without ORDER BY reads the same rows every time", async () => {
      database = await open();
      const rows = await queryRows<{ synchronize_seqscans: string }>(database.db, sql`SHOW synchronize_seqscans`);
      expect(rows).toEqual([{ synchronize_seqscans: "off" }]);
    });

    it("with the guard off (production on Postgres) a pool query inside a transaction runs on another connection", async () => {
      database = await open({ guardPoolInTransaction: false });
      const { db } = database;
      expect(await db.transaction(async () => queryRows(db, sql`SELECT 1 AS n`))).toEqual([{ n: 1 }]);
    });
  } else {
    it("a call that cannot get the one connection within DATABASE_QUERY_TIMEOUT_MS fails with DatabaseTimeoutError and never runs", async () => {
      database = await open({ queryTimeoutMs: 200 });
      const { db } = database;
      await db.execute(sql`CREATE TABLE wait_probe (n int)`);
      const holding = db.transaction(async (tx) => {
        await tx.execute(sql`SELECT 1`);
        await sleep(800);
      });
      const started = performance.now();
      const error = await db.execute(sql`INSERT INTO wait_probe VALUES (1)`).catch((e: unknown) => e);
      expect(causeOf(error, DatabaseTimeoutError)).toBeInstanceOf(DatabaseTimeoutError);
      expect(performance.now() - started).toBeLessThan(700);
      await holding;
      // The insert was refused before it reached PGlite's queue: it did not run later.
      expect(await queryRows(db, sql`SELECT count(*)::int AS n FROM wait_probe`)).toEqual([{ n: 0 }]);
    });
  }
});

describe.each(drivers)("a stuck database answers 503, not a hang, on %s", (driver) => {
  let app: TestApp;
  let user: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createTestApp({ driver, env: { DATABASE_QUERY_TIMEOUT_MS: "300" } });
    user = await app.signUp("Stuck Sam");
    workspaceId = (await user.client.workspaces.create.mutate({ name: "Stuck" })).id;
    await user.client.contacts.create.mutate({ workspaceId, name: "Wanda Wait" });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("a request waiting on a held database gets SERVICE_UNAVAILABLE; /readyz answers within its bound; then all recovers", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const holdingNow = new Promise<void>((resolve) => (held = resolve));
    // Postgres: another session holds a lock the list needs; PGlite: a transaction holds the one connection.
    const holding =
      driver === "postgres"
        ? app.sql.begin(async (tx) => {
            await tx`LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE`;
            held();
            await released;
          })
        : app.runtime.database.db.transaction(async (tx) => {
            await tx.execute(sql`SELECT 1`);
            held();
            await released;
          });
    try {
      await Promise.race([holdingNow, holding]);
      const started = performance.now();
      const error = await errorOf(user.client.contacts.list.query({ workspaceId }));
      expect(error.code).toBe("SERVICE_UNAVAILABLE");
      expect(error.data.httpStatus).toBe(503);
      expect(performance.now() - started).toBeLessThan(2_000);

      const readyStarted = performance.now();
      const ready = (await (await fetch(`${app.url}/readyz`)).json()) as Readiness;
      expect(performance.now() - readyStarted).toBeLessThan(3_000);
      // Postgres's ping needs no lock; PGlite's waits for the connection, at most 2 s.
      expect(ready.checks.database.ok).toBe(driver === "postgres");
    } finally {
      release();
      await holding;
    }
    expect((await user.client.contacts.list.query({ workspaceId })).items).toHaveLength(1);
  });

  it("a bus listener may start database work: it runs outside the dispatcher's transaction", async () => {
    // Without Redis the relay consumer hands events to the bus from inside the dispatcher's transaction.
    const outcomes: unknown[] = [];
    const stop = app.runtime.bus.subscribe((event) => {
      if (event.type !== "contact.created") return;
      queryRows(app.runtime.database.db, sql`SELECT 1 AS n`).then(
        (rows) => outcomes.push(rows),
        (error: unknown) => outcomes.push(error),
      );
    });
    try {
      await user.client.contacts.create.mutate({ workspaceId, name: "Lena Listener" });
      expect(await app.runtime.dispatcher.drain()).toBe(true);
      await expect.poll(() => outcomes.length).toBeGreaterThan(0);
      // Delivery is at least once: every run of the listener got its rows, none was refused.
      expect(outcomes.every((outcome) => JSON.stringify(outcome) === JSON.stringify([{ n: 1 }]))).toBe(true);
    } finally {
      stop();
    }
  });

  it("an analytics export whose reader stalls does not stop other requests", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let writing!: () => void;
    const writingNow = new Promise<void>((resolve) => (writing = resolve));
    // The export handler's onBatch waits for the client to drain; here the client never does, until released.
    const exporting = app.runtime.services.analytics.streamExport(
      workspaceId,
      { sortBy: "clv", asOf: new Date() },
      async () => {
        writing();
        await released;
      },
    );
    try {
      await Promise.race([writingNow, exporting]);
      expect((await user.client.contacts.list.query({ workspaceId })).items).toHaveLength(2);
    } finally {
      release();
    }
    expect(await exporting).toEqual({ rows: 2 });
  });
});
