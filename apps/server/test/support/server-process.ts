import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SERVER_DIR = join(dirname(fileURLToPath(import.meta.url)), "../..");

export interface ServerProcess {
  child: ReturnType<typeof spawn>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

/** An API role on this database, on a free port, with a fresh JWT secret and no Redis. */
export function apiServerEnv(databaseUrl: string): Record<string, string> {
  return {
    NODE_ENV: "test",
    ROLE: "api",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: databaseUrl,
    REDIS_URL: "",
    JWT_SECRET: randomBytes(32).toString("hex"),
  };
}

/** Runs the real server entry point (`src/main.ts`) as its own process. */
export function runServer(env: Record<string, string>, args: string[] = []): ServerProcess {
  // Export files and any other local state go to a temporary directory, never the repository's .data/.
  const dataDir = mkdtempSync(join(tmpdir(), "rapport-server-data-"));
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", ...args], {
    cwd: SERVER_DIR,
    env: { ...process.env, LOG_LEVEL: "info", DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.on("exit", () => rmSync(dataDir, { recursive: true, force: true }));
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Waits until the server prints the address it listens on. */
export async function serverUrl(run: ServerProcess, timeoutMs = 30_000): Promise<string> {
  const pattern = /Rapport is running at (http:\/\/\S+)/;
  await waitFor(() => pattern.test(run.output()) || run.child.exitCode !== null, timeoutMs);
  const match = pattern.exec(run.output());
  if (!match) throw new Error(`the server did not start:\n${run.output()}`);
  return match[1]!;
}

export async function waitFor(check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}
