/**
 * The Postgres pool through a database outage: this file's own database refuses
 * connections (ALLOW_CONNECTIONS false) and its sessions are terminated, as in a restart.
 * Requests during the outage fail at once with a typed "unavailable, retry" error; the
 * first ones after it succeed, on connections the pool opens again by itself.
 */
import { randomBytes } from "node:crypto";
import { createDatabase, isDatabaseUnavailable, queryRows, type Database } from "@rapport/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTRPCError } from "../src/errors";

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected the query to fail");
}

/** Fails the test instead of hanging it when `run` does not settle within `ms`. */
async function within<T>(ms: number, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe("the Postgres pool through a database outage", () => {
  const name = `outage_${randomBytes(4).toString("hex")}`;
  let admin: Database;
  let database: Database;

  const allowConnections = (allow: boolean) =>
    admin.db.execute(sql.raw(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${allow}`));
  const terminateSessions = () =>
    admin.db.execute(sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name}`);

  beforeAll(async () => {
    admin = await createDatabase({ url: ADMIN_URL, poolSize: 1 });
    await admin.db.execute(sql.raw(`CREATE DATABASE ${name}`));
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    database = await createDatabase({ url: url.toString(), poolSize: 2 });
  });

  afterAll(async () => {
    await database?.close();
    await admin?.db.execute(sql.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    await admin?.close();
  });

  it("a query cut off mid-flight leaves no connection that later hangs or fails a query with a stale error", async () => {
    // Both pooled connections busy, so each is cut off under a query.
    const inFlight = [1, 2].map(() => failureOf(() => database.db.execute(sql`select pg_sleep(5)`)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await allowConnections(false);
    try {
      await terminateSessions();
      for (const error of await within(5_000, () => Promise.all(inFlight))) {
        expect(isDatabaseUnavailable(error)).toBe(true);
        expect(toTRPCError(error).code).toBe("SERVICE_UNAVAILABLE");
      }
      // During the outage every query, on either connection, is answered at once.
      for (let i = 0; i < 6; i++) {
        const error = await within(3_000, () => failureOf(() => database.db.execute(sql`select 1`)));
        expect(toTRPCError(error)).toMatchObject({
          code: "SERVICE_UNAVAILABLE",
          message: "The database is unavailable; try again shortly",
        });
      }
      const transaction = await within(3_000, () =>
        failureOf(() => database.db.transaction(async (tx) => tx.execute(sql`select 1`))),
      );
      expect(toTRPCError(transaction).code).toBe("SERVICE_UNAVAILABLE");
      await expect(within(3_000, () => database.ping())).rejects.toSatisfy(isDatabaseUnavailable);
    } finally {
      await allowConnections(true);
    }
    // Back: the very first queries succeed (no stale startup error from the outage).
    await within(5_000, () => database.ping());
    const [row] = await within(5_000, () => queryRows<{ n: number }>(database.db, sql`select 1 as n`));
    expect(row).toEqual({ n: 1 });
  });

  it("after a restart, reads and transactions on the pool's dead connections are run again on fresh ones", async () => {
    // Warm both connections, then end their sessions while they sit idle in the pool.
    await Promise.all([1, 2].map(() => database.db.execute(sql`select pg_sleep(0.05)`)));
    for (let round = 0; round < 3; round++) {
      await terminateSessions();
      const [read] = await within(5_000, () => queryRows<{ n: number }>(database.db, sql`select 2 as n`));
      expect(read).toEqual({ n: 2 });
      const written = await within(5_000, () =>
        database.db.transaction(async (tx) => (await queryRows<{ n: number }>(tx, sql`select 3 as n`))[0]),
      );
      expect(written).toEqual({ n: 3 });
    }
  });

  it("a server that refuses connections is answered within its bound on every attempt, not after a growing backoff", async () => {
    const unreachable = await createDatabase({ url: "postgres://postgres@127.0.0.1:1/none", poolSize: 2 });
    try {
      for (let i = 0; i < 15; i++) {
        const error = await within(3_000, () => failureOf(() => unreachable.db.execute(sql`select 1`)));
        expect(toTRPCError(error).code).toBe("SERVICE_UNAVAILABLE");
      }
    } finally {
      await unreachable.close();
    }
  });
});
