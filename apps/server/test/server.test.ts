import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, type Readiness } from "@rapport/api";
import { createRapportClient } from "@rapport/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestDatabase, type TestApp } from "./support/app";
import { runServer, serverUrl } from "./support/server-process";

describe("configuration", () => {
  it("names every wrong or missing variable", () => {
    const error = (() => {
      try {
        loadConfig({ PORT: "eighty", DATABASE_URL: "mysql://x", NODE_ENV: "production", REDIS_URL: "http://nope" });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const text = error.problems.join("\n");
    expect(text).toMatch(/^PORT: /m);
    expect(text).toMatch(/^DATABASE_URL: /m);
    expect(text).toMatch(/^REDIS_URL: /m);
    expect(text).toMatch(/^JWT_SECRET: is required in production/m);
  });

  it("refuses access-token lifetimes above 15 minutes and short secrets", () => {
    expect(() => loadConfig({ ACCESS_TOKEN_TTL_SECONDS: "3600" })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
    expect(() => loadConfig({ JWT_SECRET: "short" })).toThrow(/JWT_SECRET: must be at least 32/);
  });
});

describe("server process", () => {
  it("exits with a message naming the bad variable", async () => {
    const run = runServer({ PORT: "not-a-port" });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/PORT: /);
  });

  it("starts without reachable Redis (degraded) and shuts down cleanly on SIGTERM", async () => {
    const db = await createTestDatabase();
    const run = runServer({
      DATABASE_URL: db.url,
      REDIS_URL: "redis://127.0.0.1:1",
      PORT: "0",
      HOST: "127.0.0.1",
      JWT_SECRET: "x".repeat(40),
    });
    try {
      const url = await serverUrl(run);
      const ready = (await (await fetch(`${url}/readyz`)).json()) as Readiness;
      expect(ready.status).toBe("degraded");
      run.child.kill("SIGTERM");
      expect(await run.exited).toBe(0);
      expect(run.output()).toMatch(/"msg":"stopped"/);
    } finally {
      run.child.kill("SIGKILL");
      await db.drop();
    }
  });
});

describe("development defaults", () => {
  it("listens on loopback only, generates its secrets once and keeps sessions across a restart", async () => {
    const db = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), "rapport-dev-defaults-"));
    // What `pnpm start` gets: no HOST, no secrets.
    const env = {
      NODE_ENV: "development",
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      REDIS_URL: "redis://127.0.0.1:1",
      PORT: "0",
    };
    const stop = async (run: ReturnType<typeof runServer>) => {
      run.child.kill("SIGTERM");
      await run.exited;
    };
    let run = runServer(env);
    try {
      const url = await serverUrl(run);
      expect(new URL(url).hostname).toBe("127.0.0.1");
      expect(run.output()).toContain(`Secrets JWT_SECRET, GDPR_SUPPRESSION_KEY generated into ${dataDir}/secrets.json`);
      const registered = await createRapportClient({ url }).auth.register.mutate({
        email: "dev@defaults.example",
        password: "a long dev passphrase 42",
        name: "Dev",
      });
      await stop(run);

      run = runServer(env);
      const again = await serverUrl(run);
      const me = await createRapportClient({ url: again, token: registered.accessToken }).auth.me.query();
      expect(me.user.email).toBe("dev@defaults.example");
    } finally {
      await stop(run);
      run.child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    }
  }, 120_000);
});

describe("readiness without Redis", () => {
  it("a server database without Redis is degraded: other instances would not share its jobs, events and limits", async () => {
    const app = await createTestApp({ redis: false });
    try {
      const ready = (await (await fetch(`${app.url}/readyz`)).json()) as Readiness;
      expect(ready.status).toBe("degraded");
      expect(ready.degraded).toEqual(["no Redis: jobs, events and rate limits run in this process only"]);
      expect(ready.checks.redis).toMatchObject({ ok: false, configured: false });
    } finally {
      await app.close();
    }
  });
});

describe("http surface", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { CORS_ORIGINS: "https://app.example.com", BODY_LIMIT_BYTES: "4096" } });
  });
  afterAll(() => app.close());

  it("/healthz is always ok; /readyz reports Postgres and Redis", async () => {
    expect(await (await fetch(`${app.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = (await (await fetch(`${app.url}/readyz`)).json()) as Readiness;
    expect(ready).toMatchObject({
      status: "ok",
      degraded: [],
      checks: { database: { ok: true, kind: "postgres" }, redis: { ok: true, configured: true } },
    });
  });

  it("every response carries a request id (echoed when given)", async () => {
    const res = await fetch(`${app.url}/healthz`, { headers: { "x-request-id": "req-123" } });
    expect(res.headers.get("x-request-id")).toBe("req-123");
    expect((await fetch(`${app.url}/healthz`)).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("allows only configured origins", async () => {
    const allowed = await fetch(`${app.url}/trpc/auth.me`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com" },
    });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const denied = await fetch(`${app.url}/trpc/auth.me`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example" },
    });
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("rejects bodies over the limit without a 500", async () => {
    const res = await fetch(`${app.url}/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "a@b.co", password: "p".repeat(10_000) }),
    });
    expect(res.status).toBe(413);
  });

  it("system.ping answers a signed-in caller and refuses anyone else", async () => {
    const user = await app.signUp();
    expect(await user.client.system.ping.query()).toEqual({ ok: true });
    const anonymous = await fetch(`${app.url}/trpc/system.ping`);
    expect(anonymous.status).toBe(401);
  });

  it("unknown procedures are 404, not 500", async () => {
    const res = await fetch(`${app.url}/trpc/contacts.nope`);
    expect(res.status).toBe(404);
  });
});
