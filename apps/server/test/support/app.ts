import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRuntime, loadConfig, ManualClock, type Clock, type Logger, type Runtime } from "@rapport/api";
import { createRapportClient, type RapportClient } from "@rapport/client";
import { queryRows } from "@rapport/db";
import { sql as drizzleSql } from "drizzle-orm";
import { Redis } from "ioredis";
import postgres from "postgres";
import { inject } from "vitest";
import { createRapportServer, type RapportServer } from "../../src/http";

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export type TestDriver = "postgres" | "pglite";

export interface TestApp {
  driver: TestDriver;
  runtime: Runtime;
  server: RapportServer;
  url: string;
  /** Postgres only ("" on PGlite). */
  databaseUrl: string;
  redisPrefix: string;
  clock: Clock;
  /** A client with no token, or one signed in with `token`. */
  client(token?: string | (() => string | null)): RapportClient;
  /** Registers a fresh user and returns a signed-in client. */
  signUp(name?: string): Promise<SignedInUser>;
  /** Signs the user in again (e.g. after moving the clock past token expiry). */
  signIn(user: SignedInUser): Promise<SignedInUser>;
  /** Raw SQL against this app's database (assertions only). Postgres only: on PGlite use `query`. */
  sql: postgres.Sql;
  /** Raw SQL rows through the app's own database, on either driver (assertions only). */
  query<T = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface SignedInUser {
  client: RapportClient;
  userId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export interface TestAppOptions {
  /**
   * Postgres (default; a clone of the migrated template database) or the embedded
   * PGlite (a copy of the migrated template data directory).
   */
  driver?: TestDriver;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  /** Use Redis or run without it (default: with Redis on Postgres, without on PGlite, as `pnpm start`). */
  redis?: boolean;
  role?: "api" | "worker" | "all";
  /** The runtime's logger (e.g. one writing to a stream the test reads); default: LOG_LEVEL to stdout. */
  log?: Logger;
  /**
   * Another instance of `app`: the same Postgres database, Redis prefix and secrets, its
   * own runtime and port (closing it leaves the shared database to `app`). Postgres only.
   */
  instanceOf?: TestApp;
  /** The port to listen on (default: one the system picks), for a URL the configuration names before the server starts. */
  port?: number;
}

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rapport_test_${randomBytes(5).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject("templateDatabase")}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

let userCounter = 0;

/** A fresh embedded data directory, copied from the migrated template (no migration per app). */
export function createTestPgliteDir(): { dir: string; drop(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), "rapport-test-pglite-"));
  cpSync(inject("pgliteTemplateDir"), dir, { recursive: true });
  return { dir, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const shared = options.instanceOf;
  if (shared && shared.driver !== "postgres") throw new Error("a second instance needs the postgres driver");
  const driver = options.driver ?? "postgres";
  const useRedis = options.redis ?? (shared ? shared.runtime.redis !== null : driver === "postgres");
  const database = shared
    ? { url: shared.databaseUrl, drop: async () => {} }
    : driver === "postgres"
      ? await createTestDatabase()
      : null;
  const pglite = driver === "pglite" ? createTestPgliteDir() : null;
  const redisPrefix = shared?.redisPrefix ?? `rapport-test-${randomBytes(4).toString("hex")}:`;
  // Export files and anything else kept locally go to a temporary directory, never the repository's .data/.
  const dataDir = mkdtempSync(join(tmpdir(), "rapport-test-data-"));
  const config = loadConfig({
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    DATABASE_URL: database?.url,
    PGLITE_DIR: pglite?.dir,
    DATABASE_POOL_SIZE: "5",
    REDIS_URL: useRedis ? TEST_REDIS_URL : undefined,
    REDIS_PREFIX: redisPrefix,
    JWT_SECRET: shared?.runtime.config.JWT_SECRET ?? randomBytes(32).toString("hex"),
    ...(shared ? { GDPR_SUPPRESSION_KEY: shared.runtime.config.GDPR_SUPPRESSION_KEY } : {}),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    EVENT_POLL_MS: "50",
    // Tests sign in and sign up often from one address; auth.test.ts sets its own limits.
    LOGIN_MAX_PER_IP: "10000",
    REGISTER_MAX_PER_IP: "100000",
    ...options.env,
  });
  const clock = options.clock ?? new ManualClock(new Date());
  const runtime = await createRuntime(config, { clock, migrate: true, log: options.log });
  await runtime.start(options.role ?? "all");
  const server = createRapportServer(runtime);
  const { url } = await server.listen(options.port ?? 0, "127.0.0.1");
  const sql = database ? postgres(database.url, { max: 2, onnotice: () => {} }) : postgresOnly();
  const client = (token?: string | (() => string | null)) =>
    createRapportClient({
      url,
      token: token ?? null,
      batch: false,
    });

  return {
    driver,
    runtime,
    server,
    url,
    databaseUrl: database?.url ?? "",
    redisPrefix,
    clock,
    client,
    sql,
    query: (strings, ...values) => queryRows(runtime.database.db, drizzleSql(strings, ...values)),
    async signUp(name = "Test User") {
      const email = `user${++userCounter}.${randomBytes(3).toString("hex")}@example.com`;
      const password = "correct horse battery staple";
      const result = await client().auth.register.mutate({ email, password, name });
      return {
        client: client(result.accessToken),
        userId: result.user.id,
        email,
        password,
        accessToken: result.accessToken,
        refreshToken: result.refreshToken!,
      };
    },
    async signIn(user) {
      const result = await client().auth.login.mutate({ email: user.email, password: user.password });
      return {
        ...user,
        client: client(result.accessToken),
        accessToken: result.accessToken,
        refreshToken: result.refreshToken!,
      };
    },
    async close() {
      await server.close(1_000);
      await runtime.close();
      if (database) {
        await sql.end();
        await database.drop();
      }
      await pglite?.drop();
      if (useRedis && !shared) await deleteRedisPrefix(redisPrefix);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `TestApp.sql` on PGlite: there is no second connection to the embedded database. */
function postgresOnly(): postgres.Sql {
  const refuse = () => {
    throw new Error("TestApp.sql needs the postgres driver; use TestApp.query");
  };
  return new Proxy((() => {}) as unknown as postgres.Sql, {
    get: (_, key) => (key === "then" ? undefined : refuse()),
    apply: refuse,
  });
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
  await redis.quit();
}

/** The tRPC error code of a rejected call (e.g. "BAD_REQUEST"), or fails the test. */
export async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string; data: any }> {
  try {
    await promise;
  } catch (error) {
    const data = (error as { data?: { code?: string } }).data;
    return { code: data?.code ?? "UNKNOWN", message: (error as Error).message, data };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export async function codeOf(promise: Promise<unknown>): Promise<string> {
  return (await errorOf(promise)).code;
}
