import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, migrate } from "@rapport/db";
import postgres from "postgres";

export const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * Builds one migrated template database; each test file clones it (CREATE DATABASE … TEMPLATE).
 * Likewise one migrated PGlite data directory, which each embedded test app copies.
 */
export default async function setup({ provide }: { provide: (key: string, value: unknown) => void }) {
  const template = `rapport_tpl_${randomBytes(4).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${template}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${template}`;
  const database = await createDatabase({ url: url.toString(), poolSize: 1 });
  await migrate(database);
  await database.close();
  await admin.end();
  provide("templateDatabase", template);
  const pgliteTemplateDir = mkdtempSync(join(tmpdir(), "rapport-pglite-template-"));
  const embedded = await createDatabase({ pgliteDir: pgliteTemplateDir });
  await migrate(embedded);
  await embedded.close();
  provide("pgliteTemplateDir", pgliteTemplateDir);
  return async () => {
    rmSync(pgliteTemplateDir, { recursive: true, force: true });
    const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    await cleanup.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await cleanup.end();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
    pgliteTemplateDir: string;
  }
}
