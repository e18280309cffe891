import { Name, Param, SQL, StringChunk } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";

const dialect = new PgDialect();
/** What drizzle's PgDialect hands SQL.toQuery (its `sqlToQuery`), for the chunks handed back to it. */
const dialectConfig = {
  casing: (dialect as unknown as { casing: unknown }).casing,
  escapeName: dialect.escapeName,
  escapeParam: dialect.escapeParam,
  escapeString: dialect.escapeString,
  prepareTyping: dialect.prepareTyping,
};
type ToQueryConfig = Parameters<SQL["toQuery"]>[0];

/**
 * The statement text and parameters of `query`, exactly as PgDialect.sqlToQuery writes them,
 * for a hot read's SQL built from templates: text, parameters, nested templates, lists,
 * identifiers. drizzle tells a chunk's kind by walking its class's prototype chain against
 * each kind in turn (StringChunk, Name, SQL, Table, Column, View, …), builds an object and
 * an array for every chunk and merges them level by level; for a search's statements (a few
 * hundred chunks) that was more of a request's CPU than its parameters' round trip. Here a
 * chunk of one of those classes exactly is written in place, and any other chunk (columns,
 * tables, placeholders, inlined parameters, subclasses) is handed to drizzle itself, numbered
 * from where this statement's parameters are.
 */
export function sqlText(query: SQL): { sql: string; params: unknown[] } {
  if (inlinesParams(query)) return dialect.sqlToQuery(query);
  const out = { sql: "", params: [] as unknown[] };
  write(query.queryChunks, out);
  return out;
}

function write(chunks: readonly unknown[], out: { sql: string; params: unknown[] }): void {
  for (const chunk of chunks) {
    if (chunk === undefined) continue;
    if (chunk === null || typeof chunk !== "object") {
      if (typeof chunk === "function") writeByDrizzle(chunk, out);
      else param(chunk, out);
      continue;
    }
    const type = chunk.constructor;
    if (type === StringChunk) {
      const value = (chunk as StringChunk).value;
      out.sql += value.length === 1 ? value[0] : value.join("");
    } else if (type === Param) {
      const { value, encoder } = chunk as Param;
      if (value === null) {
        param(null, out);
        continue;
      }
      // A placeholder, or an encoder that writes SQL: drizzle's to write.
      if (value !== undefined && typeof value === "object" && !isPlainValue(value)) {
        writeByDrizzle(chunk, out);
        continue;
      }
      const mapped: unknown = encoder.mapToDriverValue(value);
      if (mapped !== null && typeof mapped === "object" && !isPlainValue(mapped)) writeByDrizzle(chunk, out);
      else param(mapped, out);
    } else if (type === SQL) {
      if (inlinesParams(chunk as SQL)) writeByDrizzle(chunk, out);
      else write((chunk as SQL).queryChunks, out);
    } else if (type === Name) {
      out.sql += dialect.escapeName((chunk as Name).value);
    } else if (Array.isArray(chunk)) {
      out.sql += "(";
      for (let i = 0; i < chunk.length; i++) {
        if (i > 0) out.sql += ", ";
        write([chunk[i]], out);
      }
      out.sql += ")";
    } else if (isPlainValue(chunk)) {
      param(chunk, out);
    } else {
      writeByDrizzle(chunk, out);
    }
  }
}

/** `.inlineParams()` was called on it: its values are written into the text, by drizzle. */
function inlinesParams(query: SQL): boolean {
  return (query as unknown as { shouldInlineParams: boolean }).shouldInlineParams;
}

function param(value: unknown, out: { sql: string; params: unknown[] }): void {
  out.sql += dialect.escapeParam(out.params.length);
  out.params.push(value);
}

/** A value drizzle passes on as a parameter as it is: no drizzle class, not SQL-like (Dates, Buffers, plain objects). */
function isPlainValue(value: object): boolean {
  // drizzle writes anything with getSQL as SQL, an object literal included: asked before its class.
  if (typeof (value as { getSQL?: unknown }).getSQL === "function") return false;
  const type = (value as { constructor?: unknown }).constructor;
  if (type === Date || type === Object || type === Buffer || type === Uint8Array) return true;
  return typeof type !== "function" || !(ENTITY_KIND in type);
}
const ENTITY_KIND = Symbol.for("drizzle:entityKind");

/** One chunk written by drizzle, its parameters numbered after the ones before it. */
function writeByDrizzle(chunk: unknown, out: { sql: string; params: unknown[] }): void {
  const written = new SQL([chunk as SQL]).toQuery({
    ...dialectConfig,
    paramStartIndex: { value: out.params.length },
  } as ToQueryConfig);
  out.sql += written.sql;
  for (const value of written.params) out.params.push(value);
}
