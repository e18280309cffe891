import { createDatabase, type Database } from "@rapport/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, lazyChild, safeErrorMessage } from "../src/logger";

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const PERSONAL = "ana.personal@example.com";

describe.each(["postgres", "pglite"] as const)("database errors in logs on %s", (kind) => {
  let database: Database;
  beforeAll(async () => {
    database = await createDatabase(kind === "postgres" ? { url: ADMIN_URL, poolSize: 1 } : {});
  });
  afterAll(async () => {
    await database.close();
  });

  async function failure(): Promise<unknown> {
    try {
      // PostgreSQL quotes the offending input in the message itself; drizzle adds the statement and all parameters.
      await database.db.execute(sql`select ${PERSONAL}::int, ${"second parameter"}::text`);
    } catch (error) {
      return error;
    }
    throw new Error("expected the query to fail");
  }

  it("logs the SQLSTATE and what failed, not the statement's values", async () => {
    const lines: string[] = [];
    const log = createLogger("info", {}, { write: (line: string) => void lines.push(line) });
    log.error({ err: await failure() }, "query failed");
    const text = lines.join("");
    expect(text).not.toContain(PERSONAL);
    expect(text).not.toContain("second parameter");
    expect(text).toContain("22P02");
    expect(text).toContain("invalid input syntax for type integer");
  });

  it("gives a failure reason safe to store", async () => {
    const message = safeErrorMessage(await failure());
    expect(message).not.toContain(PERSONAL);
    expect(message).toMatch(/^Failed query: invalid input syntax for type integer: "…" \(SQLSTATE 22P02\)$/);
  });
});

describe("lazyChild", () => {
  it("writes the lines an eager child writes, and makes the child only when it is used", () => {
    const lines: string[] = [];
    const root = createLogger("info", {}, { write: (line: string) => void lines.push(line) });
    const made: unknown[] = [];
    const parent = Object.assign(Object.create(root) as typeof root, {
      child: (bindings: Record<string, unknown>) => {
        made.push(bindings);
        return root.child(bindings);
      },
    });
    const lazy = lazyChild(parent, { requestId: "r1" }).child({ userId: "u1" });
    expect(made).toEqual([]);
    lazy.debug("below the level");
    expect(lazy.isLevelEnabled("debug")).toBe(false);
    lazy.info({ n: 1, token: "secret" }, "hello");
    root.child({ requestId: "r1" }).child({ userId: "u1" }).info({ n: 1, token: "secret" }, "hello");
    expect(made).toEqual([{ requestId: "r1" }]);
    const [deferredLine, eagerLine] = lines.map((line) => {
      const { time: _, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });
    expect(deferredLine).toEqual(eagerLine);
    expect(deferredLine).toMatchObject({ requestId: "r1", userId: "u1", n: 1, token: "[redacted]", msg: "hello" });
  });
});
