import { queryRows, type Database, type SessionOptions } from "@rapport/db";
import { sql } from "drizzle-orm";

/** What one check of the lease found. */
export interface LeaseCheck {
  /** Whether this instance holds the lease now. */
  held: boolean;
  /** The session the check ran on (Postgres backend pid): a change means the connection was replaced. */
  session: number;
  /**
   * Whether that session ends on its own once its holder goes silent (its idle timeout is in
   * effect). A pooler that dropped the setting, or shares server sessions between clients,
   * would keep a dead holder's lease forever.
   */
  expires: boolean;
}

/**
 * Which instance runs the event consumers' batches: the one that holds the lease. The others
 * neither poll nor try the consumers' locks, which on a busy outbox cost every instance a
 * transaction per consumer and commit, most of them lost races.
 */
export interface DispatcherLease {
  /** Keeps or takes the lease. */
  check(): Promise<LeaseCheck>;
  /**
   * Gives it up (shutdown, stepping down) by ending its session, which frees the lock: another
   * instance takes it at its next check, and this one's next check opens a new session. Waits
   * a bounded time for the session to end. Opens nothing.
   */
  release(): Promise<void>;
  /** Drops the connection (a check that never answered): the next check opens a new session. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The lease's session: a live holder checks every second, so a session silent for this long
 * belongs to a frozen or vanished holder and the server ends it (with it the lock).
 */
export const LEASE_SESSION: SessionOptions = { idleTimeoutMs: 10_000, statementTimeoutMs: 2_000 };

/** How long release() waits for the session to end; on a half-open connection it ends on the server's clock. */
const RELEASE_WAIT_MS = 1_000;

/**
 * A session-level advisory lock (the one-bigint form; the consumers' batch locks are the
 * two-int form, so they never meet) held on a connection of its own (`connect` opens it,
 * with `LEASE_SESSION`: one connection, nothing else on it, opened at the first check). It
 * goes with the session: when the holder's process dies, its connection drops, or it goes
 * silent past the session's idle timeout, Postgres releases it and another instance takes it
 * at its next check. Leadership is only about cost: each batch still takes its consumer's
 * transaction lock, so a former holder that has not noticed yet cannot run a consumer's batch
 * beside the new one.
 *
 * The session is the lease, so DATABASE_URL must reach Postgres directly: through a
 * transaction-mode pooler each statement may run on another server session, and PgBouncer
 * refuses (or drops) the session's startup parameters. The dispatcher then runs without it.
 */
export function advisoryLease(connect: () => Promise<Database>, key = DISPATCHER_LEASE_KEY): DispatcherLease {
  let current: Promise<Database> | null = null;
  const database = (): Promise<Database> => {
    if (!current) {
      const opening = connect();
      current = opening;
      opening.catch(() => {
        if (current === opening) current = null;
      });
    }
    return current;
  };
  const drop = (): Promise<void> => {
    const closing = current;
    current = null;
    return closing ? closing.then((opened) => opened.close()).catch(() => {}) : Promise.resolve();
  };
  return {
    async check() {
      const { db } = await database();
      // Held by this session already (asking again would stack the lock), or taken now. A
      // reconnected session (idle timeout, a dropped connection) holds nothing and tries again.
      const [row] = await queryRows<{ held: boolean; session: number; idle_timeout: string | null }>(
        db,
        sql`SELECT CASE
              WHEN EXISTS (SELECT 1 FROM pg_locks
                           WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                             AND classid = 0 AND objid::bigint = ${key}::bigint AND objsubid = 1)
              THEN true
              ELSE pg_try_advisory_lock(${key}::bigint)
            END AS held,
            pg_backend_pid() AS session,
            current_setting('idle_session_timeout', true) AS idle_timeout`,
      );
      return {
        held: row?.held === true,
        session: Number(row?.session ?? 0),
        expires: row?.idle_timeout != null && row.idle_timeout !== "0",
      };
    },
    async release() {
      // Not an unlock statement: ending the session frees the lock too, and closing waits for
      // no answer, which a half-open connection would never give.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        drop(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, RELEASE_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    },
    reset() {
      void drop();
    },
    close: drop,
  };
}

/** Below 2^31, so that pg_locks shows it as classid 0, objid the key. */
const DISPATCHER_LEASE_KEY = 730_412_977;
