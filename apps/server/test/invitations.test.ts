import { randomUUID } from "node:crypto";
import { ManualClock } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { invitationToken, joinWorkspace } from "./support/members";

const DAY_MS = 86_400_000;

/**
 * Membership by consent: an owner/admin invites an address with a role and hands
 * over a single-use, expiring link; the person signed in with that address
 * accepts or declines it. Replaces workspaces.addMember, which added any
 * registered address without asking and told the caller whether it existed.
 */
describe("workspace invitations", () => {
  let app: TestApp;
  const clock = new ManualClock(new Date("2026-05-04T10:00:00Z"));
  let owner: SignedInUser;
  let admin: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createTestApp({ clock });
    [owner, admin, member] = await Promise.all([
      app.signUp("Olga Owner"),
      app.signUp("Adam Admin"),
      app.signUp("Mia Member"),
    ]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Invited Team" })).id;
    await joinWorkspace(owner, workspaceId, admin, "admin");
    await joinWorkspace(owner, workspaceId, member);
  });
  afterAll(() => app.close());

  const invite = (by: SignedInUser, email: string, role: "member" | "admin" | "owner" = "member") =>
    by.client.invitations.invite.mutate({ workspaceId, email, role });

  it("invite → the invitee previews and accepts: a member with the invited role, on the very next request", async () => {
    const ina = await app.signUp("Ina Invitee");
    // Looked up (and cached as "not a member") before the invitation exists.
    expect((await errorOf(ina.client.contacts.list.query({ workspaceId }))).code).toBe("NOT_FOUND");
    const { invitation, link } = await invite(admin, ina.email.toUpperCase(), "admin");
    expect(link).toMatch(/^\/invite#[A-Za-z0-9_-]{43}$/);
    expect(invitation).toMatchObject({ email: ina.email, role: "admin" });
    expect(invitation.expiresAt.getTime()).toBe(clock.now().getTime() + 7 * DAY_MS);
    expect(
      (await owner.client.invitations.listPending.query({ workspaceId })).map((i) => [
        i.email,
        i.role,
        i.invitedByName,
      ]),
    ).toEqual([[ina.email, "admin", "Adam Admin"]]);

    const token = invitationToken(link);
    expect(await ina.client.invitations.preview.query({ token })).toMatchObject({
      id: invitation.id,
      workspaceId,
      workspaceName: "Invited Team",
      role: "admin",
      invitedByName: "Adam Admin",
      state: "pending",
    });
    expect(await ina.client.invitations.accept.mutate({ token })).toEqual({
      workspaceId,
      workspaceName: "Invited Team",
      role: "admin",
    });
    expect((await ina.client.contacts.list.query({ workspaceId })).items).toEqual([]);
    expect(await ina.client.workspaces.list.query()).toEqual([
      expect.objectContaining({ id: workspaceId, role: "admin" }),
    ]);
    expect(await owner.client.invitations.listPending.query({ workspaceId })).toEqual([]);

    const audit =
      await app.sql`SELECT action, actor_id, target_id, metadata FROM audit_log WHERE workspace_id = ${workspaceId} AND (target_id = ${invitation.id} OR target_id = ${ina.userId}) ORDER BY id`;
    expect(audit.map((r) => [r.action, r.actor_id])).toEqual([
      ["invitation.created", admin.userId],
      ["invitation.accepted", ina.userId],
      ["member.added", ina.userId],
    ]);
    expect(audit[2]!.metadata).toEqual({ role: "admin", invitationId: invitation.id, invitedBy: admin.userId });
    const events =
      await app.sql`SELECT type, payload FROM domain_events WHERE workspace_id = ${workspaceId} AND (payload->>'invitationId' = ${invitation.id} OR payload->>'userId' = ${ina.userId}) ORDER BY id`;
    expect(events.map((e) => e.type)).toEqual(["invitation.created", "invitation.accepted", "member.added"]);
    // Ids and roles only: the address is in no event and no audit entry.
    expect(JSON.stringify([...audit, ...events])).not.toContain(ina.email);
  });

  it("only a hash of the token is stored, and the token is nowhere in the database", async () => {
    const { invitation, link } = await invite(owner, `hash-${randomUUID()}@example.com`);
    const token = invitationToken(link);
    const [row] = await app.sql`SELECT token_hash FROM workspace_invitations WHERE id = ${invitation.id}`;
    expect(row!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const [dump] =
      await app.sql`SELECT (SELECT string_agg(t::text, '') FROM workspace_invitations t) || (SELECT string_agg(a::text, '') FROM audit_log a) || (SELECT string_agg(e::text, '') FROM domain_events e) AS text`;
    expect(dump!.text).not.toContain(token);
  });

  it("accepting needs the invited address: another account holding the link is refused and the invitation stays open", async () => {
    const [invitee, eve] = await Promise.all([app.signUp("Ivo"), app.signUp("Eve")]);
    const { link } = await invite(owner, invitee.email);
    const token = invitationToken(link);
    for (const call of [
      () => eve.client.invitations.preview.query({ token }),
      () => eve.client.invitations.accept.mutate({ token }),
      () => eve.client.invitations.decline.mutate({ token }),
    ]) {
      const error = await errorOf(call());
      expect(error.code).toBe("FORBIDDEN");
      expect(error.message).toMatch(/another address/);
      expect(JSON.stringify(error)).not.toContain(invitee.email);
    }
    expect(await eve.client.workspaces.list.query()).toEqual([]);
    expect((await invitee.client.invitations.preview.query({ token })).state).toBe("pending");
    await invitee.client.invitations.accept.mutate({ token });
  });

  it("a link is single-use", async () => {
    const una = await app.signUp("Una Once");
    const { link } = await invite(owner, una.email);
    const token = invitationToken(link);
    await una.client.invitations.accept.mutate({ token });
    const again = await errorOf(una.client.invitations.accept.mutate({ token }));
    expect(again.code).toBe("CONFLICT");
    expect(again.data.details).toEqual({ state: "accepted" });
    expect((await errorOf(una.client.invitations.decline.mutate({ token }))).code).toBe("CONFLICT");
    // Two accepts at once: exactly one joins.
    const duo = await app.signUp("Duo");
    const second = invitationToken((await invite(owner, duo.email)).link);
    const results = await Promise.allSettled([
      duo.client.invitations.accept.mutate({ token: second }),
      duo.client.invitations.accept.mutate({ token: second }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const [events] =
      await app.sql`SELECT count(*)::int AS n FROM domain_events WHERE type = 'member.added' AND payload->>'userId' = ${duo.userId}`;
    expect(events!.n).toBe(1);
  });

  it("declining: no membership, the link is used up", async () => {
    const dora = await app.signUp("Dora Declines");
    const { invitation, link } = await invite(owner, dora.email);
    const token = invitationToken(link);
    expect(await dora.client.invitations.decline.mutate({ token })).toEqual({ id: invitation.id, status: "declined" });
    expect((await dora.client.invitations.preview.query({ token })).state).toBe("declined");
    expect((await errorOf(dora.client.invitations.accept.mutate({ token }))).data.details).toEqual({
      state: "declined",
    });
    expect(await dora.client.workspaces.list.query()).toEqual([]);
    expect((await owner.client.invitations.listPending.query({ workspaceId })).map((i) => i.id)).not.toContain(
      invitation.id,
    );
  });

  it("revoking: gone from the pending list, the link stops working; inviting again replaces the open invitation", async () => {
    const rex = await app.signUp("Rex Revoked");
    const first = await invite(admin, rex.email);
    const second = await invite(admin, rex.email, "admin");
    // The first link was replaced by the second.
    expect(
      (await errorOf(rex.client.invitations.accept.mutate({ token: invitationToken(first.link) }))).data.details,
    ).toEqual({ state: "revoked" });
    expect(
      (await owner.client.invitations.listPending.query({ workspaceId }))
        .filter((i) => i.email === rex.email)
        .map((i) => i.id),
    ).toEqual([second.invitation.id]);

    expect(await admin.client.invitations.revoke.mutate({ workspaceId, invitationId: second.invitation.id })).toEqual({
      id: second.invitation.id,
      status: "revoked",
    });
    expect(
      (await owner.client.invitations.listPending.query({ workspaceId })).filter((i) => i.email === rex.email),
    ).toEqual([]);
    expect((await rex.client.invitations.preview.query({ token: invitationToken(second.link) })).state).toBe("revoked");
    expect((await errorOf(rex.client.invitations.accept.mutate({ token: invitationToken(second.link) }))).code).toBe(
      "CONFLICT",
    );
    expect(
      (await errorOf(admin.client.invitations.revoke.mutate({ workspaceId, invitationId: second.invitation.id }))).code,
    ).toBe("NOT_FOUND");
    expect(await rex.client.workspaces.list.query()).toEqual([]);
    const audit = await app.sql`SELECT action FROM audit_log WHERE target_id = ${second.invitation.id} ORDER BY id`;
    expect(audit.map((r) => r.action)).toEqual(["invitation.created", "invitation.revoked"]);
  });

  it("expiry: after INVITATION_TTL_DAYS the link no longer works, it leaves the pending list, and the daily job deletes it", async () => {
    const late = await app.signUp("Leo Late");
    const { invitation, link } = await invite(owner, late.email);
    const token = invitationToken(link);
    clock.advance(7 * DAY_MS - 1);
    const leo = await app.signIn(late);
    expect((await leo.client.invitations.preview.query({ token })).state).toBe("pending");
    clock.advance(1);
    const [leoNow, ownerNow] = await Promise.all([app.signIn(late), app.signIn(owner)]);
    expect((await leoNow.client.invitations.preview.query({ token })).state).toBe("expired");
    const expired = await errorOf(leoNow.client.invitations.accept.mutate({ token }));
    expect(expired.code).toBe("CONFLICT");
    expect(expired.message).toMatch(/expired/);
    expect((await ownerNow.client.invitations.listPending.query({ workspaceId })).map((i) => i.id)).not.toContain(
      invitation.id,
    );

    const { deleted } = await app.runtime.services.invitations.purgeExpired();
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(await app.sql`SELECT id FROM workspace_invitations WHERE id = ${invitation.id}`).toEqual([]);
    // Nothing younger than the lifetime is deleted.
    expect(
      (await app.sql`SELECT count(*)::int AS n FROM workspace_invitations WHERE expires_at > ${clock.now()}`)[0]!.n,
    ).toBe(0);
    expect((await errorOf(leoNow.client.invitations.preview.query({ token }))).code).toBe("NOT_FOUND");
    owner = ownerNow;
    [admin, member] = await Promise.all([app.signIn(admin), app.signIn(member)]);
  });

  it("the answer is the same whether or not the address has an account", async () => {
    const registered = await app.signUp("Has Account");
    const unknown = `nobody-${randomUUID()}@example.com`;
    const shape = (value: unknown): unknown =>
      value instanceof Date
        ? "date"
        : value && typeof value === "object"
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]))
          : typeof value;
    const a = await invite(owner, registered.email);
    const b = await invite(owner, unknown);
    expect(shape(a)).toEqual(shape(b));
    expect(Object.keys(a.invitation).sort()).toEqual(["createdAt", "email", "expiresAt", "id", "role"]);
    expect(a.invitation.expiresAt.getTime() - a.invitation.createdAt.getTime()).toBe(
      b.invitation.expiresAt.getTime() - b.invitation.createdAt.getTime(),
    );
    // Nor does the pending list tell them apart.
    const pending = await owner.client.invitations.listPending.query({ workspaceId });
    const [pa, pb] = [pending.find((i) => i.email === registered.email)!, pending.find((i) => i.email === unknown)!];
    expect(shape(pa)).toEqual(shape(pb));
    // Only an address that is already a member of this workspace (visible in its member list) is refused.
    expect((await errorOf(invite(owner, member.email))).code).toBe("CONFLICT");
  });

  it("members cannot invite or see invitations; admins cannot invite owners or withdraw owner invitations", async () => {
    expect((await errorOf(invite(member, "someone@example.com"))).code).toBe("FORBIDDEN");
    expect((await errorOf(member.client.invitations.listPending.query({ workspaceId }))).code).toBe("FORBIDDEN");
    expect((await errorOf(invite(admin, "future-owner@example.com", "owner"))).code).toBe("FORBIDDEN");
    const ownerInvite = await invite(owner, "future-owner@example.com", "owner");
    expect(
      (await errorOf(member.client.invitations.revoke.mutate({ workspaceId, invitationId: ownerInvite.invitation.id })))
        .code,
    ).toBe("FORBIDDEN");
    expect(
      (await errorOf(admin.client.invitations.revoke.mutate({ workspaceId, invitationId: ownerInvite.invitation.id })))
        .code,
    ).toBe("FORBIDDEN");
    await owner.client.invitations.revoke.mutate({ workspaceId, invitationId: ownerInvite.invitation.id });
  });

  it("another workspace's invitations are out of reach", async () => {
    const other = await app.signUp("Other Owner");
    const otherWs = (await other.client.workspaces.create.mutate({ name: "Elsewhere" })).id;
    const theirs = await other.client.invitations.invite.mutate({
      workspaceId: otherWs,
      email: "their-guest@example.com",
    });
    expect(
      (await errorOf(owner.client.invitations.revoke.mutate({ workspaceId, invitationId: theirs.invitation.id }))).code,
    ).toBe("NOT_FOUND");
    expect(
      (
        await errorOf(
          owner.client.invitations.revoke.mutate({ workspaceId: otherWs, invitationId: theirs.invitation.id }),
        )
      ).code,
    ).toBe("NOT_FOUND");
    const listed = await errorOf(owner.client.invitations.listPending.query({ workspaceId: otherWs }));
    expect(listed.code).toBe("NOT_FOUND");
    expect(JSON.stringify(listed)).not.toContain("their-guest@example.com");
    expect((await other.client.invitations.listPending.query({ workspaceId: otherWs })).map((i) => i.id)).toEqual([
      theirs.invitation.id,
    ]);
  });

  it("bad tokens and inputs are 4xx", async () => {
    expect((await errorOf(member.client.invitations.preview.query({ token: "short" }))).code).toBe("BAD_REQUEST");
    expect((await errorOf(member.client.invitations.accept.mutate({ token: "x".repeat(43) }))).code).toBe("NOT_FOUND");
    expect((await errorOf(app.client().invitations.accept.mutate({ token: "x".repeat(43) }))).code).toBe(
      "UNAUTHORIZED",
    );
    expect((await errorOf(owner.client.invitations.invite.mutate({ workspaceId, email: "not an address" }))).code).toBe(
      "BAD_REQUEST",
    );
    expect(
      (
        await errorOf(
          owner.client.invitations.invite.mutate({ workspaceId, email: "a@example.com", role: "king" as never }),
        )
      ).code,
    ).toBe("BAD_REQUEST");
  });

  it("GDPR: an account's export lists the invitations sent to it; erasing the account deletes them", async () => {
    const gina = await app.signUp("Gina Gdpr");
    const { invitation } = await invite(owner, gina.email);
    const file = app.runtime.services.privacy
      .exportFiles({ kind: "user", userId: gina.userId })
      .find((f) => f.file === "invitations.json")!;
    expect(file.single).toBe(true);
    const rows = file.single
      ? ((await file.read(app.runtime.database.db)) as { id: string; email: string; workspaceName: string }[])
      : [];
    expect(rows).toEqual([
      expect.objectContaining({
        id: invitation.id,
        email: gina.email,
        workspaceName: "Invited Team",
        status: "pending",
      }),
    ]);

    await app.runtime.database.db.transaction((tx) =>
      app.runtime.services.privacy.eraseSubject(
        tx,
        { kind: "user", userId: gina.userId },
        { operationId: randomUUID(), now: clock.now() },
      ),
    );
    expect(
      await app.sql`SELECT id FROM workspace_invitations WHERE id = ${invitation.id} OR email = ${gina.email}`,
    ).toEqual([]);
  });
});
