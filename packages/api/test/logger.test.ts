import { createDatabase, type Database } from "@rapport/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, type Logger, lazyChild, safeErrorMessage } from "../src/logger";

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

describe("redaction", () => {
  const SECRET_KEYS = ["password", "token", "accessToken", "refreshToken", "authorization", "secret"];

  /** The lines `write` logs through the real logger, without their time. */
  function logged(write: (log: Logger) => void, base: Record<string, unknown> = {}): Record<string, unknown>[] {
    const lines: string[] = [];
    write(createLogger("info", base, { write: (line: string) => void lines.push(line) }));
    return lines.map((line) => {
      const { time: _, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });
  }

  it("censors each secret key at the top level and one level down", () => {
    for (const key of SECRET_KEYS) {
      const [line] = logged((log) => log.info({ [key]: "s3cret", user: { id: "u1", [key]: "s3cret" } }, "m"));
      expect(line).toEqual({
        level: 30,
        service: "rapport",
        [key]: "[redacted]",
        user: { id: "u1", [key]: "[redacted]" },
        msg: "m",
      });
    }
  });

  it("censors a request's authorization and cookie headers", () => {
    const headers = { authorization: "Bearer s3cret", cookie: "sid=s3cret", host: "rapport.test" };
    const [line] = logged((log) => log.info({ req: { method: "GET", headers } }, "request"));
    expect(line?.req).toEqual({
      method: "GET",
      headers: { authorization: "[redacted]", cookie: "[redacted]", host: "rapport.test" },
    });
  });

  it("censors secrets in bindings, of a child, a lazy child and their children", () => {
    const lines = logged((log) => {
      log.child({ token: "s3cret", user: { password: "s3cret" } }).info("child");
      lazyChild(log, { requestId: "r1", accessToken: "s3cret" }).info("lazy");
      lazyChild(log, { requestId: "r1" })
        .child({ session: { refreshToken: "s3cret" } })
        .info("grandchild");
      const bound = log.child({ requestId: "r1" });
      bound.setBindings({ secret: "s3cret" });
      bound.info("set");
    });
    expect(lines.map((line) => JSON.stringify(line)).join("\n")).not.toContain("s3cret");
    expect(lines).toEqual([
      { level: 30, service: "rapport", token: "[redacted]", user: { password: "[redacted]" }, msg: "child" },
      { level: 30, service: "rapport", requestId: "r1", accessToken: "[redacted]", msg: "lazy" },
      { level: 30, service: "rapport", requestId: "r1", session: { refreshToken: "[redacted]" }, msg: "grandchild" },
      { level: 30, service: "rapport", requestId: "r1", secret: "[redacted]", msg: "set" },
    ]);
  });

  it("censors secrets in the logger's base bindings", () => {
    const [line] = logged((log) => log.info("base"), {
      region: "eu",
      secret: "s3cret",
      google: { accessToken: "s3cret" },
    });
    expect(line).toEqual({
      level: 30,
      service: "rapport",
      region: "eu",
      secret: "[redacted]",
      google: { accessToken: "[redacted]" },
      msg: "base",
    });
  });

  it("censors secrets in what an error's serializer keeps and in values a message puts in", () => {
    const error = Object.assign(new Error("refused"), { token: "s3cret", status: 401 });
    const [errorLine, formatted, list] = logged((log) => {
      log.error({ err: error }, "failed");
      log.info("body %j", { password: "s3cret", user: { token: "s3cret" } });
      log.info("list %j", [{ token: "s3cret" }, { name: "Ana" }]);
    });
    expect(errorLine?.err).toMatchObject({ type: "Error", message: "refused", token: "[redacted]", status: 401 });
    expect(formatted?.msg).toBe('body {"password":"[redacted]","user":{"token":"[redacted]"}}');
    // A list stays a list: its items' own secret keys censored.
    expect(list?.msg).toBe('list [{"token":"[redacted]"},{"name":"Ana"}]');
  });

  it("never changes the caller's objects", () => {
    const fields = { token: "s3cret", user: { password: "s3cret" }, req: { headers: { cookie: "sid=s3cret" } } };
    const bindings = { secret: "s3cret", session: { accessToken: "s3cret" } };
    const before = structuredClone({ fields, bindings });
    const lines = logged((log) => {
      log.info(fields, "line");
      log.child(bindings).info("child");
    });
    expect({ fields, bindings }).toEqual(before);
    expect(JSON.stringify(lines)).not.toContain("s3cret");
  });

  it("writes a line without secrets as it is", () => {
    const fields = {
      tokenCount: 2,
      passwordChanged: true,
      user: { id: "u1", name: "Ana", tokens: 3 },
      list: [{ id: 1 }],
      deep: { one: { two: "x" } },
      req: { method: "GET", headers: { host: "rapport.test" } },
      empty: null,
    };
    const [line] = logged((log) => log.info(fields, "plain"));
    expect(line).toEqual({ level: 30, service: "rapport", ...fields, msg: "plain" });
  });
});
