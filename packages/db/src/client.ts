import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import type { SQL } from "drizzle-orm";
import postgres from "postgres";
import * as schema from "./schema/index";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Anything queries can run on: the pool or an open transaction. */
export type Executor = Db | Tx;

export type DatabaseKind = "postgres" | "pglite";

/** Raw access inside one transaction, for migrations (multi-statement scripts). */
export interface RawTransaction {
  exec(script: string): Promise<void>;
  query<T>(text: string): Promise<T[]>;
}
export type RawTransactionRunner = (run: (tx: RawTransaction) => Promise<void>) => Promise<void>;

export interface Database {
  kind: DatabaseKind;
  db: Db;
  /** Human-readable location without credentials (for logs and /readyz). */
  location: string;
  runRawTransaction: RawTransactionRunner;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url?: string | undefined;
  pgliteDir?: string | undefined;
  poolSize?: number;
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return createPostgres(options.url, options.poolSize ?? 10);
  return createPglite(options.pgliteDir);
}

function createPostgres(url: string, poolSize: number): Database {
  const client = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    // Fail fast instead of hanging when the server is unreachable.
    connect_timeout: 10,
    idle_timeout: 60,
  });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  const parsed = new URL(url);
  return {
    kind: "postgres",
    db,
    location: `postgres://${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`,
    runRawTransaction: async (run) => {
      await client.begin(async (tx) => {
        await run({
          exec: async (script) => {
            await tx.unsafe(script);
          },
          query: async <T>(text: string) => (await tx.unsafe(text)) as unknown as T[],
        });
      });
    },
    ping: async () => {
      await client`select 1`;
    },
    close: async () => {
      await client.end({ timeout: 5 });
    },
  };
}

async function createPglite(dir: string | undefined): Promise<Database> {
  if (dir) mkdirSync(dir, { recursive: true });
  const client = new PGlite(dir);
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    kind: "pglite",
    db,
    location: dir ? `pglite:${dir}` : "pglite:memory",
    runRawTransaction: async (run) => {
      await client.transaction(async (tx) => {
        await run({
          exec: async (script) => {
            await tx.exec(script);
          },
          query: async <T>(text: string) => (await tx.query<T>(text)).rows,
        });
      });
    },
    ping: async () => {
      await client.query("select 1");
    },
    close: async () => {
      await client.close();
    },
  };
}

/** Raw SQL rows from either driver (postgres.js returns an array, PGlite `{ rows }`). */
export async function queryRows<T>(executor: Executor, query: SQL): Promise<T[]> {
  const result: unknown = await executor.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
