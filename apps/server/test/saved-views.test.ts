/**
 * Saved views of the contacts list on Postgres and PGlite: a private view is seen only by
 * the member who saved it, a shared one by every member; only the owner changes a view; an
 * admin may delete a shared one; filters, sort and columns go through the list's own schema
 * (bad ones BAD_REQUEST, nothing written); the owner's erasure deletes private views and
 * leaves shared ones to the workspace.
 */
import { randomUUID } from "node:crypto";
import { createPrivacyRegistry } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { joinWorkspace } from "./support/members";

const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("saved views on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let admin: SignedInUser;
  let outsider: SignedInUser;
  let workspaceId: string;

  beforeAll(async () => {
    app = await createTestApp({ driver });
    [owner, member, admin, outsider] = await Promise.all([
      app.signUp("Owner"),
      app.signUp("Member"),
      app.signUp("Admin"),
      app.signUp("Outsider"),
    ]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: `Views on ${driver}` })).id;
    await joinWorkspace(owner, workspaceId, member, "member");
    await joinWorkspace(owner, workspaceId, admin, "admin");
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  const create = (as: SignedInUser, name: string, shared: boolean) =>
    as.client.views.create.mutate({
      workspaceId,
      name,
      shared,
      filters: { tag: "vip", company: "Acme", source: "manual" },
      sort: "name",
      columns: ["name", "company", "tags"],
    });
  const names = async (as: SignedInUser) => (await as.client.views.list.query({ workspaceId })).map((v) => v.name);

  it("a private view is listed only for its owner; a shared one for every member", async () => {
    const mine = await create(member, "My leads", false);
    await create(member, "Team customers", true);
    expect(mine).toMatchObject({
      name: "My leads",
      shared: false,
      mine: true,
      filters: { tag: "vip", company: "Acme", source: "manual" },
      sort: "name",
      columns: ["name", "company", "tags"],
    });
    expect(await names(member)).toEqual(["My leads", "Team customers"]);
    expect(await names(owner)).toEqual(["Team customers"]);
    const [shared] = await owner.client.views.list.query({ workspaceId });
    expect(shared).toMatchObject({ mine: false, ownerId: member.userId });
    expect(await errorOf(outsider.client.views.list.query({ workspaceId }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("another member cannot change or delete a view that is not theirs; a private one is not found", async () => {
    const privateView = await create(member, "Private", false);
    const sharedView = await create(member, "Shared", true);
    const rename = (as: SignedInUser, viewId: string) =>
      as.client.views.update.mutate({ workspaceId, viewId, patch: { name: "Taken over" } });
    expect((await errorOf(rename(owner, privateView.id))).code).toBe("NOT_FOUND");
    expect((await errorOf(rename(owner, sharedView.id))).code).toBe("FORBIDDEN");
    expect((await errorOf(owner.client.views.delete.mutate({ workspaceId, viewId: privateView.id }))).code).toBe(
      "NOT_FOUND",
    );
    // The workspace owner is an admin too: may tidy up a shared view, never a private one.
    expect((await errorOf(rename(admin, sharedView.id))).code).toBe("FORBIDDEN");
    // Nor may anyone but the owner take a shared view private (it would vanish for the others)
    // or replace its filters.
    for (const as of [owner, admin])
      for (const patch of [{ shared: false }, { filters: { search: "Taken" } }])
        expect(
          (await errorOf(as.client.views.update.mutate({ workspaceId, viewId: sharedView.id, patch }))).code,
          JSON.stringify(patch),
        ).toBe("FORBIDDEN");
    expect((await owner.client.views.list.query({ workspaceId })).find((v) => v.id === sharedView.id)).toMatchObject({
      shared: true,
      filters: { tag: "vip", company: "Acme", source: "manual" },
    });
    expect(await names(member)).toEqual(expect.arrayContaining(["Private", "Shared"]));

    const updated = await member.client.views.update.mutate({
      workspaceId,
      viewId: privateView.id,
      patch: { name: "Private renamed", shared: true, filters: { search: "Ana" }, columns: ["email"] },
    });
    expect(updated).toMatchObject({ name: "Private renamed", shared: true, filters: { search: "Ana" }, sort: "name" });
    expect(await names(owner)).toContain("Private renamed");

    await admin.client.views.delete.mutate({ workspaceId, viewId: sharedView.id });
    expect(await names(member)).not.toContain("Shared");
    await member.client.views.delete.mutate({ workspaceId, viewId: updated.id });
    expect(await names(member)).not.toContain("Private renamed");
  });

  it("a member who is not an admin cannot delete someone else's shared view", async () => {
    const view = await create(admin, "Admin's shared", true);
    expect((await errorOf(member.client.views.delete.mutate({ workspaceId, viewId: view.id }))).code).toBe("FORBIDDEN");
    expect(await names(member)).toContain("Admin's shared");
  });

  it("names are unique per owner (case-insensitive): a second one is a CONFLICT naming the name; another member may reuse it", async () => {
    await create(member, "Duplicates", false);
    const taken = await errorOf(create(member, "duplicates", true));
    expect(taken.code).toBe("CONFLICT");
    expect(taken.message).toBe('You already have a view named "duplicates"; choose another name.');
    expect(taken.data.details).toEqual({ field: "name" });
    await expect(create(owner, "Duplicates", false)).resolves.toMatchObject({ name: "Duplicates" });

    // Renaming onto a taken name is the same answer, and leaves the view as it was.
    const other = await create(member, "Others", false);
    const renamed = await errorOf(
      member.client.views.update.mutate({ workspaceId, viewId: other.id, patch: { name: "DUPLICATES" } }),
    );
    expect(renamed.code).toBe("CONFLICT");
    expect(renamed.message).toBe('You already have a view named "DUPLICATES"; choose another name.');
    expect(await names(member)).toContain("Others");
  });

  it("bad filters, sort or columns are refused with BAD_REQUEST and nothing is written", async () => {
    const before = await app.query<{ n: number }>`SELECT count(*)::int AS n FROM saved_views`;
    const bad = (overrides: Record<string, unknown>) =>
      errorOf(
        member.client.views.create.mutate({
          workspaceId,
          name: "Bad",
          shared: false,
          filters: {},
          sort: "name",
          columns: ["name"],
          ...overrides,
        } as never),
      );
    for (const overrides of [
      { filters: { tag: "" } },
      { filters: { source: "fax" } },
      { filters: { colour: "red" } },
      { filters: { deleted: true } },
      { filters: { company: "x".repeat(201) } },
      { sort: "random" },
      { columns: [] },
      { columns: ["name", "password_hash"] },
      { columns: ["name", "name"] },
      { name: " " },
    ])
      expect((await bad(overrides)).code, JSON.stringify(overrides)).toBe("BAD_REQUEST");
    const view = await create(member, "Fine", false);
    expect(
      (
        await errorOf(
          member.client.views.update.mutate({
            workspaceId,
            viewId: view.id,
            patch: { filters: { source: "fax" } },
          } as never),
        )
      ).code,
    ).toBe("BAD_REQUEST");
    expect((await errorOf(member.client.views.update.mutate({ workspaceId, viewId: view.id, patch: {} }))).code).toBe(
      "BAD_REQUEST",
    );
    const after = await app.query<{ n: number }>`SELECT count(*)::int AS n FROM saved_views`;
    expect(after[0]!.n).toBe(before[0]!.n + 1);
    const [stored] = await app.query<{ filters: unknown }>`SELECT filters FROM saved_views WHERE id = ${view.id}`;
    expect(stored!.filters).toEqual({ tag: "vip", company: "Acme", source: "manual" });
  });

  it("the owner's erasure deletes their private views and leaves their shared ones to the workspace", async () => {
    const leaver = await app.signUp("Leaver");
    await joinWorkspace(owner, workspaceId, leaver, "member");
    const privateView = await create(leaver, "Leaver private", false);
    const sharedView = await create(leaver, "Leaver shared", true);
    const handler = createPrivacyRegistry()
      .all()
      .find((h) => h.module === "views")!;
    await app.runtime.database.db.transaction(async (tx) => {
      await handler.eraseUser!(tx, leaver.userId, { operationId: randomUUID(), now: app.clock.now() });
    });
    expect(await app.query`SELECT 1 FROM saved_views WHERE id = ${privateView.id}`).toHaveLength(0);
    const [kept] = await app.query<{
      owner_id: string | null;
    }>`SELECT owner_id FROM saved_views WHERE id = ${sharedView.id}`;
    expect(kept).toEqual({ owner_id: null });
    // Nobody owns it now: an admin may delete it.
    await admin.client.views.delete.mutate({ workspaceId, viewId: sharedView.id });
  });
});
