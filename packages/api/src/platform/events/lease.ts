import { queryRows, type Database } from "@rapport/db";
import { sql } from "drizzle-orm";

/**
 * Which instance runs the event consumers' batches: the one that holds the lease. The others
 * neither poll nor try the consumers' locks, which on a busy outbox cost every instance a
 * transaction per consumer and commit, most of them lost races.
 */
export interface DispatcherLease {
  /** Keeps or takes the lease: whether this instance holds it now. */
  check(): Promise<boolean>;
  /** Gives it up (shutdown): another instance takes it at its next check. */
  release(): Promise<void>;
}

/**
 * A session-level advisory lock (the one-bigint form; the consumers' batch locks are the
 * two-int form, so they never meet) held on a connection of its own (`database`: one
 * connection, nothing else on it). It goes with the session: when the holder's process
 * dies or its connection drops, Postgres releases it and another instance takes it at its
 * next check. Leadership is only about cost: each batch still takes its consumer's
 * transaction lock, so a former leader that has not noticed yet cannot run a consumer's
 * batch beside the new one.
 */
export function advisoryLease(database: Database, key = DISPATCHER_LEASE_KEY): DispatcherLease {
  return {
    async check() {
      // Held by this session already (asking again would stack the lock), or taken now. A
      // reconnected session (idle timeout, a dropped connection) holds nothing and tries again.
      const [row] = await queryRows<{ held: boolean }>(
        database.db,
        sql`SELECT CASE
              WHEN EXISTS (SELECT 1 FROM pg_locks
                           WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                             AND classid = 0 AND objid::bigint = ${key}::bigint AND objsubid = 1)
              THEN true
              ELSE pg_try_advisory_lock(${key}::bigint)
            END AS held`,
      );
      return row?.held === true;
    },
    async release() {
      await database.db.execute(sql`SELECT pg_advisory_unlock_all()`);
    },
  };
}

/** Below 2^31, so that pg_locks shows it as classid 0, objid the key. */
const DISPATCHER_LEASE_KEY = 730_412_977;
