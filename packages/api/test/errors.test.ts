import { createDatabase, type Database } from "@rapport/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTRPCError } from "../src/errors";

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** The error a query raises, as drizzle hands it to a service (the driver error on `cause`). */
async function failureOf(database: Database, query: ReturnType<typeof sql>): Promise<unknown> {
  try {
    await database.db.execute(query);
  } catch (error) {
    return error;
  }
  throw new Error("expected the query to fail");
}

/** Data exceptions (SQLSTATE class 22) that validation is meant to stop, raised for real by each driver. */
const dataExceptions: [name: string, query: () => ReturnType<typeof sql>][] = [
  ["NUL in text (22021)", () => sql`select ${"a\u0000b"}::text`],
  ["integer out of range (22003)", () => sql`select ${"2147483647"}::int + 1`],
  ["division by zero (22012)", () => sql`select 1 / ${0}::int`],
  ["invalid regular expression (2201B)", () => sql`select 'a' ~ ${"("}`],
  ["date field out of range (22008)", () => sql`select make_date(${0}::int, 1, 1)`],
  ["time zone displacement out of range (22009)", () => sql`select ${"2026-01-01T00:00:00+25:00"}::timestamptz`],
];

describe.each(["postgres", "pglite"] as const)("toTRPCError on %s", (kind) => {
  let database: Database;
  beforeAll(async () => {
    database = await createDatabase(kind === "postgres" ? { url: ADMIN_URL, poolSize: 1 } : {});
  });
  afterAll(async () => {
    await database.close();
  });

  it.each(dataExceptions)("maps %s to BAD_REQUEST, not a 500", async (_name, query) => {
    const error = await failureOf(database, query());
    const mapped = toTRPCError(error);
    expect(mapped.code).toBe("BAD_REQUEST");
    expect(mapped.message).toBe("Invalid value");
  });

  it("keeps other database failures internal", async () => {
    const error = await failureOf(database, sql`select * from no_such_table_here`);
    expect(toTRPCError(error).code).toBe("INTERNAL_SERVER_ERROR");
  });
});
