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
