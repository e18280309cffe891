/**
 * A user's own account on Postgres and PGlite: renaming it (one `member.updated` event per
 * workspace it belongs to, the new name in their member lists), changing the password (the
 * current one re-entered; every other session ends, this one stays), listing and ending
 * sign-in sessions, and the account's security record.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { joinWorkspace } from "./support/members";

const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("account settings on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let user: SignedInUser;
  let workspaceIds: string[];

  beforeAll(async () => {
    app = await createTestApp({ driver });
    [owner, user] = await Promise.all([app.signUp("Owner"), app.signUp("Ana Lima")]);
    workspaceIds = [];
    for (const name of ["First", "Second"]) {
      const { id } = await owner.client.workspaces.create.mutate({ name });
      await joinWorkspace(owner, id, user);
      workspaceIds.push(id);
    }
  }, 120_000);
  afterAll(() => app?.close());

  const memberName = async (workspaceId: string) =>
    (await owner.client.workspaces.members.query({ workspaceId })).find((m) => m.userId === user.userId)?.name;

  it("renames the account: every workspace's member list has the new name and one event; the same name writes nothing", async () => {
    const renamed = await user.client.auth.updateProfile.mutate({ name: "  Ana Lima-Souza " });
    expect(renamed).toMatchObject({ id: user.userId, name: "Ana Lima-Souza" });
    expect((await user.client.auth.me.query()).user.name).toBe("Ana Lima-Souza");
    for (const workspaceId of workspaceIds) {
      expect(await memberName(workspaceId)).toBe("Ana Lima-Souza");
      const events = await owner.client.activity.list.query({ workspaceId, types: ["member.updated"] });
      expect(events.items.map((event) => [event.actorId, event.payload])).toEqual([
        [user.userId, { userId: user.userId, fields: ["name"] }],
      ]);
    }

    await user.client.auth.updateProfile.mutate({ name: "Ana Lima-Souza" });
    const again = await owner.client.activity.list.query({ workspaceId: workspaceIds[0]!, types: ["member.updated"] });
    expect(again.items).toHaveLength(1);

    for (const name of ["", "   ", "x".repeat(201)]) {
      const error = await errorOf(user.client.auth.updateProfile.mutate({ name }));
      expect(error.code, JSON.stringify(name)).toBe("BAD_REQUEST");
    }
    expect((await user.client.auth.me.query()).user.name).toBe("Ana Lima-Souza");
  });

  it("changes the password: the current one is re-entered, the rule applies, the other sessions end and this one stays", async () => {
    const laptop = await app.signIn(user);
    const phone = await app.signIn(user);
    const listed = await laptop.client.auth.sessions.query();
    expect(listed.length).toBeGreaterThanOrEqual(3);
    expect(listed.filter((session) => session.current)).toHaveLength(1);

    const wrong = await errorOf(
      laptop.client.auth.changePassword.mutate({
        currentPassword: "not my password",
        newPassword: "a new long passphrase 42",
      }),
    );
    expect(wrong.code).toBe("FORBIDDEN");
    for (const [newPassword, problem] of [
      [user.password, "differ"],
      ["short", "at least"],
    ] as const) {
      const error = await errorOf(
        laptop.client.auth.changePassword.mutate({ currentPassword: user.password, newPassword }),
      );
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain(problem);
      expect(error.data.details?.path).toEqual(["newPassword"]);
    }
    // Nothing changed by the refusals: every session still works.
    await expect(phone.client.auth.me.query()).resolves.toMatchObject({ user: { id: phone.userId } });

    const newPassword = "a new long passphrase 42";
    const changed = await laptop.client.auth.changePassword.mutate({ currentPassword: user.password, newPassword });
    expect(changed.sessionsRevoked).toBeGreaterThanOrEqual(2);

    // This session goes on; the others cannot refresh, and their access tokens are refused
    // once no instance holds them as active any more (this one forgot them at once).
    expect((await laptop.client.auth.me.query()).user.id).toBe(user.userId);
    expect(await codeOf(app.client().auth.refresh.mutate({ refreshToken: phone.refreshToken }))).toBe("UNAUTHORIZED");
    expect(await codeOf(phone.client.auth.me.query())).toBe("UNAUTHORIZED");
    expect(await laptop.client.auth.sessions.query()).toEqual([expect.objectContaining({ current: true })]);

    expect(await codeOf(app.client().auth.login.mutate({ email: user.email, password: user.password }))).toBe(
      "UNAUTHORIZED",
    );
    user = { ...(await app.signIn({ ...user, password: newPassword })), password: newPassword };
    expect((await user.client.auth.me.query()).user.id).toBe(user.userId);

    const record = await user.client.auth.securityActivity.query();
    expect(record.map((entry) => entry.action).slice(0, 4)).toEqual([
      "auth.login",
      "auth.login_failed",
      "auth.password_changed",
      "auth.password_change_failed",
    ]);
  });

  it("ends one other session, or every other one; never the current one, nor another account's", async () => {
    const other = await app.signIn(user);
    const third = await app.signIn(user);
    const otherSession = (await other.client.auth.sessions.query()).find((session) => session.current)!;

    expect(await user.client.auth.revokeSession.mutate({ sessionId: otherSession.id })).toEqual({ revoked: true });
    expect(await codeOf(other.client.auth.me.query())).toBe("UNAUTHORIZED");
    // Again: already ended, nothing to do.
    expect(await user.client.auth.revokeSession.mutate({ sessionId: otherSession.id })).toEqual({ revoked: false });

    // Not a session of this account: not found, and the owner's session is untouched.
    const ownerSession = (await owner.client.auth.sessions.query()).find((session) => session.current)!;
    expect(await codeOf(user.client.auth.revokeSession.mutate({ sessionId: ownerSession.id }))).toBe("NOT_FOUND");
    await expect(owner.client.auth.me.query()).resolves.toMatchObject({ user: { id: owner.userId } });

    const current = (await user.client.auth.sessions.query()).find((session) => session.current)!;
    expect(await codeOf(user.client.auth.revokeSession.mutate({ sessionId: current.id }))).toBe("BAD_REQUEST");

    const others = (await user.client.auth.sessions.query()).filter((session) => !session.current);
    expect(others.map((session) => session.id)).not.toContain(otherSession.id);
    expect(others.length).toBeGreaterThanOrEqual(1);
    expect(await user.client.auth.revokeOtherSessions.mutate()).toEqual({ sessionsRevoked: others.length });
    expect(await user.client.auth.sessions.query()).toEqual([expect.objectContaining({ current: true })]);
    expect(await codeOf(third.client.auth.me.query())).toBe("UNAUTHORIZED");
    await expect(user.client.auth.me.query()).resolves.toMatchObject({ user: { id: user.userId } });
    expect(await user.client.auth.revokeOtherSessions.mutate()).toEqual({ sessionsRevoked: 0 });

    const actions = (await user.client.auth.securityActivity.query()).map((entry) => entry.action);
    expect(actions.slice(0, 2)).toEqual(["auth.sessions_revoked", "auth.session_revoked"]);
    // Only the account's own record: the owner only ever signed up, whatever the other account did.
    expect((await owner.client.auth.securityActivity.query()).map((entry) => entry.action)).toEqual(["auth.register"]);
  });
});
