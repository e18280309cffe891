/**
 * Migration 0028 on Postgres and PGlite: tags written before "," and ";" were refused inside
 * a tag are split as a re-import of their export would split them, and a saved view
 * filtering on one keeps its first tag, so no stored tag fails the schema that reads it.
 */
import { createDatabase, loadMigrations, migrate, type Database } from "@rapport/db";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const drivers = ["postgres", "pglite"] as const;

describe.each(drivers)("tag separators migration on %s", (driver) => {
  const name = `rapport_tags_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  let database: Database | undefined;

  afterAll(async () => {
    await database?.close();
    if (driver === "postgres") await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  const query = async <T>(text: string) => {
    let rows: T[] = [];
    await database!.runRawTransaction(async (tx) => {
      rows = await tx.query<T>(text);
    });
    return rows;
  };

  it("splits stored tags holding a separator and the saved views filtering on them", async () => {
    if (driver === "postgres") await admin.unsafe(`CREATE DATABASE ${name}`);
    database = await createDatabase(
      driver === "postgres" ? { url: ADMIN_URL.replace(/\/[^/]*$/, `/${name}`), poolSize: 1 } : {},
    );
    const all = loadMigrations();
    await migrate(
      database,
      all.filter((m) => m.version < 28),
    );
    await database.runRawTransaction(async (tx) => {
      await tx.exec(`
        INSERT INTO workspaces (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'W');
        INSERT INTO contacts (workspace_id, name, tags) VALUES
          ('00000000-0000-4000-8000-000000000001', 'Split', '{"vip, lead","lead","partner;x",zeta}'),
          ('00000000-0000-4000-8000-000000000001', 'Kept', '{b,a}');
        INSERT INTO saved_views (workspace_id, name, filters, sort, columns) VALUES
          ('00000000-0000-4000-8000-000000000001', 'One', '{"tag":"vip, lead","company":"Acme"}', 'name', '["name"]'),
          ('00000000-0000-4000-8000-000000000001', 'Other', '{"tag":"solo"}', 'name', '["name"]');`);
    });
    expect((await migrate(database)).applied).toContain(all.find((m) => m.version === 28)!.name);
    expect(await query(`SELECT name, tags FROM contacts ORDER BY name`)).toEqual([
      { name: "Kept", tags: ["b", "a"] },
      { name: "Split", tags: ["lead", "partner", "vip", "x", "zeta"] },
    ]);
    expect(await query(`SELECT name, filters FROM saved_views ORDER BY name`)).toEqual([
      { name: "One", filters: { tag: "vip", company: "Acme" } },
      { name: "Other", filters: { tag: "solo" } },
    ]);
  });
});
