import { appRouter } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { joinWorkspace } from "./support/members";

describe("workspaces and members", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let admin: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createTestApp();
    [owner, admin, member] = await Promise.all([
      app.signUp("Olga Owner"),
      app.signUp("Adam Admin"),
      app.signUp("Mia Member"),
    ]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Team" })).id;
    await joinWorkspace(owner, workspaceId, admin, "admin");
    await joinWorkspace(owner, workspaceId, member);
  });
  afterAll(() => app.close());

  it("lists my workspaces with my role, and members with theirs", async () => {
    expect(await member.client.workspaces.list.query()).toEqual([
      expect.objectContaining({ id: workspaceId, name: "Team", role: "member" }),
    ]);
    const members = await member.client.workspaces.members.query({ workspaceId });
    expect(Object.fromEntries(members.map((m) => [m.userId, m.role]))).toEqual({
      [owner.userId]: "owner",
      [admin.userId]: "admin",
      [member.userId]: "member",
    });
    const me = await admin.client.auth.me.query();
    expect(me.workspaces).toEqual([{ id: workspaceId, name: "Team", role: "admin" }]);
  });

  it("workspaces.addMember is gone: nobody is added without consent (see invitations.test.ts)", () => {
    expect(Object.keys(appRouter._def.procedures)).not.toContain("workspaces.addMember");
  });

  it("admins manage members but cannot create, demote or remove owners", async () => {
    const extra = await app.signUp();
    await joinWorkspace(admin, workspaceId, extra);
    expect(
      (await errorOf(admin.client.workspaces.setRole.mutate({ workspaceId, userId: extra.userId, role: "owner" })))
        .code,
    ).toBe("FORBIDDEN");
    expect(
      (await errorOf(admin.client.workspaces.setRole.mutate({ workspaceId, userId: owner.userId, role: "member" })))
        .code,
    ).toBe("FORBIDDEN");
    expect(
      (await errorOf(admin.client.workspaces.removeMember.mutate({ workspaceId, userId: owner.userId }))).code,
    ).toBe("FORBIDDEN");
    expect(
      (
        await errorOf(
          admin.client.invitations.invite.mutate({ workspaceId, email: (await app.signUp()).email, role: "owner" }),
        )
      ).code,
    ).toBe("FORBIDDEN");
    await admin.client.workspaces.removeMember.mutate({ workspaceId, userId: extra.userId });
    expect((await errorOf(extra.client.contacts.list.query({ workspaceId }))).code).toBe("NOT_FOUND");
  });

  it("members cannot manage anyone but may leave", async () => {
    const leaver = await app.signUp();
    await joinWorkspace(owner, workspaceId, leaver);
    expect(
      (await errorOf(member.client.workspaces.removeMember.mutate({ workspaceId, userId: leaver.userId }))).code,
    ).toBe("FORBIDDEN");
    await leaver.client.workspaces.removeMember.mutate({ workspaceId, userId: leaver.userId });
    expect(await leaver.client.workspaces.list.query()).toEqual([]);
  });

  it("the last owner can neither leave nor be demoted; with two owners one may go", async () => {
    const leave = await errorOf(owner.client.workspaces.removeMember.mutate({ workspaceId, userId: owner.userId }));
    expect(leave.code).toBe("CONFLICT");
    expect(leave.message).toMatch(/last owner/);
    expect(
      (await errorOf(owner.client.workspaces.setRole.mutate({ workspaceId, userId: owner.userId, role: "admin" })))
        .code,
    ).toBe("CONFLICT");

    await owner.client.workspaces.setRole.mutate({ workspaceId, userId: admin.userId, role: "owner" });
    // Both owners try to step down at once: exactly one succeeds.
    const results = await Promise.allSettled([
      owner.client.workspaces.setRole.mutate({ workspaceId, userId: owner.userId, role: "admin" }),
      admin.client.workspaces.setRole.mutate({ workspaceId, userId: admin.userId, role: "admin" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const owners = (await member.client.workspaces.members.query({ workspaceId })).filter((m) => m.role === "owner");
    expect(owners).toHaveLength(1);
  });

  it("a role change takes effect on the next request", async () => {
    const user = await app.signUp();
    const [currentOwner] = (await member.client.workspaces.members.query({ workspaceId })).filter(
      (m) => m.role === "owner",
    );
    const ownerUser = currentOwner!.userId === owner.userId ? owner : admin;
    const ownerClient = ownerUser.client;
    await joinWorkspace(ownerUser, workspaceId, user, "admin");
    expect((await user.client.audit.list.query({ workspaceId })).items.length).toBeGreaterThan(0);
    await ownerClient.workspaces.setRole.mutate({ workspaceId, userId: user.userId, role: "member" });
    expect((await errorOf(user.client.audit.list.query({ workspaceId }))).code).toBe("FORBIDDEN");
  });

  it("membership changes are audited with actor, target and request metadata", async () => {
    const rows =
      await app.sql`SELECT action, actor_id, target_id, ip, metadata FROM audit_log WHERE workspace_id = ${workspaceId} AND action LIKE 'member.%' ORDER BY id`;
    expect(rows.length).toBeGreaterThanOrEqual(6);
    // The invitee joins by accepting: they are the actor, the inviter is recorded with the invitation.
    const added = rows.find((r) => r.action === "member.added" && r.target_id === admin.userId);
    expect(added).toMatchObject({ actor_id: admin.userId, metadata: { role: "admin", invitedBy: owner.userId } });
    expect(added!.ip).toMatch(/127\.0\.0\.1/);
  });

  it("validates names", async () => {
    expect((await errorOf(owner.client.workspaces.create.mutate({ name: "" }))).code).toBe("BAD_REQUEST");
    expect((await errorOf(owner.client.workspaces.create.mutate({ name: "x".repeat(101) }))).code).toBe("BAD_REQUEST");
  });
});
