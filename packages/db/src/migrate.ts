import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "./client";

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "migrations");
// Arbitrary constant shared by every instance: pg_advisory_xact_lock(key)
// makes concurrent starters wait for whoever migrates first.
const MIGRATION_LOCK_KEY = 727_274_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), "utf8");
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ""),
        sql,
        checksum: createHash("sha256").update(sql).digest("hex"),
      };
    });
  // Two branches can each add the next number; the version is the key of schema_migrations.
  const twice = migrations.find((m, i) => i > 0 && migrations[i - 1]!.version === m.version);
  if (twice) throw new Error(`Two migrations have version ${twice.version}; renumber the newer one (${twice.name})`);
  return migrations;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so two
 * instances starting together neither race nor apply anything twice. A changed
 * file whose version already ran is refused: migrations are immutable once shipped.
 */
export async function migrate(database: Database, migrations = loadMigrations()): Promise<MigrationResult> {
  const applied: string[] = [];
  let alreadyApplied = 0;
  await database.runRawTransaction(async (tx) => {
    await tx.exec(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );`);
    const rows = await tx.query<{ version: number; name: string; checksum: string }>(
      "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
    );
    const done = new Map(rows.map((row) => [Number(row.version), row]));
    for (const migration of migrations) {
      const previous = done.get(migration.version);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new Error(`Migration ${migration.name} was changed after it was applied (checksum mismatch).`);
        }
        alreadyApplied++;
        continue;
      }
      await tx.exec(migration.sql);
      await tx.exec(
        `INSERT INTO schema_migrations (version, name, checksum) VALUES (${migration.version}, '${migration.name}', '${migration.checksum}')`,
      );
      applied.push(migration.name);
    }
  });
  return { applied, alreadyApplied };
}
