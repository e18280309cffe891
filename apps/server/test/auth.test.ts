import { ManualClock } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type TestApp } from "./support/app";

describe("auth", () => {
  let app: TestApp;
  const clock = new ManualClock(new Date("2026-03-01T10:00:00Z"));

  beforeAll(async () => {
    app = await createTestApp({ clock, env: { LOGIN_MAX_PER_CLIENT: "3", LOGIN_MAX_PER_IP: "1000" } });
  });
  afterAll(() => app.close());

  it("registers, then me returns the user; the password is stored as an argon2id hash", async () => {
    const alice = await app.signUp("Alice");
    const me = await alice.client.auth.me.query();
    expect(me.user).toMatchObject({ id: alice.userId, email: alice.email, name: "Alice" });
    expect(me.user).not.toHaveProperty("passwordHash");
    const [row] = await app.sql`SELECT password_hash FROM users WHERE id = ${alice.userId}`;
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it("refuses a second account with the same email in another case", async () => {
    const alice = await app.signUp();
    const error = await errorOf(
      app
        .client()
        .auth.register.mutate({ email: alice.email.toUpperCase(), password: "another password!", name: "Dup" }),
    );
    expect(error.code).toBe("CONFLICT");
  });

  it("logs in with the right password and rejects a wrong one", async () => {
    const bob = await app.signUp("Bob");
    const ok = await app.client().auth.login.mutate({ email: ` ${bob.email.toUpperCase()} `, password: bob.password });
    expect(ok.user.id).toBe(bob.userId);
    expect(ok.accessTokenExpiresAt.getTime() - clock.now().getTime()).toBeLessThanOrEqual(15 * 60_000);
    const wrong = await errorOf(app.client().auth.login.mutate({ email: bob.email, password: "not the password" }));
    expect(wrong.code).toBe("UNAUTHORIZED");
    expect(wrong.message).toBe("Email or password is incorrect");
    const unknown = await errorOf(
      app.client().auth.login.mutate({ email: "nobody@example.com", password: "whatever123" }),
    );
    expect(unknown.message).toBe(wrong.message);
  });

  it("rejects missing, forged and expired access tokens", async () => {
    const carol = await app.signUp();
    expect((await errorOf(app.client().auth.me.query())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(app.client(`${carol.accessToken}x`).auth.me.query())).code).toBe("UNAUTHORIZED");
    clock.advance(15 * 60_000 + 1_000);
    const expired = await errorOf(carol.client.auth.me.query());
    expect(expired.code).toBe("UNAUTHORIZED");
    expect(expired.message).toMatch(/expired/);
  });

  it("rotates refresh tokens, and reuse of a rotated one revokes the whole family", async () => {
    const dana = await app.signUp();
    const first = await app.client().auth.refresh.mutate({ refreshToken: dana.refreshToken });
    expect(first.refreshToken).not.toBe(dana.refreshToken);
    expect((await app.client(first.accessToken).auth.me.query()).user.id).toBe(dana.userId);
    const second = await app.client().auth.refresh.mutate({ refreshToken: first.refreshToken! });

    // The original token was already rotated: presenting it again is theft or replay.
    expect((await errorOf(app.client().auth.refresh.mutate({ refreshToken: dana.refreshToken }))).code).toBe(
      "UNAUTHORIZED",
    );
    // Every token of the family is now dead, including the newest one and its access token.
    expect((await errorOf(app.client().auth.refresh.mutate({ refreshToken: second.refreshToken! }))).code).toBe(
      "UNAUTHORIZED",
    );
    // The session's access tokens die with it.
    expect((await errorOf(app.client(second.accessToken).auth.me.query())).code).toBe("UNAUTHORIZED");

    const audit = await app.sql`SELECT action FROM audit_log WHERE actor_id = ${dana.userId} ORDER BY id`;
    expect(audit.map((r) => r.action)).toContain("auth.refresh_reuse");
  });

  it("two concurrent refreshes with one token: one wins, the other is treated as reuse", async () => {
    const erin = await app.signUp();
    const results = await Promise.allSettled([
      app.client().auth.refresh.mutate({ refreshToken: erin.refreshToken }),
      app.client().auth.refresh.mutate({ refreshToken: erin.refreshToken }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("logout ends the session on the server: its access and refresh tokens stop working", async () => {
    const fay = await app.signUp();
    await fay.client.auth.logout.mutate();
    expect((await errorOf(fay.client.auth.me.query())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(app.client().auth.refresh.mutate({ refreshToken: fay.refreshToken }))).code).toBe(
      "UNAUTHORIZED",
    );
  });

  it("browser sessions keep the refresh token in an httpOnly, SameSite=Strict cookie", async () => {
    const user = await app.signUp();
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${app.url}/trpc/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    const login = await post("auth.login", { email: user.email, password: user.password, refreshTransport: "cookie" });
    const setCookie = login.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^rapport_refresh=[\w-]{43}; Path=\/trpc; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    const body = (await login.json()) as { result: { data: { refreshToken: string | null; accessToken: string } } };
    expect(body.result.data.refreshToken).toBeNull();
    const cookie = setCookie.split(";")[0]!;

    // Refresh with only the cookie rotates it.
    const refreshed = await post("auth.refresh", { refreshTransport: "cookie" }, { cookie });
    expect(refreshed.status).toBe(200);
    const rotated = refreshed.headers.get("set-cookie")!.split(";")[0]!;
    expect(rotated).not.toBe(cookie);
    // Replaying the old cookie revokes the family and clears the cookie.
    const replay = await post("auth.refresh", { refreshTransport: "cookie" }, { cookie });
    expect(replay.status).toBe(401);
    expect(replay.headers.get("set-cookie")).toMatch(/^rapport_refresh=; Path=\/trpc; Max-Age=0/);
    expect((await post("auth.refresh", { refreshTransport: "cookie" }, { cookie: rotated })).status).toBe(401);
    // Secure follows PUBLIC_URL, not the Host header: http-security.test.ts.
  });

  it("refresh tokens expire", async () => {
    const gus = await app.signUp();
    clock.advance(31 * 86_400_000);
    expect((await errorOf(app.client().auth.refresh.mutate({ refreshToken: gus.refreshToken }))).code).toBe(
      "UNAUTHORIZED",
    );
  });

  it("rate-limits failed logins per account and client with a retry-after, even for the right password", async () => {
    const hal = await app.signUp();
    for (let i = 0; i < 3; i++) {
      expect(
        (await errorOf(app.client().auth.login.mutate({ email: hal.email, password: "wrong password" }))).code,
      ).toBe("UNAUTHORIZED");
    }
    const limited = await errorOf(app.client().auth.login.mutate({ email: hal.email, password: hal.password }));
    expect(limited.code).toBe("TOO_MANY_REQUESTS");
    expect(limited.data.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited.data.details.retryAfterSeconds).toBeLessThanOrEqual(60);

    // The HTTP response carries Retry-After too.
    const response = await fetch(`${app.url}/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: hal.email, password: hal.password }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);

    // The limit is kept in Redis under the configured prefix.
    const keys = await app.runtime.redis!.command.keys(`${app.redisPrefix}rl:login:client:*`);
    expect(keys.length).toBeGreaterThan(0);
    // Other accounts are unaffected.
    const other = await app.signUp();
    await app.client().auth.login.mutate({ email: other.email, password: other.password });
  });

  it("audits logins, failures and logouts without recording the attempted address", async () => {
    const ivy = await app.signUp();
    await errorOf(app.client().auth.login.mutate({ email: ivy.email, password: "bad password" }));
    const session = await app.client().auth.login.mutate({ email: ivy.email, password: ivy.password });
    await app.client(session.accessToken).auth.logout.mutate();
    const rows =
      await app.sql`SELECT action, ip, metadata::text AS metadata FROM audit_log WHERE actor_id = ${ivy.userId} ORDER BY id`;
    expect(rows.map((r) => r.action)).toEqual(["auth.register", "auth.login_failed", "auth.login", "auth.logout"]);
    expect(rows.every((r) => r.ip)).toBe(true);
    expect(rows.some((r) => r.metadata.includes(ivy.email))).toBe(false);
  });

  it("rejects bad registration input with the field path", async () => {
    const weak = await errorOf(app.client().auth.register.mutate({ email: "a@b.co", password: "short", name: "X" }));
    expect(weak.code).toBe("BAD_REQUEST");
    expect(weak.data.zodIssues[0].path).toEqual(["password"]);
    const common = await errorOf(
      app.client().auth.register.mutate({ email: "c@b.co", password: "Password123", name: "X" }),
    );
    expect(common.code).toBe("BAD_REQUEST");
    expect(common.data.zodIssues[0]).toMatchObject({
      path: ["password"],
      message: expect.stringMatching(/most common/),
    });
    // Accounts made without the API (CLI, demo data) follow the same rule.
    await expect(
      app.runtime.services.auth.createUser({ email: "cli@b.co", password: "qwertyuiop", name: "X" }),
    ).rejects.toThrow(/most common/);
    const badEmail = await errorOf(
      app.client().auth.register.mutate({ email: "not-an-email", password: "long enough pw", name: "X" }),
    );
    expect(badEmail.data.zodIssues[0].path).toEqual(["email"]);
  });
});
