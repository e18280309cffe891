/**
 * Reading one query's rows a batch at a time, for the export's large files.
 *
 * On PostgreSQL (postgres.js, reached through drizzle's documented `db.$client`)
 * this is one statement read through a cursor (`.cursor(n)`: a portal fetched n rows
 * per round trip) — one scan instead of a keyset query per page that re-enters the
 * index — with the next batch requested while the caller writes the current one.
 * Rows come raw: each value a Buffer slice of the socket read, never a JS string.
 *
 * That is for memory. In a long-running worker postgres.js's row objects and result
 * arrays end up in V8's old generation (pretenured or promoted), and what they point
 * to survives the young-generation GCs: read as strings, nearly all of the export's
 * JSON was promoted and stayed until the next full GC, which V8 schedules only after
 * the old generation has grown by ~80 MB (≈ +100 MB of worker RSS for the bench's 86
 * MB of JSON). Raw slices that the caller copies and then unlinks from the batch (see
 * `bytesPage` in ./export-sources.ts) are freed young: the worker grows by ≈ 35 MB.
 *
 * Other drivers (embedded PGlite) get `null` and the caller pages with keysets.
 * TODO(db): a `stream(query, batchSize)` primitive on packages/db's `Database` would
 * keep this driver detail there.
 */
import type { Db } from "@rapport/db";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";

/** The slice of a postgres.js `Sql` used here. */
interface CursorClient {
  unsafe(
    query: string,
    parameters: unknown[],
  ): {
    raw(): { cursor(rows: number): AsyncIterable<(Buffer | null)[][]> };
  };
}

const dialect = new PgDialect();

function cursorClient(db: Db): CursorClient | null {
  const client = (db as unknown as { $client?: { unsafe?: unknown; begin?: unknown } }).$client;
  return client && typeof client.unsafe === "function" && typeof client.begin === "function"
    ? (client as unknown as CursorClient)
    : null;
}

/**
 * `query`'s rows, raw (each value a Buffer, or null for SQL NULL), in batches of
 * `batchSize` in query order; null when the driver has no cursors. While the caller
 * works on one batch the next is already being read; stopping early (`return`/`throw`
 * into the iterator) closes the cursor. The batches are the caller's to mutate.
 */
export function cursorBatches(db: Db, query: SQL, batchSize: number): AsyncIterable<(Buffer | null)[][]> | null {
  const client = cursorClient(db);
  if (!client) return null;
  const { sql, params } = dialect.sqlToQuery(query);
  return (async function* () {
    const cursor = client.unsafe(sql, params).raw().cursor(batchSize)[Symbol.asyncIterator]();
    // postgres.js answers `next()` after the last batch with a plain `{ done: true }`, not a promise.
    const next = () => Promise.resolve(cursor.next());
    let pending: Promise<IteratorResult<(Buffer | null)[][]>> | null = next();
    try {
      while (pending !== null) {
        const batch: IteratorResult<(Buffer | null)[][]> = await pending;
        pending = null;
        if (batch.done) return;
        pending = next(); // asks for the next batch now: Postgres reads it while this one is written
        pending.catch(() => {}); // awaited in the loop or in `finally`
        yield batch.value;
      }
    } finally {
      // Stopped early: let the batch in flight arrive, then close the portal (a cursor left
      // suspended would hold its connection).
      if (pending) {
        const last = await pending.catch(() => null);
        if (last && !last.done) await cursor.return?.();
      }
    }
  })();
}
