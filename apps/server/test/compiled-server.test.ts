/**
 * The production image's steps, run here without Docker: the compiled server
 * (apps/server/dist, built by `pnpm test` before Vitest starts) installed with production
 * dependencies only (`pnpm deploy:server`, as the Dockerfile does) into a directory
 * outside the repository, then started with plain `node dist/main.js` against an empty
 * database and Redis.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { findRepoRoot } from "@rapport/api";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_URL } from "./support/global-setup";
import { deleteRedisPrefix, TEST_REDIS_URL } from "./support/app";
import { serverUrl, waitFor, type ServerProcess } from "./support/server-process";

const ROOT = findRepoRoot();
const SERVER_DIR = join(ROOT, "apps/server");
const WEB_DIST = join(ROOT, "apps/web/dist");

describe("the compiled server, installed as the image installs it", () => {
  const workDir = mkdtempSync(join(tmpdir(), "rapport-compiled-"));
  const appDir = join(workDir, "app");
  const databaseName = `rapport_test_compiled_${randomBytes(4).toString("hex")}`;
  const redisPrefix = `rapport-test-${randomBytes(4).toString("hex")}:`;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    for (const [file, build] of [
      [join(SERVER_DIR, "dist/main.js"), "pnpm --filter @rapport/server build"],
      [join(WEB_DIST, "index.html"), "pnpm --filter @rapport/web build"],
    ] as const) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`${build}\` first (\`pnpm test\` does)`);
    }
    await promisify(execFile)("pnpm", ["deploy:server", appDir], { cwd: ROOT });
    cpSync(WEB_DIST, join(appDir, "web"), { recursive: true });
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${databaseName}`);
    await admin.end();
  }, 60_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.end();
    await deleteRedisPrefix(redisPrefix);
    rmSync(workDir, { recursive: true, force: true });
  });

  it("installs production dependencies only, with the workspace's postgres.js", () => {
    const installed = readdirSync(join(appDir, "node_modules/.pnpm"));
    for (const devOnly of ["tsx@", "typescript@", "esbuild@", "vite@", "vitest@", "@rapport+"]) {
      expect(
        installed.filter((name) => name.startsWith(devOnly)),
        devOnly,
      ).toEqual([]);
    }
    // The deployed copy is the version the tests ran against, byte for byte (the database
    // fault tests prove its behaviour when connections die; it carries no patch).
    const deployed = realpathSync(join(appDir, "node_modules/postgres"));
    const workspace = realpathSync(join(SERVER_DIR, "node_modules/postgres"));
    for (const file of ["package.json", "src/connection.js", "src/pool.js"])
      expect(readFileSync(join(deployed, file), "utf8"), file).toBe(readFileSync(join(workspace, file), "utf8"));
  });

  it("`node dist/main.js` migrates an empty database, serves health, readiness and the SPA, drains on SIGTERM; `node dist/cli.js` finds the same migrations", async () => {
    const url = new URL(ADMIN_URL);
    url.pathname = `/${databaseName}`;
    // Only what the image sets: no tsx loader, no repository .env, no test settings.
    const env = {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      ROLE: "api",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      DATA_DIR: join(workDir, "data"),
      WEB_DIST_DIR: join(appDir, "web"),
      DATABASE_URL: url.toString(),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET: randomBytes(32).toString("hex"),
      GDPR_SUPPRESSION_KEY: randomBytes(32).toString("hex"),
    };
    const child = spawn(process.execPath, ["dist/main.js"], { cwd: appDir, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    server = { child, exited, output: () => output };
    const base = await serverUrl(server, 30_000);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe("ok");
    const spa = await fetch(`${base}/`);
    expect(spa.status).toBe(200);
    expect(await spa.text()).toBe(readFileSync(join(WEB_DIST, "index.html"), "utf8"));

    // Every SQL file of packages/db was found next to the compiled code and applied.
    const migrations = readdirSync(join(ROOT, "packages/db/src/migrations")).filter((file) => file.endsWith(".sql"));
    const database = postgres(url.toString(), { max: 1, onnotice: () => {} });
    const applied = await database<{ name: string }[]>`SELECT name FROM schema_migrations ORDER BY version`;
    await database.end();
    expect(applied.map((row) => `${row.name}.sql`)).toEqual(migrations.sort());

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    await waitFor(() => /"msg":"stopped"/.test(output), 5_000);

    // The compiled CLI, as `docker compose run --rm api node dist/cli.js migrate` runs it.
    const cli = await promisify(execFile)(process.execPath, ["dist/cli.js", "migrate"], { cwd: appDir, env });
    expect(cli.stdout).toContain(`Migrations: 0 applied, ${migrations.length} already applied`);
  }, 60_000);
});
