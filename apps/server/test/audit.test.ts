import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { joinWorkspace } from "./support/members";

describe("audit log", () => {
  let app: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createTestApp();
    [owner, member] = await Promise.all([app.signUp(), app.signUp()]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Audited" })).id;
    await joinWorkspace(owner, workspaceId, member);
  });
  afterAll(() => app.close());

  it("the database rejects UPDATE, DELETE and TRUNCATE", async () => {
    const [row] = await app.sql`SELECT id FROM audit_log LIMIT 1`;
    await expect(app.sql`UPDATE audit_log SET action = 'forged' WHERE id = ${row!.id}`).rejects.toThrow(/append-only/);
    await expect(app.sql`DELETE FROM audit_log WHERE id = ${row!.id}`).rejects.toThrow(/append-only/);
    await expect(app.sql`TRUNCATE audit_log`).rejects.toThrow(/append-only/);
    expect(await app.sql`SELECT id FROM audit_log WHERE id = ${row!.id} AND action <> 'forged'`).toHaveLength(1);
  });

  it("audit.list is for owners and admins, newest first, paginated and filterable", async () => {
    expect((await errorOf(member.client.audit.list.query({ workspaceId }))).code).toBe("FORBIDDEN");
    const page = await owner.client.audit.list.query({ workspaceId, limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.action).toBe("member.added");
    const next = await owner.client.audit.list.query({ workspaceId, limit: 3, cursor: page.nextCursor });
    expect(next.items.map((i) => i.action)).toEqual(["invitation.accepted", "invitation.created", "workspace.created"]);
    expect(next.nextCursor).toBeNull();
    const filtered = await owner.client.audit.list.query({ workspaceId, action: "workspace.created" });
    expect(filtered.items.map((i) => i.action)).toEqual(["workspace.created"]);
    expect(filtered.items[0]!.userAgent).toBeTruthy();
  });
});

describe.each(["postgres", "pglite"] as const)("members' sign-ins on the audit page on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let stranger: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createTestApp({ driver });
    [owner, member, stranger] = await Promise.all([app.signUp("Owner"), app.signUp("Member"), app.signUp("Stranger")]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: "Signed in" })).id;
  }, 120_000);
  afterAll(() => app?.close());

  it("lists a member's sign-ins and failed sign-ins from the time they joined, never a stranger's, merged into the pages", async () => {
    // Before joining: the workspace is none of its business.
    await app.signIn(member);
    await joinWorkspace(owner, workspaceId, member);
    await app.signIn(member);
    await errorOf(app.client().auth.login.mutate({ email: member.email, password: "not the password" }));
    await app.signIn(stranger);
    await errorOf(app.client().auth.login.mutate({ email: stranger.email, password: "not the password" }));

    const all = await owner.client.audit.list.query({ workspaceId, limit: 100 });
    const signIns = all.items.filter((entry) => entry.action.startsWith("auth."));
    expect(signIns.map((entry) => [entry.action, entry.actorId])).toEqual([
      ["auth.login_failed", member.userId],
      ["auth.login", member.userId],
    ]);
    expect(signIns[0]!.userAgent).toBeTruthy();

    const logins = await owner.client.audit.list.query({ workspaceId, action: "auth.login" });
    expect(logins.items.map((entry) => [entry.action, entry.actorId])).toEqual([["auth.login", member.userId]]);
    const byMember = await owner.client.audit.list.query({ workspaceId, actorId: member.userId });
    expect(byMember.items.map((entry) => entry.action)).toEqual([
      "auth.login_failed",
      "auth.login",
      "member.added",
      "invitation.accepted",
    ]);

    // One entry a page: the same entries in the same order, whichever source each comes from.
    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: number }[]; nextCursor: string | null } = await owner.client.audit.list.query({
        workspaceId,
        limit: 1,
        cursor,
      });
      paged.push(...page.items.map((entry) => entry.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.items.map((entry) => entry.id));
  });
});
