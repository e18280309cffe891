import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@rapport/api";
import type { RapportClient } from "@rapport/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorOf, type SignedInUser, type TestApp } from "./support/app";
import { invitationToken, joinWorkspace } from "./support/members";
import { dumpLines } from "./support/dump";

/**
 * Ownership transfer and workspace deletion: only an owner, confirmed by the
 * workspace's name, after the account-deletion grace period, cancellable; then
 * nothing of the workspace is left in any table, in Redis or in export storage,
 * except audit entries naming it by opaque id. A sole owner can then delete
 * their account.
 */
const DAY_MS = 86_400_000;

async function waitForExport(client: RapportClient, exportId: string) {
  for (let i = 0; i < 200; i++) {
    const status = await client.gdpr.exportStatus.query({ exportId });
    if (status.status === "completed") return status;
    if (status.status === "failed") throw new Error(`export failed: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("export did not complete");
}

describe("ownership transfer and workspace deletion", () => {
  // Starts at the real time: the export job compares its request time (this clock) with
  // erasure events stamped by the database's clock.
  const clock = new ManualClock(new Date());
  const exportDir = mkdtempSync(join(tmpdir(), "rapport-ws-delete-exports-"));
  let app: TestApp;
  let olga: SignedInUser; // owner
  let adam: SignedInUser; // admin
  let mia: SignedInUser; // member
  let outsider: SignedInUser;
  let workspaceId: string;
  const NAME = "Northwind Deletion Co";

  const signInAll = async () => {
    olga = await app.signIn(olga);
    adam = await app.signIn(adam);
    mia = await app.signIn(mia);
  };

  beforeAll(async () => {
    app = await createTestApp({ clock, env: { EXPORT_DIR: exportDir } });
    [olga, adam, mia, outsider] = await Promise.all([
      app.signUp("Olga Owner"),
      app.signUp("Adam Admin"),
      app.signUp("Mia Member"),
      app.signUp("Otto Outsider"),
    ]);
    workspaceId = (await olga.client.workspaces.create.mutate({ name: NAME })).id;
    await joinWorkspace(olga, workspaceId, adam, "admin");
    await joinWorkspace(olga, workspaceId, mia, "member");
  });
  afterAll(async () => {
    await app.close();
    rmSync(exportDir, { recursive: true, force: true });
  });

  const roles = async (client: RapportClient) =>
    Object.fromEntries((await client.workspaces.members.query({ workspaceId })).map((m) => [m.userId, m.role]));

  it("only an owner transfers ownership, to a member; the receiver becomes owner and the previous owner admin", async () => {
    expect(
      (await errorOf(adam.client.workspaces.transferOwnership.mutate({ workspaceId, userId: mia.userId }))).code,
    ).toBe("FORBIDDEN");
    expect(
      (await errorOf(mia.client.workspaces.transferOwnership.mutate({ workspaceId, userId: mia.userId }))).code,
    ).toBe("FORBIDDEN");
    expect(
      (await errorOf(olga.client.workspaces.transferOwnership.mutate({ workspaceId, userId: outsider.userId }))).code,
    ).toBe("NOT_FOUND");
    expect(
      (await errorOf(olga.client.workspaces.transferOwnership.mutate({ workspaceId, userId: olga.userId }))).code,
    ).toBe("BAD_REQUEST");

    expect(await olga.client.workspaces.transferOwnership.mutate({ workspaceId, userId: mia.userId })).toMatchObject({
      ownerId: mia.userId,
      yourRole: "admin",
    });
    expect(await roles(olga.client)).toEqual({ [olga.userId]: "admin", [adam.userId]: "admin", [mia.userId]: "owner" });
    // At once, not after the role cache's lifetime: Olga is no longer an owner.
    expect(
      (await errorOf(olga.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: NAME }))).code,
    ).toBe("FORBIDDEN");
    expect(
      (await errorOf(olga.client.workspaces.transferOwnership.mutate({ workspaceId, userId: adam.userId }))).code,
    ).toBe("FORBIDDEN");

    await mia.client.workspaces.transferOwnership.mutate({ workspaceId, userId: olga.userId });
    await olga.client.workspaces.setRole.mutate({ workspaceId, userId: mia.userId, role: "member" });
    expect(await roles(olga.client)).toEqual({
      [olga.userId]: "owner",
      [adam.userId]: "admin",
      [mia.userId]: "member",
    });
    const audit =
      await app.sql`SELECT actor_id, target_id, metadata FROM audit_log WHERE action = 'workspace.ownership_transferred' ORDER BY id`;
    expect(audit.map((a) => [a.actor_id, a.target_id])).toEqual([
      [olga.userId, mia.userId],
      [mia.userId, olga.userId],
    ]);
  });

  it("deletion needs an owner and the workspace's exact name; it is scheduled after the grace period, members see it, the workspace stays usable, and it can be cancelled", async () => {
    expect(
      (await errorOf(adam.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: NAME }))).code,
    ).toBe("FORBIDDEN");
    expect(
      (await errorOf(mia.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: NAME }))).code,
    ).toBe("FORBIDDEN");
    for (const wrong of [NAME.toLowerCase(), "DELETE", "", "Northwind"]) {
      const error = await errorOf(olga.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: wrong }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.data.details).toEqual({ path: ["confirmation"] });
    }
    expect(await mia.client.workspaces.deletionStatus.query({ workspaceId })).toEqual({ scheduled: null });

    const { link: pendingInvite } = await olga.client.invitations.invite.mutate({
      workspaceId,
      email: outsider.email,
      role: "member",
    });
    const scheduled = await olga.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: ` ${NAME} ` });
    expect(scheduled).toMatchObject({ status: "scheduled" });
    expect(scheduled.effectiveAt.getTime()).toBe(clock.now().getTime() + 30 * DAY_MS);
    expect(scheduled.warning).toMatch(/irreversibl/);
    // Asking again returns the same request.
    expect((await olga.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: NAME })).deletionId).toBe(
      scheduled.deletionId,
    );

    const seen = await mia.client.workspaces.deletionStatus.query({ workspaceId });
    expect(seen.scheduled).toMatchObject({
      deletionId: scheduled.deletionId,
      requestedBy: olga.userId,
      requestedByName: "Olga Owner",
    });
    expect(seen.scheduled!.effectiveAt.getTime()).toBe(scheduled.effectiveAt.getTime());
    // Still writable until it runs.
    await mia.client.contacts.create.mutate({ workspaceId, name: "Still Welcome", email: "still@welcome.example" });
    // Nobody joins a workspace that is about to go: an open invitation cannot be accepted, no new one sent.
    const refusedJoin = await errorOf(
      outsider.client.invitations.accept.mutate({ token: invitationToken(pendingInvite) }),
    );
    expect(refusedJoin.code).toBe("CONFLICT");
    expect(refusedJoin.message).toMatch(/scheduled for deletion/);
    expect(
      (
        await errorOf(
          olga.client.invitations.invite.mutate({ workspaceId, email: "late@joiner.example", role: "member" }),
        )
      ).code,
    ).toBe("CONFLICT");
    expect(
      await app.sql`SELECT 1 FROM memberships WHERE workspace_id = ${workspaceId} AND user_id = ${outsider.userId}`,
    ).toHaveLength(0);
    // The owner's request is in their own request history.
    const mine = await olga.client.gdpr.myOperations.query();
    expect(mine.find((op) => op.id === scheduled.deletionId)).toMatchObject({
      type: "workspace_deletion",
      status: "pending",
      subjectKind: "workspace",
      subjectId: workspaceId,
    });

    expect((await errorOf(adam.client.workspaces.cancelDeletion.mutate({ workspaceId }))).code).toBe("FORBIDDEN");
    expect(await olga.client.workspaces.cancelDeletion.mutate({ workspaceId })).toEqual({
      deletionId: scheduled.deletionId,
      status: "cancelled",
    });
    expect((await errorOf(olga.client.workspaces.cancelDeletion.mutate({ workspaceId }))).code).toBe("NOT_FOUND");
    expect(await mia.client.workspaces.deletionStatus.query({ workspaceId })).toEqual({ scheduled: null });
    // Cancelled: the open invitation works again.
    expect(await outsider.client.invitations.accept.mutate({ token: invitationToken(pendingInvite) })).toMatchObject({
      workspaceId,
      role: "member",
    });
    await olga.client.workspaces.removeMember.mutate({ workspaceId, userId: outsider.userId });

    clock.advance(31 * DAY_MS);
    await signInAll();
    expect(await app.runtime.services.workspaceDeletion.runDueDeletions()).toEqual({ executed: 0, failed: 0 });
    const feed = await mia.client.activity.list.query({
      workspaceId,
      types: ["workspace.deletion_scheduled", "workspace.deletion_cancelled"],
    });
    expect(feed.items.map((e) => e.type)).toEqual(["workspace.deletion_cancelled", "workspace.deletion_scheduled"]);
  });

  it("when it runs, every row, cache entry, Redis key, job and export file of the workspace is gone; the audit keeps opaque ids; other workspaces are untouched", async () => {
    // Past the database clock, which stamps the erasure event below (exports compare the two).
    clock.advance(DAY_MS);
    await signInAll();
    // Data in every corner: contacts, interactions with participants, settings, a restriction,
    // an erasure (suppression, operations), cache entries and statistics, a warm-up job, exports.
    const secrets = [
      "Zebulon Quasimodo",
      "zebulon@quasi.example",
      "+49 151 7777 1234",
      "Quasimodo Industries",
      "Hush-hush merger talk",
      "Philippa Participant",
      "philippa@part.example",
      "Erwin Erased",
      "erwin@erased.example",
      NAME,
    ];
    const zeb = await olga.client.contacts.create.mutate({
      workspaceId,
      name: "Zebulon Quasimodo",
      email: "zebulon@quasi.example",
      phone: "+49 151 7777 1234",
      company: "Quasimodo Industries",
    });
    const phil = await olga.client.contacts.create.mutate({
      workspaceId,
      name: "Philippa Participant",
      email: "philippa@part.example",
    });
    const erwin = await olga.client.contacts.create.mutate({
      workspaceId,
      name: "Erwin Erased",
      email: "erwin@erased.example",
    });
    for (let i = 0; i < 3; i++) {
      await mia.client.interactions.create.mutate({
        workspaceId,
        contactId: zeb.id,
        type: "meeting",
        direction: "outbound",
        occurredAt: new Date(clock.now().getTime() - i * DAY_MS),
        subject: "Hush-hush merger talk",
        participants: [
          { contactId: phil.id },
          { email: "visitor@elsewhere.example", displayName: "Philippa Participant" },
        ],
      });
    }
    await olga.client.analytics.setValues.mutate({ workspaceId, values: { meeting: 77 } });
    await olga.client.gdpr.restrictContact.mutate({ workspaceId, contactId: phil.id });
    await olga.client.gdpr.eraseContact.mutate({ workspaceId, contactId: erwin.id, reason: "asked" });
    // Its consumer discards the members' exports: let it run before they are made.
    await app.runtime.dispatcher.drain();
    await mia.client.recommendations.forContact.query({ workspaceId, contactId: zeb.id });
    await olga.client.analytics.metrics.query({ workspaceId });
    await olga.client.cache.warmup.mutate({ workspaceId, limit: 5, wait: true });
    await olga.client.cache.stats.query({ workspaceId });
    const contactExport = await olga.client.gdpr.exportContact.mutate({ workspaceId, contactId: zeb.id });
    const olgaExport = await olga.client.gdpr.requestExport.mutate({});
    const miaExport = await mia.client.gdpr.requestExport.mutate({});
    for (const [client, id] of [
      [olga.client, contactExport.exportId],
      [olga.client, olgaExport.exportId],
      [mia.client, miaExport.exportId],
    ] as const)
      await waitForExport(client, id);

    // Another workspace of the same owner, with its own data and cache.
    const keeperId = (await olga.client.workspaces.create.mutate({ name: "Keeper" })).id;
    const keep = await olga.client.contacts.create.mutate({
      workspaceId: keeperId,
      name: "Keep Me",
      email: "keep@me.example",
    });
    await olga.client.recommendations.forContact.query({ workspaceId: keeperId, contactId: keep.id });
    await app.runtime.dispatcher.drain();

    const mentions = (lines: Awaited<ReturnType<typeof dumpLines>>, id: string) =>
      lines.filter((line) => line.text.includes(id));
    const before = await dumpLines(app);
    // The checks below could not fail if nothing were there to delete.
    expect(mentions(before, workspaceId).filter((l) => l.source === "redis").length).toBeGreaterThan(3);
    expect(before.some((l) => l.source === "redis" && l.text.includes("bull") && l.text.includes(workspaceId))).toBe(
      true,
    );
    for (const table of [
      "contacts",
      "interactions",
      "interaction_participants",
      "memberships",
      "domain_events",
      "gdpr_operations",
      "gdpr_suppressions",
      "gdpr_restrictions",
      "gdpr_exports",
      "analytics_settings",
    ]) {
      expect(
        mentions(before, workspaceId).some((l) => l.source === table),
        table,
      ).toBe(true);
    }
    const filesBefore = readdirSync(exportDir);
    expect(filesBefore.length).toBe(3);

    const { deletionId } = await olga.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: NAME });
    clock.advance(29 * DAY_MS);
    expect(await app.runtime.services.workspaceDeletion.runDueDeletions()).toEqual({ executed: 0, failed: 0 });
    clock.advance(2 * DAY_MS);
    expect(await app.runtime.services.workspaceDeletion.runDueDeletions()).toEqual({ executed: 1, failed: 0 });
    expect(await app.runtime.dispatcher.drain()).toBe(true);
    await signInAll();

    const after = await dumpLines(app);
    const left = mentions(after, workspaceId);
    // Only the record that it happened, by opaque id: audit entries, the request in the operations log, the event.
    for (const line of left) {
      if (line.source === "audit_log") continue;
      if (line.source === "gdpr_operations") expect(line.text).toContain('"type":"workspace_deletion"');
      else if (line.source === "domain_events") expect(line.text).toContain('"type":"workspace.deleted"');
      else throw new Error(`left behind in ${line.source}: ${line.text.slice(0, 200)}`);
    }
    expect(left.filter((l) => l.source === "domain_events")).toHaveLength(1);
    expect(left.filter((l) => l.source === "gdpr_operations" && l.text.includes(`"id":"${deletionId}"`))).toHaveLength(
      1,
    );
    const everything = after.map((l) => l.text).join("\n");
    for (const secret of secrets) expect(everything, secret).not.toContain(secret.toLowerCase());
    // No export file that may hold it: the contact's export, and both members' personal exports.
    expect(readdirSync(exportDir)).toEqual([]);
    const exportsLeft = await app.sql`SELECT id, file_key FROM gdpr_exports`;
    expect(exportsLeft.map((r) => r.id).sort()).toEqual([olgaExport.exportId, miaExport.exportId].sort());
    expect(exportsLeft.every((r) => r.file_key === null)).toBe(true);

    // Former members: gone from their lists; every procedure answers NOT_FOUND.
    expect((await mia.client.workspaces.list.query()).map((w) => w.id)).not.toContain(workspaceId);
    expect((await errorOf(mia.client.contacts.list.query({ workspaceId }))).code).toBe("NOT_FOUND");
    expect((await errorOf(olga.client.workspaces.deletionStatus.query({ workspaceId }))).code).toBe("NOT_FOUND");
    // The request is completed in the owner's history.
    expect((await olga.client.gdpr.myOperations.query()).find((op) => op.id === deletionId)).toMatchObject({
      status: "completed",
    });

    // The other workspace is untouched, cache included.
    expect(await olga.client.contacts.get.query({ workspaceId: keeperId, contactId: keep.id })).toMatchObject({
      name: "Keep Me",
    });
    expect(mentions(after, keeperId).some((l) => l.source === "redis")).toBe(true);
  });

  it("a sole owner is refused account deletion with the blocking workspaces and both ways out; after a transfer or a scheduled deletion it goes through", async () => {
    const sam = await app.signUp("Sam Solo");
    const solo = (await sam.client.workspaces.create.mutate({ name: "Sam's Solo" })).id;
    const team = (await sam.client.workspaces.create.mutate({ name: "Sam's Team" })).id;
    await joinWorkspace(sam, team, mia, "member");

    const refused = await errorOf(
      sam.client.gdpr.requestDeletion.mutate({ reason: "leaving", password: sam.password }),
    );
    expect(refused.code).toBe("CONFLICT");
    expect(refused.message).toMatch(/sole owner of 2 workspaces; transfer ownership .* or delete the workspace/);
    expect(refused.data.details.waysOut).toEqual(["transfer_ownership", "delete_workspace"]);
    expect(refused.data.details.workspaces.map((w: { id: string; name: string }) => [w.id, w.name])).toEqual([
      [solo, "Sam's Solo"],
      [team, "Sam's Team"],
    ]);
    expect(
      (await sam.client.workspaces.soleOwned.query()).map((w) => [w.name, w.members, w.deletionScheduledAt]),
    ).toEqual([
      ["Sam's Solo", 1, null],
      ["Sam's Team", 2, null],
    ]);

    await sam.client.workspaces.transferOwnership.mutate({ workspaceId: team, userId: mia.userId });
    const stillRefused = await errorOf(
      sam.client.gdpr.requestDeletion.mutate({ reason: "leaving", password: sam.password }),
    );
    expect(stillRefused.data.details.workspaceIds).toEqual([solo]);

    const { effectiveAt } = await sam.client.workspaces.requestDeletion.mutate({
      workspaceId: solo,
      confirmation: "Sam's Solo",
    });
    expect((await sam.client.workspaces.soleOwned.query())[0]!.deletionScheduledAt?.getTime()).toBe(
      effectiveAt.getTime(),
    );
    const account = await sam.client.gdpr.requestDeletion.mutate({ reason: "leaving", password: sam.password });
    expect(account).toMatchObject({ status: "scheduled" });
    // Keeping the workspace now would leave the account's deletion unable to run.
    const keep = await errorOf(sam.client.workspaces.cancelDeletion.mutate({ workspaceId: solo }));
    expect(keep.code).toBe("CONFLICT");
    expect(keep.data.details).toEqual({ reason: "account_deletion_pending" });

    // Both fall due; the workspace goes first (as the daily jobs run), then the account.
    clock.advance(31 * DAY_MS);
    expect(await app.runtime.services.workspaceDeletion.runDueDeletions()).toEqual({ executed: 1, failed: 0 });
    expect(await app.runtime.services.gdprErasure.runDueDeletions()).toEqual({ executed: 1, failed: 0 });
    expect((await errorOf(app.client().auth.login.mutate({ email: sam.email, password: sam.password }))).code).toBe(
      "UNAUTHORIZED",
    );
    expect(await app.sql`SELECT 1 FROM workspaces WHERE id IN (${solo}, ${team})`).toHaveLength(1);
  });
});

/** The same core flow on the embedded database (PGlite, no Redis): transfer, schedule, cancel, execute. */
describe("workspace deletion on the embedded database (PGlite)", () => {
  const clock = new ManualClock(new Date("2026-03-02T10:00:00Z"));
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ driver: "pglite", clock });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("transfers, schedules, cancels and deletes every row of the workspace", async () => {
    const owner = await app.signUp("Lite Owner");
    const member = await app.signUp("Lite Member");
    const { id: workspaceId } = await owner.client.workspaces.create.mutate({ name: "Lite WS" });
    await joinWorkspace(owner, workspaceId, member);
    const contact = await owner.client.contacts.create.mutate({
      workspaceId,
      name: "Lite Contact",
      email: "c@lite.example",
    });
    await member.client.interactions.create.mutate({
      workspaceId,
      contactId: contact.id,
      type: "call",
      direction: "inbound",
      occurredAt: clock.now(),
      subject: "Catch-up",
    });

    await owner.client.workspaces.transferOwnership.mutate({ workspaceId, userId: member.userId });
    await member.client.workspaces.transferOwnership.mutate({ workspaceId, userId: owner.userId });
    expect(
      (await errorOf(member.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: "Lite WS" }))).code,
    ).toBe("FORBIDDEN");
    expect(
      (await errorOf(owner.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: "lite ws" }))).code,
    ).toBe("BAD_REQUEST");
    await owner.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: "Lite WS" });
    await owner.client.workspaces.cancelDeletion.mutate({ workspaceId });
    await owner.client.workspaces.requestDeletion.mutate({ workspaceId, confirmation: "Lite WS" });
    expect((await member.client.workspaces.deletionStatus.query({ workspaceId })).scheduled).not.toBeNull();

    clock.advance(31 * DAY_MS);
    expect(await app.runtime.services.workspaceDeletion.runDueDeletions()).toEqual({ executed: 1, failed: 0 });
    expect(await app.runtime.dispatcher.drain()).toBe(true);
    const [counts] = await app.query<Record<string, number>>`
      SELECT (SELECT count(*)::int FROM workspaces WHERE id = ${workspaceId}) AS workspaces,
             (SELECT count(*)::int FROM memberships WHERE workspace_id = ${workspaceId}) AS memberships,
             (SELECT count(*)::int FROM contacts WHERE workspace_id = ${workspaceId}) AS contacts,
             (SELECT count(*)::int FROM interactions WHERE workspace_id = ${workspaceId}) AS interactions,
             (SELECT count(*)::int FROM domain_events WHERE workspace_id = ${workspaceId}) AS events,
             (SELECT count(*)::int FROM audit_log WHERE workspace_id = ${workspaceId}) AS audit`;
    expect(counts).toMatchObject({ workspaces: 0, memberships: 0, contacts: 0, interactions: 0, events: 0 });
    expect(counts!.audit).toBeGreaterThan(0);
    // The owner's account deletion is no longer blocked.
    const again = await app.signIn(owner);
    expect(await again.client.gdpr.requestDeletion.mutate({ reason: "done", password: owner.password })).toMatchObject({
      status: "scheduled",
    });
  });
});
