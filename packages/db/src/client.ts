import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres, PostgresJsSession } from "drizzle-orm/postgres-js";
import { is, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import postgres from "postgres";
import * as schema from "./schema/index";
import { sqlText } from "./sql-text";

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
  /**
   * Longest a statement may run (Postgres `statement_timeout`) or, on PGlite, wait for
   * the single connection; past it the call fails with a timeout instead of hanging.
   */
  queryTimeoutMs?: number;
  /** Postgres `idle_in_transaction_session_timeout`: a transaction left waiting is ended. */
  transactionIdleTimeoutMs?: number;
  /**
   * Throw `PoolInTransactionError` when code running inside a transaction queries through
   * the pool. Always on for PGlite, where that query would wait forever for the one
   * connection the transaction holds; on Postgres it costs an AsyncLocalStorage lookup
   * per query (default: on).
   */
  guardPoolInTransaction?: boolean;
  /**
   * The connection's session itself matters (it holds a session-level lock): postgres.js
   * never recycles it, and a holder that goes silent loses it within seconds rather than
   * the ~2 h of the server's TCP defaults (Postgres only; 14 or later).
   */
  session?: SessionOptions;
}

export interface SessionOptions {
  /**
   * Postgres `idle_session_timeout`: the server ends the session once it has sent nothing
   * for this long (a frozen or partitioned holder), so its owner must query more often.
   */
  idleTimeoutMs: number;
  /**
   * Its `statement_timeout` and `lock_timeout` (default: the query timeout): a statement of its
   * owner's that is blocked must not keep the session (and what it holds) that long.
   */
  statementTimeoutMs?: number;
}

export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
export const DEFAULT_TRANSACTION_IDLE_TIMEOUT_MS = 60_000;

/**
 * A query went to the pool from inside an open transaction: on a single connection
 * (PGlite) it would wait for that transaction, which waits for it. Pass the transaction
 * (`tx`) down instead.
 */
export class PoolInTransactionError extends Error {
  constructor() {
    super("A query ran through the pool inside an open transaction; run it on the transaction (tx) instead");
    this.name = "PoolInTransactionError";
  }
}

/** The database did not answer in time (statement timeout, or PGlite's connection stayed busy). */
export class DatabaseTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseTimeoutError";
  }
}

/** postgres.js's own codes for a connection that failed to open or closed under a query. */
const DRIVER_CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * Errors the server sends while it cannot take connections: starting up or shutting
 * down (57P01-57P03), too many connections (53300), or (55000) this database refusing
 * connections. They arrive before the query ran, or end the session under it.
 */
const SERVER_UNAVAILABLE_CODES = new Set(["57P01", "57P02", "57P03", "53300"]);

/** The code of the driver error, looking through drizzle's wrapper (`cause`). */
function errorWithCode(error: unknown): { code: string; message: string } | null {
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current; depth++) {
    if (typeof current === "object" && current !== null && typeof (current as { code?: unknown }).code === "string")
      return current as { code: string; message: string };
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * The database could not be reached, or the connection ended under the query: nothing
 * wrong with the request, which may succeed once the database is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const found = errorWithCode(error);
  if (!found) return false;
  if (DRIVER_CONNECTION_CODES.has(found.code) || SERVER_UNAVAILABLE_CODES.has(found.code)) return true;
  // Class 08: connection exception.
  if (found.code.startsWith("08")) return true;
  return found.code === "55000" && /not currently accepting connections/.test(String(found.message));
}

/**
 * The error proves the statement never reached the server (the connection could not be
 * opened), so running it again cannot run it twice.
 */
function failedBeforeSending(error: unknown): boolean {
  const code = errorWithCode(error)?.code;
  if (!code) return false;
  return (
    [
      "ECONNREFUSED",
      "CONNECT_TIMEOUT",
      "ENOTFOUND",
      "EAI_AGAIN",
      "EHOSTUNREACH",
      "ENETUNREACH",
      "53300",
      "57P03",
    ].includes(code) ||
    (code === "55000" && isDatabaseUnavailable(error))
  );
}

/**
 * The longest pause (seconds) postgres.js makes between connection attempts after failed
 * ones (its `backoff`, see createPostgres). Until that pause ends, postgres.js 4 answers
 * every query that finds no live connection with the last attempt's error, without trying:
 * right after the database is back, that is the outage's error (e.g. 55000 "not currently
 * accepting connections"), at most this old.
 */
const MAX_CONNECT_BACKOFF_S = 0.2;

/**
 * How often a failed pool query or transaction start is run again. Another pooled
 * connection may be dead as well (a restart ends them all, and the pool notices each
 * only when its socket's end is read), hence more than once; the short pauses let the
 * pool read those ends before the next try. The last pause outlasts the pool's longest
 * backoff, so the last try always reaches a connection attempt made after the failure
 * (or a live connection): a query that arrives just after the database came back gets
 * an answer, not the outage's error again.
 */
const SAFE_RETRIES = 3;
const retryPause = (attempt: number) =>
  new Promise((resolve) =>
    setTimeout(resolve, attempt < SAFE_RETRIES - 1 ? 20 * (attempt + 1) : MAX_CONNECT_BACKOFF_S * 1000 + 20),
  );

/** A statement that only reads (autocommit), so running it again is harmless. */
const READ_ONLY_STATEMENT = /^\s*(?:select|show|values)\b/i;

/**
 * Which transaction the running code is inside, per database. `open` turns false when
 * the transaction ends, so work that merely started there (timers, detached promises)
 * may use the pool afterwards.
 */
class TransactionGuard {
  private readonly scope = new AsyncLocalStorage<{ open: boolean }>();

  constructor(private readonly enabled: boolean) {}

  check(): void {
    if (this.enabled && this.scope.getStore()?.open) throw new PoolInTransactionError();
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.enabled) return fn();
    const store = { open: true };
    try {
      return await this.scope.run(store, fn);
    } finally {
      store.open = false;
    }
  }
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  if (options.url) {
    return createPostgres(options.url, {
      poolSize: options.poolSize ?? 10,
      queryTimeoutMs,
      transactionIdleTimeoutMs: options.transactionIdleTimeoutMs ?? DEFAULT_TRANSACTION_IDLE_TIMEOUT_MS,
      guard: new TransactionGuard(options.guardPoolInTransaction ?? true),
      session: options.session ?? null,
    });
  }
  return createPglite(options.pgliteDir, queryTimeoutMs);
}

/**
 * A pool query run once more when its connection failed and running it again is safe:
 * the statement never reached the server, or it only reads. After a database restart the
 * pool's connections are dead until used; the first query on each would otherwise fail
 * a request that a fresh connection answers. Awaiting the returned query (with
 * `.values()`/`.raw()` applied) retries; anything else (`.cursor()`) runs it once.
 */
function retryingQuery(
  run: () => postgres.PendingQuery<postgres.Row[]>,
  text: string,
): postgres.PendingQuery<postgres.Row[]> {
  const first = run();
  const modifiers: ("values" | "raw")[] = [];
  const again = () => {
    let query = run();
    for (const modifier of modifiers) query = query[modifier]() as unknown as postgres.PendingQuery<postgres.Row[]>;
    return query;
  };
  const settled = async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await (attempt === 0 ? first : again());
      } catch (error) {
        if (!worthRetrying(error, text, attempt)) throw error;
        await retryPause(attempt);
      }
    }
  };
  let retrying: Promise<unknown> | undefined;
  const proxy: postgres.PendingQuery<postgres.Row[]> = new Proxy(first, {
    get(target, property, receiver) {
      if (property === "values" || property === "raw")
        return () => {
          // Sets the mode on the (lazy) query and returns it; it runs when awaited.
          void target[property]();
          modifiers.push(property);
          return proxy;
        };
      if (property === "then" || property === "catch" || property === "finally") {
        retrying ??= settled();
        const promise = retrying;
        return (...args: unknown[]) => (promise[property] as (...a: unknown[]) => unknown).apply(promise, args);
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return proxy;
}

/** `run` once, and again while its failure is worth retrying (see retryingQuery). */
async function retried<T>(text: string, run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!worthRetrying(error, text, attempt)) throw error;
      await retryPause(attempt);
    }
  }
}

/** Whether a pool query that failed this way on this attempt runs again (see retryingQuery). */
function worthRetrying(error: unknown, text: string, attempt: number): boolean {
  return (
    attempt < SAFE_RETRIES &&
    isDatabaseUnavailable(error) &&
    (failedBeforeSending(error) || READ_ONLY_STATEMENT.test(text))
  );
}

/**
 * The pool's query for a statement awaited as it is (see queryRowsPrepared): guarded and
 * run again as `unsafe` is, without the wrapper that `unsafe`'s lazy query needs for its
 * modifiers (`.values()`, `.raw()`) and whose `then` is looked up through a Proxy.
 */
const POOL_QUERY = Symbol("rapport.poolQuery");
type PoolQuery = (
  text: string,
  params: unknown[],
  options: { prepare: boolean; simple?: boolean },
) => Promise<unknown[]>;

/**
 * postgres.js `Sql` methods drizzle calls: `unsafe` for pool queries, `begin` for
 * transactions. Both are guarded against use inside a transaction, and run once more
 * when the connection failed where that is safe (see `retryingQuery`; a transaction
 * whose body had not started yet).
 */
function guardPostgresPool(client: postgres.Sql, guard: TransactionGuard): void {
  const unsafe = client.unsafe.bind(client);
  const begin = client.begin.bind(client) as (...args: unknown[]) => Promise<unknown>;
  client.unsafe = ((...args: Parameters<postgres.Sql["unsafe"]>) => {
    guard.check();
    return retryingQuery(() => unsafe(...args), args[0]);
  }) as postgres.Sql["unsafe"];
  const poolQuery: PoolQuery = (text, params, options) => {
    guard.check();
    return retried(text, () => unsafe(text, params as postgres.ParameterOrJSON<never>[], options));
  };
  (client as unknown as { [POOL_QUERY]: PoolQuery })[POOL_QUERY] = poolQuery;
  client.begin = (async (...args: unknown[]) => {
    guard.check();
    const fn = args[args.length - 1] as (tx: postgres.TransactionSql) => Promise<unknown>;
    const options = args.length > 1 ? (args[0] as string) : undefined;
    let started = false;
    const guarded = (tx: postgres.TransactionSql) => {
      started = true;
      return guard.run(() => fn(tx));
    };
    for (let attempt = 0; ; attempt++) {
      try {
        return await (options === undefined ? begin(guarded) : begin(options, guarded));
      } catch (error) {
        // The connection failed while opening the transaction: its body never ran.
        if (attempt >= SAFE_RETRIES || started || !isDatabaseUnavailable(error)) throw error;
        await retryPause(attempt);
      }
    }
  }) as postgres.Sql["begin"];
}

function createPostgres(
  url: string,
  settings: {
    poolSize: number;
    queryTimeoutMs: number;
    transactionIdleTimeoutMs: number;
    guard: TransactionGuard;
    session: SessionOptions | null;
  },
): Database {
  const { session } = settings;
  const client = postgres(url, {
    max: settings.poolSize,
    // Type parameters from their JavaScript values (a Date as timestamptz, a boolean as
    // boolean, arrays by their first element), as postgres.js 3.x did; 4.x otherwise sends
    // them untyped and lets the server decide, which changes `timestamp`/`date` values
    // outside UTC and fails a Date where the statement does not fix its type.
    infer: true,
    onnotice: () => {},
    // Fail fast instead of hanging when the server is unreachable.
    connect_timeout: 10,
    idle_timeout: 60,
    // postgres.js pauses between connection attempts after failed ones, growing to 20 s by
    // default. During the pause a query that finds no live connection fails at once with the
    // last attempt's error (or, after "too many connections" or a connection closed during
    // startup, waits for the next attempt, for up to connect_timeout). Attempts are only made
    // for waiting queries, so keep the pause short: requests fail fast (503) while the
    // database is away, and the pool's retries (retryPause) outlast the pause, so a request
    // arriving as the database comes back succeeds.
    backoff: (retries: number) => Math.min(0.025 * 2 ** retries, MAX_CONNECT_BACKOFF_S),
    // A stuck statement or a transaction left open becomes an error, never a held connection.
    connection: {
      statement_timeout: settings.queryTimeoutMs,
      idle_in_transaction_session_timeout: settings.transactionIdleTimeoutMs,
      // A bounded read without ORDER BY (search's candidate reads: "any 33 rows matching")
      // returns the same rows every run. With synchronized scans a sequential scan of a large
      // table starts wherever a concurrent one is, so equally good results changed from one
      // request to the next.
      synchronize_seqscans: "off",
      // Whatever the server's default: the outbox's readers (the dispatcher's batches) rely on
      // each statement seeing what committed before it. Set once per connection rather than
      // per transaction (a statement each).
      default_transaction_isolation: "read committed",
      ...(session
        ? {
            // A holder that stops sending (frozen VM, SIGSTOP, a blocked event loop) keeps its
            // TCP connection open: the server ends the session on its own clock instead.
            idle_session_timeout: session.idleTimeoutMs,
            statement_timeout: session.statementTimeoutMs ?? settings.queryTimeoutMs,
            lock_timeout: session.statementTimeoutMs ?? 0,
            // One that vanished (node lost, partition): the server probes after 5 s of silence
            // and gives up after three unanswered probes 2 s apart, or after 10 s of unacknowledged
            // writes, rather than the kernel's ~2 h. Ignored over a Unix socket.
            tcp_keepalives_idle: 5,
            tcp_keepalives_interval: 2,
            tcp_keepalives_count: 3,
            tcp_user_timeout: 10_000,
          }
        : {}),
    },
    ...(session
      ? {
          // Recycling the connection (every 30-60 min by default) would drop the session's lock
          // unnoticed; it is never idle (its owner queries every second).
          max_lifetime: null,
          idle_timeout: 0,
          // This side's probes, for a server that vanished: the owner's own timeout notices first.
          keep_alive: 5,
        }
      : {}),
  });
  guardPostgresPool(client, settings.guard);
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  const parsed = new URL(url);
  return {
    kind: "postgres",
    db,
    location: `postgres://${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`,
    runRawTransaction: async (run) => {
      await client.begin(async (tx) => {
        // Migrations may rewrite large tables: no statement timeout for them.
        await tx.unsafe("SET LOCAL statement_timeout = 0");
        await run({
          exec: async (script) => {
            await tx.unsafe(script);
          },
          query: async <T>(text: string) => (await tx.unsafe(text)) as unknown as T[],
        });
      });
    },
    // Run again like a pool read: readiness is answered by a fresh attempt, not by the
    // error of one made before the database came back.
    ping: async () => {
      await retried("select 1", () => client`select 1`);
    },
    close: async () => {
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * PGlite is one connection: PGlite queues every call behind the running one, with no
 * limit. Calls go through this gate first, so a call that cannot get the connection
 * within the timeout fails instead of waiting forever, and never reaches PGlite's queue
 * (no statement runs after its caller was told it failed).
 */
class ConnectionGate {
  private busy = false;
  private readonly waiting: { grant(): void }[] = [];

  constructor(private readonly timeoutMs: number) {}

  async run<T>(fn: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    await this.acquire(timeoutMs);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(timeoutMs: number): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new DatabaseTimeoutError(`the embedded database stayed busy for ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next)
      next.grant(); // stays busy: handed over
    else this.busy = false;
  }
}

async function createPglite(dir: string | undefined, queryTimeoutMs: number): Promise<Database> {
  if (dir) mkdirSync(dir, { recursive: true });
  // Loaded here rather than with the module: a server on Postgres never needs PGlite.
  const [{ PGlite }, { drizzle: drizzlePglite }, { pg_trgm }, { unaccent }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
    import("@electric-sql/pglite/contrib/pg_trgm"),
    import("@electric-sql/pglite/contrib/unaccent"),
  ]);
  // The contrib extensions the migrations create (search): PGlite loads only those it is given.
  const client = new PGlite({ dataDir: dir, extensions: { pg_trgm, unaccent } });
  await client.waitReady;
  const gate = new ConnectionGate(queryTimeoutMs);
  // Always on: here a pool query inside a transaction is a deadlock, not a slowdown.
  const guard = new TransactionGuard(true);
  // What drizzle calls on its client. Inside a transaction it is handed PGlite's
  // transaction object, which runs on the connection the gate already granted.
  const gated = {
    query: (...args: Parameters<PGlite["query"]>) => {
      guard.check();
      return gate.run(() => client.query(...args));
    },
    exec: (...args: Parameters<PGlite["exec"]>) => {
      guard.check();
      return gate.run(() => client.exec(...args));
    },
    transaction: <T>(fn: Parameters<PGlite["transaction"]>[0]) => {
      guard.check();
      return gate.run(() => client.transaction((tx) => guard.run(() => fn(tx) as Promise<T>)));
    },
  };
  const db = drizzlePglite(gated as unknown as PGlite, { schema }) as unknown as Db;
  return {
    kind: "pglite",
    db,
    location: dir ? `pglite:${dir}` : "pglite:memory",
    runRawTransaction: async (run) => {
      await gated.transaction(async (tx) => {
        await run({
          exec: async (script) => {
            await tx.exec(script);
          },
          query: async <T>(text: string) => (await tx.query<T>(text)).rows,
        });
      });
    },
    // Readiness answers within its own bound even while a long transaction holds the connection.
    ping: async () => {
      await gate.run(() => client.query("select 1"), PING_TIMEOUT_MS);
    },
    close: async () => {
      await client.close();
    },
  };
}

const PING_TIMEOUT_MS = 2_000;

/** Raw SQL rows from either driver (postgres.js returns an array, PGlite `{ rows }`). */
export async function queryRows<T>(executor: Executor, query: SQL): Promise<T[]> {
  const result: unknown = await executor.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

interface PostgresJsClient {
  unsafe: PoolQuery;
  [POOL_QUERY]?: PoolQuery;
}
/**
 * `queryRows` for a hot statement whose text is the same on every call (parameters only:
 * no `sql.raw`, no fragment that varies), on the pool or in a transaction. On Postgres
 * the statement is prepared once per connection (postgres.js 4 keeps it by its text and
 * parameter types, the 2,000 most recently used for the pool, hence fixed text only)
 * instead of parsed and planned on every call, which is most of the database's work for
 * a short indexed statement. PGlite (one in-process connection) runs it like `queryRows`.
 *
 * The postgres.js client is the drizzle session's (`executor._.session`, drizzle's public
 * handle on it; its `client` is public on PostgresJsSession): for the pool it is the
 * guarded `Sql`, whose `POOL_QUERY` checks for an open transaction and runs again what is
 * safe to run again, as `unsafe` does for drizzle's own queries. For a transaction it is
 * the `TransactionSql` of the connection the transaction reserved, so the statement is
 * prepared there, and run once: nothing in a transaction is run again. A schema change
 * under a prepared statement (a migration while instances run) fails it once: postgres.js
 * then prepares it afresh, at once on the pool, at the next attempt in a transaction.
 */
export async function queryRowsPrepared<T>(executor: Executor, query: SQL): Promise<T[]> {
  const session: unknown = executor._.session;
  if (!is(session, PostgresJsSession)) return queryRows<T>(executor, query);
  const client = session.client as unknown as PostgresJsClient;
  const { sql, params } = sqlText(query);
  // postgres.js sends a statement without parameters as a simple query, which is never
  // prepared, whatever `prepare` says (the outbox's newest position is one).
  const options = { prepare: true, simple: false };
  const pool = client[POOL_QUERY];
  return (await (pool ? pool(sql, params, options) : client.unsafe(sql, params, options))) as T[];
}

/**
 * A timestamptz as the text Date.prototype.toJSON writes for it: UTC, milliseconds
 * (truncated, as a JS Date truncates the microseconds it is parsed from), `Z`. For
 * reads that hand their dates to JSON as `WireDate`s (see @rapport/core wire.ts).
 * Alias it to a name other than the column's: ORDER BY a bare name picks the alias.
 */
export function isoInstantText(column: SQLWrapper): SQL<string | null> {
  return sql<string | null>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * Contacts whose address may reach the same mailbox as `probe` (@rapport/core's
 * `emailMatchProbe`: its domains and the letters and digits of its local part before any
 * "+"), written as the expressions migration 0029 indexes, so that the index serves it.
 * A superset: `emailMatchKey` decides.
 */
export function contactMailboxMatches(
  email: SQLWrapper,
  probe: { domains: SQLWrapper; mailbox: SQLWrapper },
): SQL<boolean> {
  return sql<boolean>`(split_part(lower(${email}), '@', 2) = ANY(${probe.domains})
    AND regexp_replace(split_part(split_part(lower(${email}), '@', 1), '+', 1), '[^a-z0-9]', '', 'g') = ${probe.mailbox})`;
}
