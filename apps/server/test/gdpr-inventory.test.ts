import { createPrivacyRegistry } from "@rapport/api";
import { erasableColumns, INVENTORY, staleInventoryEntries, unclassifiedColumns } from "@rapport/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app";

/**
 * GDPR: the personal-data inventory cannot go stale. Every column of
 * every table of the migrated database is classified, and every personal column
 * is erased by some registered privacy handler.
 */
describe("personal-data inventory", () => {
  let app: TestApp;
  const columnsOf = async () =>
    (
      await app.sql<{ table: string; column: string }[]>`
        SELECT table_name AS table, column_name AS column FROM information_schema.columns
        WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`
    ).map((r) => ({ table: r.table, column: r.column }));

  beforeAll(async () => {
    app = await createTestApp({ redis: false });
  });
  afterAll(() => app.close());

  it("classifies every column of every table in the migrated database", async () => {
    const columns = await columnsOf();
    expect(columns.length).toBeGreaterThan(50);
    expect(unclassifiedColumns(columns)).toEqual([]);
    expect(staleInventoryEntries(columns)).toEqual([]);
  });

  it("fails when a table gains a column the inventory doesn't classify", async () => {
    await app.sql`CREATE TABLE gdpr_inventory_probe (id uuid PRIMARY KEY, favourite_colour text)`;
    await app.sql`ALTER TABLE contacts ADD COLUMN nickname text`;
    try {
      expect(unclassifiedColumns(await columnsOf()).sort()).toEqual([
        "contacts.nickname",
        "gdpr_inventory_probe.favourite_colour",
        "gdpr_inventory_probe.id",
      ]);
    } finally {
      await app.sql`DROP TABLE gdpr_inventory_probe`;
      await app.sql`ALTER TABLE contacts DROP COLUMN nickname`;
    }
    expect(unclassifiedColumns(await columnsOf())).toEqual([]);
  });

  it("every personal column is handled by a registered eraser, and erasers name only real personal columns", () => {
    const registry = createPrivacyRegistry();
    const erased = registry.erasedColumns();
    expect(erasableColumns().filter((c) => !erased.has(c))).toEqual([]);
    for (const column of erased) {
      const [table, name] = column.split(".") as [string, string];
      expect(INVENTORY[table]?.columns[name]?.kind, column).toBe("personal");
    }
  });

  it("every personal column has a category, purpose and retention", () => {
    for (const [table, t] of Object.entries(INVENTORY)) {
      for (const [column, c] of Object.entries(t.columns)) {
        if (c.kind === "personal")
          expect([c.category, c.purpose, c.retention].every(Boolean), `${table}.${column}`).toBe(true);
        // A column kept through erasure says why (Art. 17(3)).
        if (c.kind === "personal" && c.retainedOnErasure !== undefined)
          expect(c.retainedOnErasure).toMatch(/Art\. 17\(3\)/);
      }
    }
  });
});

describe("records of processing (Art. 30)", () => {
  it("docs/records-of-processing.md is generated from the inventory and up to date (pnpm gdpr:records)", async () => {
    const { readFileSync } = await import("node:fs");
    const { findRepoRoot } = await import("@rapport/api");
    const { renderRecordsOfProcessing } = await import("@rapport/db");
    const committed = readFileSync(`${findRepoRoot()}/docs/records-of-processing.md`, "utf8");
    expect(committed).toBe(renderRecordsOfProcessing());
    expect(committed).toMatch(/7 years/);
  });
});
