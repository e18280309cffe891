/**
 * The server commands the README tells a user to type, run as written (through
 * pnpm, which passes the `--` on), against a test database: each must start.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRepoRoot } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, deleteRedisPrefix, TEST_REDIS_URL } from "./support/app";

const ROOT = findRepoRoot();

/** Shell commands inside the README's ```sh blocks that start with `prefix` (trailing comments removed). */
function readmeCommands(prefix: string): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
  return blocks
    .flatMap((block) => block.split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line.startsWith(prefix));
}

function run(command: string, env: Record<string, string>) {
  // Its own process group, so the test can stop pnpm and the server under it together.
  const child = spawn("sh", ["-c", command], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    exited,
    output: () => output,
    stop: async () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        return; // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {}
      }, 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitForOutput(process: ReturnType<typeof run>, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void process.exited.then((code) => (exitCode = code));
  while (!pattern.test(process.output())) {
    if (exitCode !== undefined) throw new Error(`exited with ${exitCode} before ${pattern}:\n${process.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${process.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("README: running against your own services", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const redisPrefix = `rapport-test-${randomBytes(4).toString("hex")}:`;
  let env: Record<string, string>;
  // Export files of the started servers go here, not into the repository's .data/.
  const dataDir = mkdtempSync(join(tmpdir(), "rapport-readme-"));

  beforeAll(async () => {
    // `pnpm build` (documented before the start commands) compiles the server the start
    // commands run; `pnpm test` builds it before Vitest starts.
    if (!existsSync(join(ROOT, "apps/server/dist/main.js"))) {
      throw new Error(
        "apps/server/dist/main.js is missing: run `pnpm --filter @rapport/server build` first (`pnpm test` does)",
      );
    }
    database = await createTestDatabase();
    env = {
      DATA_DIR: dataDir,
      NODE_ENV: "production",
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET: randomBytes(32).toString("hex"),
      GDPR_SUPPRESSION_KEY: randomBytes(32).toString("hex"),
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
    };
  });
  afterAll(async () => {
    await database?.drop();
    await deleteRedisPrefix(redisPrefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("documents the build, the migration and both roles", () => {
    expect(readmeCommands("pnpm build")).toHaveLength(1);
    expect(readmeCommands("pnpm db:migrate")).toHaveLength(1);
    expect(
      readmeCommands("pnpm --filter @rapport/server start").map((command) => /--role (\w+)/.exec(command)?.[1]),
    ).toEqual(["api", "worker"]);
  });

  it("`pnpm db:migrate` applies the migrations", async () => {
    const migrate = run(readmeCommands("pnpm db:migrate")[0]!, env);
    expect(await migrate.exited, migrate.output()).toBe(0);
    expect(migrate.output()).toMatch(/Migrations: \d+ applied, \d+ already applied/);
  }, 120_000);

  it.each(["api", "worker"])(
    "`pnpm --filter @rapport/server start -- --role %s` starts that role",
    async (role) => {
      const command = readmeCommands("pnpm --filter @rapport/server start").find((line) =>
        line.includes(`--role ${role}`),
      )!;
      const server = run(command, env);
      try {
        await waitForOutput(server, /"msg":"rapport started"/, 90_000);
        const started = JSON.parse(
          server
            .output()
            .split("\n")
            .find((line) => line.includes('"msg":"rapport started"'))!,
        ) as { role: string; url?: string };
        expect(started.role).toBe(role);
        if (role === "api") {
          const health = await fetch(`${started.url}/healthz`);
          expect(health.status).toBe(200);
        } else {
          expect(started.url).toBeUndefined();
        }
      } finally {
        await server.stop();
      }
    },
    120_000,
  );
});
