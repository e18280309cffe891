import { sql } from "drizzle-orm";
import type { TestApp } from "./app";

/** PGlite takes instants as ISO strings, not Date objects; Postgres takes either. */
const param = (value: unknown) => (value instanceof Date ? value.toISOString() : (value ?? null));

/**
 * Inserts plain rows (keys are the table's column names) through the app's own database, so a
 * test that seeds data in bulk runs on either driver (`TestApp.sql` is Postgres only).
 */
export async function insertRows(app: TestApp, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const columns = Object.keys(chunk[0]!);
    const values = chunk.map(
      (row) =>
        sql`(${sql.join(
          columns.map((column) => sql`${param(row[column])}`),
          sql`, `,
        )})`,
    );
    const statement = sql`INSERT INTO ${sql.identifier(table)} (${sql.join(
      columns.map((column) => sql.identifier(column)),
      sql`, `,
    )}) VALUES ${sql.join(values, sql`, `)}`;
    await app.query`${statement}`;
  }
}
