/**
 * The export's files and the machinery they are read with. Each module defines
 * the files for the tables it owns next to its own code (modules/<module>/privacy.ts,
 * registered in the privacy registry, ./registry.ts); the export engine
 * (./service.ts) gets its file list only from the registry. Each file is read a
 * batch of rows at a time, in the order of a unique, indexed column, so the ZIP is
 * written a page at a time and memory stays bounded however large the workspace.
 *
 * The large files (contacts, interactions, activity, audit) are read as JSON
 * text (`jsonPages`): Postgres writes each record with `row_to_json` over the
 * given columns, under the same keys and in the same order as a drizzle select of
 * them, timestamps formatted as `Date#toJSON` writes them — except jsonb values
 * (event payloads, audit metadata), which come in Postgres's canonical form
 * (`{"a": 1}`, same JSON). Node copies the bytes into the ZIP stream instead of
 * building a row object with two `Date`s per record and serializing it again,
 * which was most of the export's CPU. On PostgreSQL each file is one query read
 * through a cursor (./stream.ts); elsewhere (PGlite) keyset pages. The small or
 * nested files (profile, preferences, a contact's interactions with their
 * participants) are drizzle rows serialized with `toJson` (pages from `keyset`).
 */
import { queryRows, type Db } from "@rapport/db";
import { and, count, gt, sql, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { cursorBatches } from "./stream";

/** The sections a user can choose, in the order of their files in the ZIP and in README.txt. */
export const EXPORT_SECTIONS = ["profile", "contacts", "interactions", "preferences", "activity", "audit"] as const;
export type ExportSectionName = (typeof EXPORT_SECTIONS)[number];

interface ExportFileInfo {
  section: ExportSectionName;
  file: string;
  /** For README.txt. */
  holds: string;
  purpose: string;
  categories: string;
  recipients: string;
  retention: string;
  source: string;
  count(db: Db): Promise<number>;
}

/** One JSON file of the ZIP: one object (`single`, written indented), or an array of records. */
export type ExportFile =
  | (ExportFileInfo & { single: true; read(db: Db): Promise<unknown> })
  | (ExportFileInfo & {
      single?: false;
      /** The records as JSON, a page at a time, in a stable order. */
      pages(db: Db, pageSize: number): AsyncIterable<JsonPage>;
    });

export const PAGE_SIZE = 2_000;

/** Keyset pagination over `key` (unique) with a fixed filter. */
export async function* keyset<T extends Record<string, unknown>>(
  fetch: (after: SQL | undefined, limit: number) => Promise<T[]>,
  key: PgColumn,
  keyOf: (row: T) => unknown,
  pageSize: number,
): AsyncIterable<T[]> {
  let last: unknown;
  for (;;) {
    const rows = await fetch(last === undefined ? undefined : gt(key, last), pageSize);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < pageSize) return;
    last = keyOf(rows[rows.length - 1]!);
  }
}

/** A page of an array file: `rows` records as UTF-8 JSON, joined by ",\n" (one record per line). */
export interface JsonPage {
  rows: number;
  json: Buffer;
}

/** Drizzle rows serialized as one page. */
export const toJson = (rows: readonly unknown[]): JsonPage => jsonPage(rows.map((row) => JSON.stringify(row)));

/** `Date#toJSON`'s format (UTC, milliseconds, "Z"); both truncate sub-millisecond digits. */
const ISO_MILLIS = sql.raw(`'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`);

/**
 * A column under `name` as the JSON value a drizzle select of it would serialize to:
 * timestamps as `Date#toJSON` text, everything else as `row_to_json` writes it
 * (uuid/text as strings, text[] as arrays, bigint ids as numbers, jsonb embedded).
 */
function jsonField(name: string, column: PgColumn): SQL {
  const type = column.getSQLType();
  const value = !type.startsWith("timestamp")
    ? sql`${column}`
    : type.includes("with time zone")
      ? sql`to_char(${column} AT TIME ZONE 'UTC', ${ISO_MILLIS})`
      : sql`to_char(${column}, ${ISO_MILLIS})`;
  return sql`${value} AS ${sql.identifier(name)}`;
}

/** `texts` (one JSON record each) as one page: UTF-8, one record per line. */
function jsonPage(texts: readonly string[]): JsonPage {
  let bytes = Math.max(0, texts.length - 1) * 2;
  for (const text of texts) bytes += Buffer.byteLength(text);
  const json = Buffer.allocUnsafe(bytes);
  let at = 0;
  texts.forEach((text, i) => {
    if (i > 0) at += json.write(",\n", at, "latin1");
    at += json.write(text, at);
  });
  return { rows: texts.length, json };
}

/**
 * A cursor batch (raw rows whose first column is a record's UTF-8 JSON) as one page,
 * one record per line. Each row's reference to its buffer is dropped once copied: the
 * row arrays may sit in V8's old generation, and from there they would keep the
 * buffers — slices of the socket reads — alive until the next full GC (see ./stream.ts).
 */
function bytesPage(batch: (Buffer | null)[][]): JsonPage {
  const rows = batch.length;
  let bytes = Math.max(0, rows - 1) * 2;
  for (const row of batch) bytes += row[0]?.length ?? 4;
  const json = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (let i = 0; i < rows; i++) {
    const row = batch[i]!;
    if (i > 0) at += json.write(",\n", at, "latin1");
    at += row[0] ? row[0].copy(json, at) : json.write("null", at, "latin1");
    row[0] = null;
  }
  batch.length = 0;
  return { rows, json };
}

/**
 * `table`'s rows in `scope`, ordered by `columns.id` (unique and indexed), as JSON
 * pages of up to `pageSize` records. `keyFromText` turns the text of an id back into
 * a value for the next keyset page (`Number` for bigint ids).
 */
async function* jsonPages(
  db: Db,
  table: PgTable,
  columns: Record<string, PgColumn> & { id: PgColumn },
  scope: SQL,
  pageSize: number,
  keyFromText: (key: string) => unknown = (key) => key,
): AsyncIterable<JsonPage> {
  const fields = sql.join(
    Object.entries(columns).map(([name, column]) => jsonField(name, column)),
    sql`, `,
  );
  const ordered = (where: SQL) => sql`SELECT ${fields} FROM ${table} WHERE ${where} ORDER BY ${columns.id}`;

  const batches = cursorBatches(
    db,
    sql`SELECT row_to_json(r)::text AS json FROM (${ordered(scope)}) r ORDER BY r.id`,
    pageSize,
  );
  if (batches) {
    for await (const batch of batches) yield bytesPage(batch);
    return;
  }
  let after: unknown;
  for (;;) {
    const where = after === undefined ? scope : and(scope, gt(columns.id, after))!;
    const rows = await queryRows<{ json: string; key: string }>(
      db,
      sql`SELECT row_to_json(r)::text AS json, r.id::text AS key FROM (${ordered(where)} LIMIT ${pageSize}) r ORDER BY r.id`,
    );
    if (rows.length > 0) yield jsonPage(rows.map((row) => row.json));
    if (rows.length < pageSize) return;
    after = keyFromText(rows[rows.length - 1]!.key);
  }
}

/** `keyFromText` of `jsonPages` for bigint ids. */
export const numericKey = (key: string) => Number(key);

/** The `n` of a `count()` select, for an `ExportFile`'s `count`. */
export const countOf = async (query: Promise<{ n: number }[]>) => Number((await query)[0]?.n ?? 0);

/** `count` and `pages` of an array file holding `table`'s rows in `scope`, read by `jsonPages`. */
export function tableRecords(
  table: PgTable,
  columns: Record<string, PgColumn> & { id: PgColumn },
  scope: SQL,
  keyFromText?: (key: string) => unknown,
): Pick<ExportFile & { single?: false }, "count" | "pages"> {
  return {
    count: (db) => countOf(db.select({ n: count() }).from(table).where(scope)),
    pages: (db, size) => jsonPages(db, table, columns, scope, size, keyFromText),
  };
}
