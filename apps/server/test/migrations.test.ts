import { createDatabase, loadMigrations, migrate, schema } from "@rapport/db";
import { is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

describe("migrations", () => {
  const name = `rapport_mig_${Math.random().toString(36).slice(2, 10)}`;
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });

  beforeAll(async () => {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  });
  afterAll(async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it("two instances migrating at once apply each migration exactly once", async () => {
    const [a, b] = await Promise.all([createDatabase({ url, poolSize: 1 }), createDatabase({ url, poolSize: 1 })]);
    const results = await Promise.all([migrate(a), migrate(b)]);
    const total = loadMigrations().length;
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, total]);
    expect(await migrate(a)).toEqual({ applied: [], alreadyApplied: total });
    await Promise.all([a.close(), b.close()]);
  });

  it("refuses to run when an applied migration file was edited", async () => {
    const migrations = loadMigrations();
    const edited = migrations.map((m, i) => (i === 0 ? { ...m, checksum: "0".repeat(64) } : m));
    const db = await createDatabase({ url, poolSize: 1 });
    await expect(migrate(db, edited)).rejects.toThrow(/changed after it was applied/);
    await db.close();
  });

  it("refuses two migration files with the same version (two branches each took the next number)", () => {
    const dir = mkdtempSync(join(tmpdir(), "rapport-migrations-"));
    writeFileSync(join(dir, "0001_a.sql"), "SELECT 1;");
    writeFileSync(join(dir, "0001_b.sql"), "SELECT 2;");
    expect(() => loadMigrations(dir)).toThrow(/Two migrations have version 1/);
    expect(new Set(loadMigrations().map((m) => m.version)).size).toBe(loadMigrations().length);
  });

  it("the drizzle schema matches the migrated database column for column", async () => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const rows = await sql<{ table_name: string; column_name: string; is_nullable: string }[]>`
      SELECT table_name, column_name, is_nullable FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`;
    await sql.end();
    const inDb = rows
      .map((r) => `${r.table_name}.${r.column_name}:${r.is_nullable === "NO" ? "not null" : "null"}`)
      .sort();
    const tables = Object.values(schema).filter((v) => is(v, PgTable)) as unknown as PgTable[];
    const inCode = tables
      .flatMap((table) => {
        const config = getTableConfig(table);
        return config.columns.map((c) => `${config.name}.${c.name}:${c.notNull ? "not null" : "null"}`);
      })
      .sort();
    expect(inCode).toEqual(inDb);
  });
});
