/**
 * Follow-ups (tasks): create from a contact or a timeline item, assign to members, list mine or
 * everyone's by when they are due (in the caller's time zone), complete and reopen, the due
 * reminder that fires once — on Postgres and PGlite — and the GDPR and authorization rules.
 */
import { ManualClock } from "@rapport/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, createTestApp, errorOf, type SignedInUser, type TestApp, type TestDriver } from "./support/app";
import { joinWorkspace } from "./support/members";
import { until } from "./support/until";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const A = Date.UTC(2026, 5, 30, 12); // noon UTC; already 1 July in Auckland (UTC+12)
const drivers: TestDriver[] = ["postgres", "pglite"];

describe.each(drivers)("tasks on %s", (driver) => {
  let app: TestApp;
  let owner: SignedInUser;
  let member: SignedInUser;
  let workspaceId: string;
  let anaId: string;
  let benId: string;
  let emailId: string;
  const clock = new ManualClock(new Date(A));

  const titles = async (as: SignedInUser, input: Record<string, unknown>) =>
    (await as.client.tasks.list.query({ workspaceId, ...input })).items.map((task) => task.title);
  const dueEvents = () =>
    app.query<{ payload: { taskId: string; userId: string } }>`
      SELECT payload FROM domain_events WHERE workspace_id = ${workspaceId} AND type = 'task.due' ORDER BY id`;

  beforeAll(async () => {
    // The API role: no worker runs the every-minute reminder, which fires on the wall clock and
    // would remind follow-ups between a test's steps. The tests run it at the times `clock` sets.
    app = await createTestApp({ driver, clock, role: "api" });
    [owner, member] = await Promise.all([app.signUp("Owner"), app.signUp("Member")]);
    workspaceId = (await owner.client.workspaces.create.mutate({ name: `Tasks on ${driver}` })).id;
    await joinWorkspace(owner, workspaceId, member);
    anaId = (await owner.client.contacts.create.mutate({ workspaceId, name: "Ana Lima", email: "ana@tasks.example" }))
      .id;
    benId = (await owner.client.contacts.create.mutate({ workspaceId, name: "Ben", email: "ben@tasks.example" })).id;
    emailId = (
      await owner.client.interactions.create.mutate({
        workspaceId,
        contactId: anaId,
        type: "email",
        direction: "inbound",
        occurredAt: new Date(A - DAY),
        subject: "Proposal",
      })
    ).interaction.id;
  });
  afterAll(() => app?.close());

  it("creates follow-ups about a contact and a timeline item, assigned to a member", async () => {
    const task = await owner.client.tasks.create.mutate({
      workspaceId,
      title: "Follow up on the proposal",
      dueAt: new Date(A + 3 * DAY),
      contactId: anaId,
      interactionId: emailId,
      assigneeId: member.userId,
    });
    expect(task).toMatchObject({ contactId: anaId, interactionId: emailId, assigneeId: member.userId });
    await owner.client.tasks.create.mutate({ workspaceId, title: "Overdue call", dueAt: new Date(A - HOUR) });
    await owner.client.tasks.create.mutate({ workspaceId, title: "Later today", dueAt: new Date(A + 6 * HOUR) });
    await owner.client.tasks.create.mutate({ workspaceId, title: "Auckland morning", dueAt: new Date(A + 13 * HOUR) });

    // Mine: assigned to me, or unassigned and created by me.
    expect(await titles(member, { assignee: "me" })).toEqual(["Follow up on the proposal"]);
    expect(await titles(owner, { assignee: "me" })).toEqual(["Overdue call", "Later today", "Auckland morning"]);
    expect(await titles(member, { assignee: "all" })).toHaveLength(4);
    const [listed] = (await member.client.tasks.list.query({ workspaceId, contactId: anaId, assignee: "all" })).items;
    expect(listed).toMatchObject({ contactName: "Ana Lima", overdue: false, dueAt: new Date(A + 3 * DAY) });
  });

  it("overdue, today and upcoming follow the caller's calendar day", async () => {
    expect(await titles(owner, { view: "overdue" })).toEqual(["Overdue call"]);
    expect(await titles(owner, { view: "today" })).toEqual(["Later today"]);
    expect(await titles(owner, { view: "upcoming" })).toEqual(["Auckland morning"]);
    // In Auckland it is already 1 July: both are due today there.
    expect(await titles(owner, { view: "today", timeZone: "Pacific/Auckland" })).toEqual([
      "Later today",
      "Auckland morning",
    ]);
    expect(await codeOf(owner.client.tasks.list.query({ workspaceId, timeZone: "Mars/Olympus" }))).toBe("BAD_REQUEST");
  });

  it("complete and reopen, each once; edits say what changed", async () => {
    const [overdue] = (await owner.client.tasks.list.query({ workspaceId, view: "overdue" })).items;
    const done = await owner.client.tasks.complete.mutate({ workspaceId, taskId: overdue!.id });
    expect(done.completedBy).toBe(owner.userId);
    expect(await codeOf(owner.client.tasks.complete.mutate({ workspaceId, taskId: overdue!.id }))).toBe("CONFLICT");
    expect(await titles(owner, { view: "done" })).toEqual(["Overdue call"]);
    expect(await titles(owner, { view: "overdue" })).toEqual([]);
    await owner.client.tasks.reopen.mutate({ workspaceId, taskId: overdue!.id });
    expect(await titles(owner, { view: "overdue" })).toEqual(["Overdue call"]);

    const updated = await owner.client.tasks.update.mutate({
      workspaceId,
      taskId: overdue!.id,
      patch: { title: "Call Ben", contactId: benId, assigneeId: member.userId },
    });
    expect(updated).toMatchObject({ title: "Call Ben", contactId: benId, assigneeId: member.userId });
    const [event] = await app.query<{ payload: { fields: string[] } }>`
      SELECT payload FROM domain_events WHERE type = 'task.updated' AND workspace_id = ${workspaceId}`;
    expect(event!.payload.fields.sort()).toEqual(["assigneeId", "contactId", "title"]);
  });

  it("the due reminder fires once per due date, for the assignee or the creator", async () => {
    const before = (await dueEvents()).length;
    expect(await app.runtime.services.tasks.remindDue()).toEqual({ reminded: 1 }); // "Call Ben", due an hour ago
    expect(await app.runtime.services.tasks.remindDue()).toEqual({ reminded: 0 });
    const events = await dueEvents();
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)!.payload.userId).toBe(member.userId);
    // The member hears of it: first that the owner assigned them a follow-up, then that it is due.
    const kinds = await until("the due notification", async () => {
      const { items } = await member.client.notifications.list.query({});
      const found = items.map((n) => n.kind);
      return found.includes("task.due") ? found : null;
    });
    expect(kinds.filter((kind) => kind.startsWith("task."))).toEqual(["task.due", "task.assigned"]);

    clock.advance(7 * HOUR); // "Later today" is due now
    try {
      // Access tokens are short-lived: sign in again at the new time.
      const [ownerLater, memberLater] = [await app.signIn(owner), await app.signIn(member)];
      expect(await app.runtime.services.tasks.remindDue()).toEqual({ reminded: 1 });
      // A new due date earns a new reminder; a completed follow-up gets none.
      const [callBen] = (await memberLater.client.tasks.list.query({ workspaceId, view: "overdue" })).items;
      await memberLater.client.tasks.update.mutate({
        workspaceId,
        taskId: callBen!.id,
        patch: { dueAt: new Date(A + 7 * HOUR - 1) },
      });
      const [laterToday] = (await ownerLater.client.tasks.list.query({ workspaceId, view: "overdue" })).items.filter(
        (task) => task.title === "Later today",
      );
      await ownerLater.client.tasks.complete.mutate({ workspaceId, taskId: laterToday!.id });
      expect(await app.runtime.services.tasks.remindDue()).toEqual({ reminded: 1 });
      expect((await dueEvents()).length).toBe(before + 3);
    } finally {
      clock.set(new Date(A));
    }
  });

  it("refuses a non-member assignee, another contact's timeline item, a restricted contact, a forged cursor", async () => {
    const outsider = await app.signUp("Outsider");
    const notMember = await errorOf(
      owner.client.tasks.create.mutate({ workspaceId, title: "x", dueAt: new Date(A), assigneeId: outsider.userId }),
    );
    expect(notMember.code).toBe("BAD_REQUEST");
    expect(
      await codeOf(
        owner.client.tasks.create.mutate({
          workspaceId,
          title: "x",
          dueAt: new Date(A),
          contactId: benId,
          interactionId: emailId,
        }),
      ),
    ).toBe("BAD_REQUEST");
    await owner.client.gdpr.restrictContact.mutate({ workspaceId, contactId: benId });
    try {
      expect(
        await codeOf(
          owner.client.tasks.create.mutate({ workspaceId, title: "x", dueAt: new Date(A), contactId: benId }),
        ),
      ).toBe("FORBIDDEN");
    } finally {
      await owner.client.gdpr.unrestrictContact.mutate({ workspaceId, contactId: benId });
    }
    expect(await codeOf(owner.client.tasks.list.query({ workspaceId, cursor: "bm90LWEtY3Vyc29y" }))).toBe(
      "BAD_REQUEST",
    );
    const own = (await outsider.client.workspaces.create.mutate({ name: "Elsewhere" })).id;
    const [task] = (await owner.client.tasks.list.query({ workspaceId, assignee: "all" })).items;
    expect(await codeOf(outsider.client.tasks.list.query({ workspaceId }))).toBe("NOT_FOUND");
    expect(await codeOf(outsider.client.tasks.complete.mutate({ workspaceId: own, taskId: task!.id }))).toBe(
      "NOT_FOUND",
    );
  });

  it("erasing a contact deletes the follow-ups about them; deleting one is an event", async () => {
    const before = await app.query<{ n: number }>`SELECT count(*)::int AS n FROM tasks WHERE contact_id = ${anaId}`;
    expect(before[0]!.n).toBe(1);
    await owner.client.gdpr.eraseContact.mutate({ workspaceId, contactId: anaId, reason: "Art. 17 request" });
    const after = await app.query<{ n: number }>`SELECT count(*)::int AS n FROM tasks WHERE contact_id = ${anaId}`;
    expect(after[0]!.n).toBe(0);
    const [task] = (await owner.client.tasks.list.query({ workspaceId, assignee: "all" })).items;
    await owner.client.tasks.delete.mutate({ workspaceId, taskId: task!.id });
    expect(await codeOf(owner.client.tasks.delete.mutate({ workspaceId, taskId: task!.id }))).toBe("NOT_FOUND");
  });
  it("a member who leaves or is removed hands their open follow-ups back to whoever set them, or to nobody, in that transaction", async () => {
    const [leaver, removed] = await Promise.all([app.signUp("Leaver"), app.signUp("Removed")]);
    await joinWorkspace(owner, workspaceId, leaver);
    await joinWorkspace(owner, workspaceId, removed);
    const create = async (as: SignedInUser, title: string, assigneeId?: string, dueAt = new Date(A + DAY)) =>
      (await as.client.tasks.create.mutate({ workspaceId, title, dueAt, assigneeId })).id;
    const ownerAskedRemoved = await create(owner, "Owner asked Removed", removed.userId);
    const ownerAskedLeaver = await create(owner, "Owner asked Leaver", leaver.userId);
    const leaversOwn = await create(leaver, "Leaver's own", leaver.userId);
    const leaverDid = await create(owner, "Leaver did this", leaver.userId);
    await leaver.client.tasks.complete.mutate({ workspaceId, taskId: leaverDid });
    const leaverAskedOwner = await create(leaver, "Leaver asked Owner", owner.userId);
    const removedAskedLeaver = await create(removed, "Removed asked Leaver", leaver.userId);
    const leaversUnassigned = await create(leaver, "Leaver's unassigned, due", undefined, new Date(A - HOUR));
    const assignees = async () =>
      Object.fromEntries(
        (
          await app.query<{ id: string; assignee_id: string | null }>`
            SELECT id, assignee_id FROM tasks WHERE workspace_id = ${workspaceId}`
        ).map((row) => [row.id, row.assignee_id]),
      );
    // The follow-up events committed with a member's removal.
    const releasedWith = async (userId: string) =>
      (
        await app.query<{ task_id: string; actor_id: string }>`
          SELECT e.payload->>'taskId' AS task_id, e.actor_id FROM domain_events e
          JOIN domain_events m ON m.tx_id = e.tx_id AND m.type = 'member.removed' AND m.payload->>'userId' = ${userId}
          WHERE e.type = 'task.updated' AND e.workspace_id = ${workspaceId} AND e.payload->'fields' = '["assigneeId"]'::jsonb`
      )
        .map((row) => [row.task_id, row.actor_id])
        .sort();

    // Removed by an owner: their follow-up goes back to the owner who set it.
    await owner.client.workspaces.removeMember.mutate({ workspaceId, userId: removed.userId });
    expect((await assignees())[ownerAskedRemoved]).toBe(owner.userId);
    expect(await releasedWith(removed.userId)).toEqual([[ownerAskedRemoved, owner.userId]]);

    // Leaving: to the creator if still a member; their own and the removed member's to nobody.
    await leaver.client.workspaces.removeMember.mutate({ workspaceId, userId: leaver.userId });
    const after = await assignees();
    expect(after[ownerAskedLeaver]).toBe(owner.userId);
    expect(after[leaversOwn]).toBeNull();
    expect(after[removedAskedLeaver]).toBeNull();
    expect(after[leaverDid]).toBe(leaver.userId); // done: history stays as it was
    expect(after[leaverAskedOwner]).toBe(owner.userId);
    expect(await releasedWith(leaver.userId)).toEqual(
      [ownerAskedLeaver, leaversOwn, removedAskedLeaver].map((id) => [id, leaver.userId]).sort(),
    );
    const ownersNow = (await titles(owner, { assignee: "me" })).filter((title) => title.startsWith("Owner asked"));
    expect(ownersNow.sort()).toEqual(["Owner asked Leaver", "Owner asked Removed"]);

    // Nobody is reminded on behalf of someone who left: the due event names no one.
    await app.runtime.services.tasks.remindDue();
    const due = (await dueEvents()).find((event) => event.payload.taskId === leaversUnassigned);
    expect(due?.payload.userId).toBeNull();
  });
});
