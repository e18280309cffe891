import { randomBytes } from "node:crypto";
import { loadConfig, ManualClock } from "@rapport/api";
import { createRapportClient } from "@rapport/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type AttemptPolicy,
} from "../../../packages/api/src/infra/rate-limit";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";

/** A client whose requests arrive through the test's "proxy" with this X-Forwarded-For. */
const via = (app: TestApp, forwardedFor?: string, token?: string) =>
  createRapportClient({
    url: app.url,
    batch: false,
    token: token ?? null,
    headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {},
  });

type Outcome = "ok" | "UNAUTHORIZED" | "TOO_MANY_REQUESTS" | string;

async function tryLogin(
  app: TestApp,
  user: { email: string },
  password: string,
  forwardedFor?: string,
): Promise<Outcome> {
  try {
    await via(app, forwardedFor).auth.login.mutate({ email: user.email, password });
    return "ok";
  } catch (error) {
    return (error as { data?: { code?: string } }).data?.code ?? String(error);
  }
}

const tally = (outcomes: Outcome[]) => {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
};

async function failedChecks(app: TestApp, user: SignedInUser): Promise<number> {
  const [row] =
    await app.sql`SELECT count(*)::int AS n FROM audit_log WHERE action = 'auth.login_failed' AND actor_id = ${user.userId}`;
  return row!.n as number;
}

describe.each([
  { name: "Redis", redis: true },
  { name: "without Redis (in-process)", redis: false },
])("login limits are atomic ($name)", ({ redis }) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ redis });
  });
  afterAll(() => app.close());

  it("50 parallel wrong guesses: at most LOGIN_MAX_PER_CLIENT (5) passwords are checked", async () => {
    const victim = await app.signUp();
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => tryLogin(app, victim, `wrong guess ${i}`)));
    expect(tally(outcomes)).toEqual({ UNAUTHORIZED: 5, TOO_MANY_REQUESTS: 45 });
    expect(await failedChecks(app, victim)).toBe(5);
  });
});

describe("login limits behind a proxy (TRUST_PROXY=true)", () => {
  let app: TestApp;
  const clock = new ManualClock(new Date("2026-05-04T08:00:00Z"));
  beforeAll(async () => {
    app = await createTestApp({
      clock,
      env: { TRUST_PROXY: "true", LOGIN_MAX_PER_ACCOUNT: "20", LOGIN_MAX_PER_IP: "30" },
    });
  });
  afterAll(() => app.close());

  it("a client-written leftmost X-Forwarded-For entry does not make each guess a new client", async () => {
    const victim = await app.signUp();
    const outcomes: Outcome[] = [];
    // The proxy appends the address it saw (203.0.113.9) to whatever the client sent.
    for (let i = 0; i < 20; i++) outcomes.push(await tryLogin(app, victim, `guess ${i}`, `6.6.${i}.${i}, 203.0.113.9`));
    expect(tally(outcomes)).toEqual({ UNAUTHORIZED: 5, TOO_MANY_REQUESTS: 15 });
    // The address recorded is the one the proxy saw.
    const rows =
      await app.sql`SELECT DISTINCT ip FROM audit_log WHERE action = 'auth.login_failed' AND actor_id = ${victim.userId}`;
    expect(rows.map((r) => r.ip)).toEqual(["203.0.113.9"]);
  });

  it("one address trying many accounts meets the per-address limit, whatever it writes into X-Forwarded-For", async () => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 40; i++) {
      outcomes.push(
        await tryLogin(
          app,
          { email: `spray${i}.${randomBytes(3).toString("hex")}@example.com` },
          "Winter2026!",
          `9.9.${i}.1, 203.0.113.200`,
        ),
      );
    }
    expect(tally(outcomes)).toEqual({ UNAUTHORIZED: 30, TOO_MANY_REQUESTS: 10 });
  });

  it("the owner signs in from their address while a stranger hammers the account from another", async () => {
    const owner = await app.signUp();
    for (let i = 0; i < 15; i++) await tryLogin(app, owner, `stranger ${i}`, "198.51.100.66");
    expect(await tryLogin(app, owner, "one more", "198.51.100.66")).toBe("TOO_MANY_REQUESTS");
    expect(await tryLogin(app, owner, owner.password, "203.0.113.10")).toBe("ok");
    // The owner's own typo from their address is theirs alone to pay for.
    expect(await tryLogin(app, owner, "typo", "203.0.113.10")).toBe("UNAUTHORIZED");
    expect(await tryLogin(app, owner, owner.password, "203.0.113.10")).toBe("ok");
  });

  it("IPv6 clients are counted per /64: rotating the interface id does not give new tries", async () => {
    const victim = await app.signUp();
    const outcomes: Outcome[] = [];
    for (let i = 1; i <= 8; i++)
      outcomes.push(await tryLogin(app, victim, `v6 guess ${i}`, `2001:db8:7:7::${i.toString(16)}`));
    expect(tally(outcomes)).toEqual({ UNAUTHORIZED: 5, TOO_MANY_REQUESTS: 3 });
    // Another /64 is another client.
    expect(await tryLogin(app, victim, victim.password, "2001:db8:7:8::1")).toBe("ok");
  });

  it("past the per-account ceiling only addresses the account signed in from before may try", async () => {
    const owner = await app.signUp();
    // The owner has signed in from home before.
    expect(await tryLogin(app, owner, owner.password, "192.0.2.50")).toBe("ok");
    const outcomes: Outcome[] = [];
    // A distributed attack: one guess from each of 21 addresses (ceiling: 20 attempts, the owner's sign-in was one).
    for (let i = 0; i < 21; i++) outcomes.push(await tryLogin(app, owner, `botnet ${i}`, `198.18.0.${i + 1}`));
    expect(tally(outcomes)).toEqual({ UNAUTHORIZED: 19, TOO_MANY_REQUESTS: 2 });
    // A new address is refused, even with the right password...
    expect(await tryLogin(app, owner, owner.password, "198.18.1.1")).toBe("TOO_MANY_REQUESTS");
    // ...but the owner at home is not locked out.
    expect(await tryLogin(app, owner, owner.password, "192.0.2.50")).toBe("ok");
  });

  it("backs off 60 s after 5 failures, doubling up to 15 minutes; a success clears it", async () => {
    const victim = await app.signUp();
    const from = "203.0.113.77";
    for (let i = 0; i < 5; i++) expect(await tryLogin(app, victim, `bad ${i}`, from)).toBe("UNAUTHORIZED");
    const waits: number[] = [];
    for (let round = 0; round < 6; round++) {
      const refused = await errorOf(
        via(app, from).auth.login.mutate({ email: victim.email, password: victim.password }),
      );
      expect(refused.code).toBe("TOO_MANY_REQUESTS");
      const wait = refused.data.details.retryAfterSeconds as number;
      waits.push(wait);
      // Not yet: one second early is still refused.
      clock.advance((wait - 1) * 1000);
      expect(await tryLogin(app, victim, "still early", from)).toBe("TOO_MANY_REQUESTS");
      clock.advance(1000);
      expect(await tryLogin(app, victim, `bad again ${round}`, from)).toBe("UNAUTHORIZED");
    }
    expect(waits).toEqual([60, 120, 240, 480, 900, 900]);
    clock.advance(900_000);
    expect(await tryLogin(app, victim, victim.password, from)).toBe("ok");
    // Cleared: the next typo is a plain failure, not a 15-minute wait.
    expect(await tryLogin(app, victim, "typo", from)).toBe("UNAUTHORIZED");
  });

  it("password re-entry (account deletion) is limited like sign-in, on the same budget", async () => {
    const user = await app.signUp();
    const from = "203.0.113.88";
    const client = via(app, from, user.accessToken);
    for (let i = 0; i < 3; i++) {
      expect((await errorOf(client.gdpr.requestDeletion.mutate({ reason: "test", password: `guess ${i}` }))).code).toBe(
        "FORBIDDEN",
      );
    }
    for (let i = 0; i < 2; i++) expect(await tryLogin(app, user, `login guess ${i}`, from)).toBe("UNAUTHORIZED");
    // Five failures, by either door: even the right password now waits.
    const limited = await errorOf(client.gdpr.requestDeletion.mutate({ reason: "test", password: user.password }));
    expect(limited.code).toBe("TOO_MANY_REQUESTS");
    const [row] =
      await app.sql`SELECT count(*)::int AS n FROM audit_log WHERE action = 'auth.password_rate_limited' AND ip = ${from}`;
    expect(row!.n).toBe(1);
    const parallel = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        via(app, "203.0.113.89", user.accessToken).gdpr.requestDeletion.mutate({
          reason: "x",
          password: "parallel guess",
        }),
      ),
    );
    const codes = parallel.map((r) =>
      r.status === "rejected" ? (r.reason as { data?: { code?: string } }).data?.code : "ok",
    );
    expect(tally(codes as Outcome[])).toEqual({ FORBIDDEN: 5, TOO_MANY_REQUESTS: 15 });
  });

  it("a removed admin using an upper-case workspace id is refused at once", async () => {
    const owner = await app.signUp();
    const admin = await app.signUp();
    const workspace = await owner.client.workspaces.create.mutate({ name: `Case ${randomBytes(3).toString("hex")}` });
    await app.sql`INSERT INTO memberships (workspace_id, user_id, role) VALUES (${workspace.id}, ${admin.userId}, 'admin')`;
    const upper = workspace.id.toUpperCase();
    expect((await admin.client.workspaces.members.query({ workspaceId: upper })).length).toBe(2);
    await owner.client.workspaces.removeMember.mutate({ workspaceId: workspace.id, userId: admin.userId });
    expect((await errorOf(admin.client.workspaces.members.query({ workspaceId: upper }))).code).toBe("NOT_FOUND");
    expect((await errorOf(admin.client.workspaces.members.query({ workspaceId: workspace.id }))).code).toBe(
      "NOT_FOUND",
    );
  });
});

describe.each([
  // Two proxies: the client is the entry the outer proxy appended, second from the right.
  { trust: "2", header: (i: number) => `6.6.6.${i}, 203.0.113.9, 10.0.0.1` },
  // Trusted ranges (the loopback peer, then an internal proxy); the first untrusted hop is the client.
  { trust: "loopback, 10.0.0.0/8", header: (i: number) => `6.6.6.${i}, 203.0.113.9, 10.1.2.3` },
])("TRUST_PROXY=$trust", ({ trust, header }) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ env: { TRUST_PROXY: trust } });
  });
  afterAll(() => app.close());

  it("takes the address the trusted proxies saw, whatever the client wrote", async () => {
    const victim = await app.signUp();
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 10; i++) outcomes.push(await tryLogin(app, victim, `guess ${i}`, header(i)));
    expect(tally(outcomes)).toEqual({ UNAUTHORIZED: 5, TOO_MANY_REQUESTS: 5 });
    const session = await via(app, header(99))
      .auth.login.mutate({ email: victim.email, password: victim.password })
      .catch(() => null);
    expect(session).toBeNull();
    const rows =
      await app.sql`SELECT DISTINCT ip FROM audit_log WHERE action = 'auth.login_failed' AND actor_id = ${victim.userId}`;
    expect(rows.map((r) => r.ip)).toEqual(["203.0.113.9"]);
  });
});

describe("reserveAttempt: the Lua script and the in-process fallback agree", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  const policy: AttemptPolicy = { free: 3, windowMs: 600_000, backoffMs: 10_000, backoffMaxMs: 35_000 };

  it("grants exactly `free` of 50 concurrent reservations", async () => {
    const redis = createRedisRateLimiter(app.runtime.redis!.command, app.redisPrefix, createMemoryRateLimiter());
    const results = await Promise.all(
      Array.from({ length: 50 }, () => redis.reserveAttempt("concurrent", policy, 1_000)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
  });

  it("follow the same schedule", async () => {
    const redis = createRedisRateLimiter(app.runtime.redis!.command, app.redisPrefix, createMemoryRateLimiter());
    const memory = createMemoryRateLimiter();
    // Attempt times (ms): three free ones, then at and around each backoff's end, then after the window.
    const times = [0, 1, 2, 5_000, 10_002, 10_003, 30_003, 60_003, 65_003, 100_002, 100_003, 800_000, 800_001];
    const run = async (limiter: typeof memory) => {
      const seen: string[] = [];
      for (const t of times) {
        const r = await limiter.reserveAttempt("schedule", policy, t);
        seen.push(`${t}:${r.allowed ? "ok" : `wait ${r.retryAfterSeconds}`}:${r.count}`);
      }
      return seen;
    };
    const fromRedis = await run(redis);
    expect(fromRedis).toEqual(await run(memory));
    expect(fromRedis).toEqual([
      "0:ok:1",
      "1:ok:2",
      "2:ok:3",
      "5000:wait 6:3",
      "10002:ok:4",
      "10003:wait 20:4",
      "30003:ok:5",
      "60003:wait 5:5",
      "65003:ok:6",
      "100002:wait 1:6",
      "100003:ok:7",
      "800000:ok:1",
      "800001:ok:2",
    ]);
  });
});

describe("configuration", () => {
  it("refuses to start while the old per-email lock is configured, naming the replacements", () => {
    expect(() => loadConfig({ LOGIN_MAX_PER_EMAIL: "5" })).toThrow(
      /LOGIN_MAX_PER_EMAIL.*LOGIN_MAX_PER_CLIENT.*LOGIN_MAX_PER_ACCOUNT/,
    );
  });

  it("reads TRUST_PROXY as false, true (one hop), a hop count or CIDR ranges, and names a bad value", () => {
    expect(loadConfig({}).TRUST_PROXY).toEqual({ kind: "none" });
    expect(loadConfig({ TRUST_PROXY: "true" }).TRUST_PROXY).toEqual({ kind: "hops", hops: 1 });
    expect(loadConfig({ TRUST_PROXY: "3" }).TRUST_PROXY).toEqual({ kind: "hops", hops: 3 });
    expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8, fd00::/8" }).TRUST_PROXY).toMatchObject({ kind: "ranges" });
    expect(() => loadConfig({ TRUST_PROXY: "10.0.0.0/40" })).toThrow(/TRUST_PROXY.*10\.0\.0\.0\/40/);
  });
});

describe.each([
  { name: "Redis", redis: true },
  { name: "without Redis (in-process)", redis: false },
])("sign-up limit per client address ($name)", ({ redis }) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ redis, env: { TRUST_PROXY: "true", REGISTER_MAX_PER_IP: "3" } });
  });
  afterAll(() => app.close());

  const trySignUp = async (forwardedFor: string, email = `new.${randomBytes(4).toString("hex")}@example.com`) => {
    try {
      await via(app, forwardedFor).auth.register.mutate({ email, password: "a long enough password", name: "New" });
      return "ok";
    } catch (error) {
      const data = (error as { data?: { code?: string; details?: { retryAfterSeconds?: number } } }).data;
      return data?.code === "TOO_MANY_REQUESTS"
        ? `wait ${data.details?.retryAfterSeconds}`
        : (data?.code ?? String(error));
    }
  };

  it("counts every sign-up from an address (a refused one too, and an IPv6 /64 as one), audits the refusal, and leaves other addresses alone", async () => {
    const taken = `taken.${randomBytes(4).toString("hex")}@example.com`;
    expect(await trySignUp("203.0.113.50", taken)).toBe("ok");
    // Probing an address that has an account counts like any other sign-up.
    expect(await trySignUp("203.0.113.50", taken)).toBe("CONFLICT");
    expect(await trySignUp("203.0.113.50")).toBe("ok");
    const refused = await trySignUp("203.0.113.50");
    expect(refused).toMatch(/^wait \d+$/);
    const wait = Number(refused.slice(5));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(3_600);
    expect(await trySignUp("203.0.113.51")).toBe("ok");

    const rows = await app.query<{ ip: string }>`
      SELECT ip FROM audit_log WHERE action = 'auth.register_rate_limited'`;
    expect(rows.map((row) => row.ip)).toEqual(["203.0.113.50"]);

    const v6 = await Promise.all([1, 2, 3, 4].map((i) => trySignUp(`2001:db8:5:5::${i}`)));
    expect(v6.filter((outcome) => outcome === "ok")).toHaveLength(3);
  });
});
