import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRuntime, loadConfig, ManualClock, type Clock, type Logger, type Runtime } from "@rapport/api";
import { createRapportClient, type RapportClient } from "@rapport/client";
import { Redis } from "ioredis";
import postgres from "postgres";
import { inject } from "vitest";
import { createRapportServer, type RapportServer } from "../../src/http";

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestApp {
  runtime: Runtime;
  server: RapportServer;
  url: string;
  databaseUrl: string;
  redisPrefix: string;
  clock: Clock;
  /** A client with no token, or one signed in with `token`. */
  client(token?: string | (() => string | null)): RapportClient;
  /** Registers a fresh user and returns a signed-in client. */
  signUp(name?: string): Promise<SignedInUser>;
  /** Signs the user in again (e.g. after moving the clock past token expiry). */
  signIn(user: SignedInUser): Promise<SignedInUser>;
  /** Raw SQL against this app's database (assertions only). */
  sql: postgres.Sql;
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
  env?: Record<string, string | undefined>;
  clock?: Clock;
  /** Use Redis (default) or run without it. */
  redis?: boolean;
  role?: "api" | "worker" | "all";
  /** The runtime's logger (e.g. one writing to a stream the test reads); default: LOG_LEVEL to stdout. */
  log?: Logger;
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

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const redisPrefix = `rapport-test-${randomBytes(4).toString("hex")}:`;
  // Export files and anything else kept locally go to a temporary directory, never the repository's .data/.
  const dataDir = mkdtempSync(join(tmpdir(), "rapport-test-data-"));
  const config = loadConfig({
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: "5",
    REDIS_URL: options.redis === false ? undefined : TEST_REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    JWT_SECRET: randomBytes(32).toString("hex"),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    EVENT_POLL_MS: "50",
    // Tests sign in often from one address; auth.test.ts sets its own limits.
    LOGIN_MAX_PER_IP: "10000",
    ...options.env,
  });
  const clock = options.clock ?? new ManualClock(new Date());
  const runtime = await createRuntime(config, { clock, migrate: true, log: options.log });
  await runtime.start(options.role ?? "all");
  const server = createRapportServer(runtime);
  const { url } = await server.listen(0, "127.0.0.1");
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const client = (token?: string | (() => string | null)) => createRapportClient({ url, token: token ?? null, batch: false });

  return {
    runtime,
    server,
    url,
    databaseUrl: database.url,
    redisPrefix,
    clock,
    client,
    sql,
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
      return { ...user, client: client(result.accessToken), accessToken: result.accessToken, refreshToken: result.refreshToken! };
    },
    async close() {
      await server.close(1_000);
      await runtime.close();
      await sql.end();
      await database.drop();
      if (options.redis !== false) await deleteRedisPrefix(redisPrefix);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
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
