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
        INSERT INTO contacts (id, workspace_id, name, tags, updated_at) VALUES
          ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', 'Split',
           ARRAY['vip, lead', 'lead', 'partner;x', 'zeta', E'Tab,\tGap', E'nbsp;\u00a0Wide'], '2020-01-01T00:00:00Z'),
          ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-000000000001', 'Kept', '{b,a}',
           '2020-01-01T00:00:00Z'),
          ('00000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-000000000001', 'Many',
           (SELECT array_agg('t' || lpad(g::text, 3, '0') || ',u' || lpad(g::text, 3, '0')) FROM generate_series(1, 40) g),
           '2020-01-01T00:00:00Z');
        INSERT INTO contact_merges (workspace_id, survivor_id, merged_contact_id, merged_at, undo_until,
                                    merged_contact, survivor_before, survivor_after, moved) VALUES
          ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a2',
           '00000000-0000-4000-8000-0000000000b1', now(), now() + interval '30 days',
           '{"name":"Gone","tags":["old; one"]}', '{"name":"Kept","tags":["b"]}', '{"name":"Kept","tags":["a","b"]}', '{}');
        INSERT INTO saved_views (workspace_id, name, filters, sort, columns) VALUES
          ('00000000-0000-4000-8000-000000000001', 'One', '{"tag":"vip, lead","company":"Acme"}', 'name', '["name"]'),
          ('00000000-0000-4000-8000-000000000001', 'Leading', '{"tag":", VIP"}', 'name', '["name"]'),
          ('00000000-0000-4000-8000-000000000001', 'Other', '{"tag":"solo"}', 'name', '["name"]');`);
    });
    expect((await migrate(database)).applied).toContain(all.find((m) => m.version === 28)!.name);
    const contacts = await query<{ name: string; tags: string[]; touched: boolean }>(
      `SELECT name, tags, updated_at > '2021-01-01' AS touched FROM contacts ORDER BY name`,
    );
    expect(contacts.map(({ name, touched }) => [name, touched])).toEqual([
      ["Kept", false],
      ["Many", true],
      ["Split", true],
    ]);
    expect(contacts[0]!.tags).toEqual(["b", "a"]);
    // 80 pieces, the first 50 in order: more would fail the schema on the contact's next save.
    expect(contacts[1]!.tags).toHaveLength(50);
    expect(contacts[1]!.tags.slice(0, 2)).toEqual(["t001", "t002"]);
    // Trimmed as the form and imports trim (tabs, no-break spaces), lower-cased, distinct, sorted.
    expect(contacts[2]!.tags).toEqual(["gap", "lead", "nbsp", "partner", "tab", "vip", "wide", "x", "zeta"]);
    // A merge's undo puts back split tags, not the old ones.
    expect(
      await query(`SELECT merged_contact->'tags' AS merged, survivor_before->'tags' AS before FROM contact_merges`),
    ).toEqual([{ merged: ["old", "one"], before: ["b"] }]);
    expect(await query(`SELECT name, filters FROM saved_views ORDER BY name`)).toEqual([
      { name: "Leading", filters: { tag: "vip" } },
      { name: "One", filters: { tag: "vip", company: "Acme" } },
      { name: "Other", filters: { tag: "solo" } },
    ]);
  });
});
