import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "./support/app";
import { apiServerEnv, runServer, serverUrl, waitFor } from "./support/server-process";

/** The server process's last line of defence (apps/server/src/main.ts), with faults injected into the real process. */

const INJECTOR = join(dirname(fileURLToPath(import.meta.url)), "support/fault-injector.mjs");

describe("process-level error handlers", () => {
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  const start = (fault: "rejection" | "exception") =>
    runServer({
      ...apiServerEnv(database.url),
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${INJECTOR}`.trim(),
      RAPPORT_TEST_FAULT: fault,
    });

  it("an unhandled promise rejection is logged and the server keeps serving", async () => {
    const run = start("rejection");
    try {
      const url = await serverUrl(run, 60_000);
      run.child.kill("SIGUSR2");
      await waitFor(() => run.output().includes("unhandled promise rejection") || run.child.exitCode !== null, 10_000);
      expect(run.output()).toMatch(/"level":50.*injected rejection.*unhandled promise rejection/);
      expect(run.child.exitCode, run.output()).toBeNull();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      run.child.kill("SIGKILL");
    }
  }, 90_000);

  it("an uncaught exception drains and exits 1, so the supervisor starts a clean process", async () => {
    const run = start("exception");
    try {
      await serverUrl(run, 60_000);
      run.child.kill("SIGUSR2");
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(/"level":60.*injected exception.*uncaught exception: draining, then exiting/);
      expect(run.output()).toMatch(/"msg":"stopped"/);
    } finally {
      run.child.kill("SIGKILL");
    }
  }, 90_000);
});
