import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { alias, PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { contacts, interactions } from "../src/schema/index";
import { sqlText } from "../src/sql-text";

const drizzle = new PgDialect();
const workspaceId = "2f0c6c3e-8d4b-4c51-9d55-3b0f0a1d2e4f";
const other = alias(contacts, "c2");

/** Statements of the shapes hot reads build: each must come out as drizzle writes it, text and parameters. */
const shapes: Record<string, () => SQL> = {
  "text only": () => sql`SELECT 1`,
  empty: () => sql``,
  "parameters of every kind": () =>
    sql`SELECT ${1}, ${"a'b"}, ${true}, ${null}, ${undefined}, ${12n}, ${new Date(0)}, ${{ a: 1 }}, ${Buffer.from("x")}`,
  "nested templates, numbered in order": () => {
    const inner = sql`lower(${"Ana"})`;
    return sql`SELECT ${"a"} WHERE ${inner} = ${sql`upper(${"b"}) || ${inner}`} LIMIT ${10}`;
  },
  "a JS array: a parenthesized list": () => sql`SELECT * FROM t WHERE id IN ${["a", "b", sql`c${1}`]}`,
  "an array parameter": () => sql`SELECT * FROM t WHERE id = ANY(${sql.param(["a", "b"])})`,
  "join, raw, identifier, empty": () =>
    sql`SELECT ${sql.join([sql.raw("a"), sql.identifier('we"ird'), sql`${2}`], sql`, `)} ${sql.empty()} FROM ${sql.identifier("t")}`,
  "columns and tables": () =>
    sql`SELECT ${contacts.id}, ${other.name} FROM ${contacts} JOIN ${other} ON ${other.id} = ${contacts.id} WHERE ${eq(contacts.workspaceId, workspaceId)}`,
  "drizzle operators (column-encoded parameters)": () =>
    sql`SELECT 1 WHERE ${and(eq(interactions.workspaceId, workspaceId), inArray(interactions.id, [workspaceId, workspaceId]))}`,
  "inlined parameters inside": () => sql`SELECT ${sql`${"x'y"}, ${3}`.inlineParams()}, ${"after"}`,
  "inlined parameters at the top": () => sql`SELECT ${"x"}, ${4}`.inlineParams(),
  placeholders: () => sql`SELECT ${sql.placeholder("p")}, ${"v"}, ${sql.param(sql.placeholder("q"))}`,
  "aliased and subqueries": () => {
    const sub = sql`SELECT ${1}`.as("one");
    return sql`SELECT ${sub}, ${"v"}`;
  },
  "an object literal with getSQL (SQL-like, not a parameter)": () =>
    sql`SELECT ${{ getSQL: () => sql`lower(${"Ana"})` }}, ${"after"}`,
  "a string chunk of several parts": () => sql.fromList([sql.raw("a"), sql`b${1}c`, sql.raw("d")]),
};

describe("sqlText", () => {
  for (const [name, build] of Object.entries(shapes)) {
    it(`writes ${name} as drizzle does`, () => {
      const expected = drizzle.sqlToQuery(build());
      expect(sqlText(build())).toEqual({ sql: expected.sql, params: expected.params });
    });
  }
});
